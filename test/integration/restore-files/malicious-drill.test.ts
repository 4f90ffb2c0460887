import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindSink } from '../../../src-main/restore/bind-sink';
import { drillFaults, drillVolume } from '../../../src-main/restore/volume-drill';
import { volumeSink } from '../../../src-main/restore/volume-sink';
import type { Snapshot, SnapshotItem, TreeEntry } from '../../../src-main/vault/snapshots';
import { backupItem, docker, testJob, treeItem } from '../../helpers/volume-pull';
import { mountpointOf, restoreCtx, restoreLab } from './restore-helpers';

const outside = `/var/tmp/lbtest-outside-${process.pid}`;
const base = { mode: 0o644, uid: 0, gid: 0, mtime: Date.UTC(2024, 0, 1) };

/** A snapshot whose tree was hand-written through the vault API: `entries` as given (schema-valid), `raw` lines appended verbatim. */
async function craft(lab: Awaited<ReturnType<typeof restoreLab>>, name: string, entries: TreeEntry[], raw: string[] = []): Promise<{ snapshot: Snapshot; item: SnapshotItem }> {
  const writer = await lab.vault.createSnapshot({ host: 'lab' });
  if (raw.length === 0) {
    const tree = writer.addTree({ name, kind: 'volume' });
    for (const e of entries) await tree.addEntry(e);
    await tree.close();
  } else {
    // Bypass the tree writer's own checks, as someone editing the vault by hand would.
    const meta = writer.newMeta();
    await meta.write(Buffer.from([...entries.map((e) => JSON.stringify(e)), ...raw].map((l) => `${l}\n`).join('')));
    await meta.close();
    const item: SnapshotItem = { name, kind: 'volume', type: 'tree', size: 0, chunks: 0, entries: entries.length + raw.length, meta: meta.ids, metaSize: meta.size, startedAt: '', finishedAt: '', info: {} };
    (writer as unknown as { record(i: SnapshotItem): void }).record(item);
  }
  const snapshot = await writer.commit();
  return { snapshot, item: snapshot.items[0] as SnapshotItem };
}

describe('hand-crafted malicious trees are refused; nothing is written outside the target', () => {
  let lab: Awaited<ReturnType<typeof restoreLab>>;
  const shapes: Array<[string, TreeEntry[], string[]]> = [
    ['symlink escaping, then a file through it', [{ ...base, path: 'link', type: 'symlink', size: 0, link: `../../../../../../../../..${outside}` }, { ...base, path: 'link/evil', type: 'dir', size: 0 }], []],
    ['absolute symlink, then a folder through it', [{ ...base, path: 'abs', type: 'symlink', size: 0, link: outside }, { ...base, path: 'abs/sub', type: 'dir', size: 0 }], []],
    ['".." path', [], [JSON.stringify({ ...base, path: '../../../../../..' + outside + '/evil', type: 'dir', size: 0 })]],
    ['absolute path', [], [JSON.stringify({ ...base, path: `${outside}/evil`, type: 'dir', size: 0 })]],
  ];

  beforeAll(async () => {
    lab = await restoreLab();
    mkdirSync(outside, { recursive: true });
  });
  afterAll(async () => {
    rmSync(outside, { recursive: true, force: true });
    await lab?.close();
  });

  for (const [name, entries, raw] of shapes) {
    it(name, async () => {
      const { snapshot, item } = await craft(lab, `lbtest/volume:${name.replace(/\W+/g, '-')}`, entries, raw);
      const volume = `lbtest-evil-${process.pid}`;
      await expect(volumeSink.restore(restoreCtx(lab.conn, lab.vault, snapshot, item, { mode: 'new-volume', volume }))).rejects.toMatchObject({ code: 'corrupt' });
      expect(() => docker('volume', 'inspect', volume)).toThrow();
      await expect(bindSink.restore(restoreCtx(lab.conn, lab.vault, snapshot, item, { mode: 'path', path: `${outside}-target/x` }))).rejects.toMatchObject({ code: 'corrupt' });
      await expect(volumeSink.restore(restoreCtx(undefined, lab.vault, snapshot, item, { mode: 'local-dir', localDir: `${outside}-local` }))).rejects.toMatchObject({ code: 'corrupt' });
      expect(readdirSync(outside)).toEqual([]);
      expect(existsSync(`${outside}-target/x`)).toBe(false);
      expect(readdirSync(`${outside}-local`)).toEqual([]);
      rmSync(`${outside}-target`, { recursive: true, force: true });
      rmSync(`${outside}-local`, { recursive: true, force: true });
    });
  }
});

describe('volume drill', () => {
  let lab: Awaited<ReturnType<typeof restoreLab>>;
  let snapshot: Snapshot;
  let item: SnapshotItem;
  const drillVolumes = () => docker('volume', 'ls', '-q', '--filter', 'label=org.lifeboat.role=drill').split('\n').filter(Boolean);

  beforeAll(async () => {
    lab = await restoreLab();
    ({ snapshot, result: { stored: item } } = await backupItem(lab.conn, lab.vault, treeItem('volume', 'wiki_uploads', 'wiki')));
  });
  afterAll(async () => {
    drillFaults.afterRestore = undefined;
    await lab?.close();
  });

  it('passes on wiki_uploads: every entry and every sha256 matches, the scratch volume is gone', async () => {
    const before = drillVolumes();
    const outcome = await drillVolume({ host: lab.conn, vault: lab.vault, snapshot, item, job: testJob() });
    expect(outcome.problems).toEqual([]);
    expect(outcome.ok).toBe(true);
    expect(outcome.checks.map((c) => c.name)).toEqual(['entries', 'content']);
    expect(outcome.checks[0]?.rows).toBeGreaterThan(350);
    expect(outcome.image).toBeTruthy();
    expect(drillVolumes()).toEqual(before);
  });

  it('fails when the restored copy was tampered with, naming the file', async () => {
    drillFaults.afterRestore = async (volume) => appendFileSync(join(mountpointOf(volume), 'café ☕.txt'), 'tampered');
    try {
      const outcome = await drillVolume({ host: lab.conn, vault: lab.vault, snapshot, item, job: testJob() });
      expect(outcome.ok).toBe(false);
      expect(outcome.checks.find((c) => c.name === 'café ☕.txt')?.note).toMatch(/size .*content \(sha256\) differs/);
      expect(outcome.checks.find((c) => c.name === 'content')?.ok).toBe(false);
    } finally {
      drillFaults.afterRestore = undefined;
    }
    expect(drillVolumes()).toEqual([]);
  });
});
