import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory, Item } from '../../../src-main/api/discovery-contract';
import { secretsSource } from '../../../src-main/backup/secrets-source';
import { bindSink } from '../../../src-main/restore/bind-sink';
import { secretsSink } from '../../../src-main/restore/secrets-sink';
import { volumeSink } from '../../../src-main/restore/volume-sink';
import type { Snapshot, SnapshotItem } from '../../../src-main/vault/snapshots';
import { diffViews, serverView } from '../../helpers/tree-view';
import { backupItem, docker, testJob, treeItem } from '../../helpers/volume-pull';
import { restoreCtx, restoreLab } from './restore-helpers';

const scratch = `/var/tmp/lbtest-restore-paths-${process.pid}`;
/** Places a shell would act on if any name were ever evaluated. */
const pwnedPlaces = ['/tmp/pwned', '/root/pwned', '/pwned', `${scratch}/pwned`, '/tmp/pwned2', '/tmp/lbtest-pwned'];

describe('bind mounts, secrets and files to this machine', () => {
  let lab: Awaited<ReturnType<typeof restoreLab>>;
  const configDir = `${(JSON.parse(execFileSync('bash', ['test/lab/lab.sh', 'info'], { encoding: 'utf8' })) as { stateDir: string }).stateDir}/stacks/wiki/config`;
  let uploads: { snapshot: Snapshot; item: SnapshotItem };

  beforeAll(async () => {
    lab = await restoreLab();
    mkdirSync(scratch, { recursive: true });
    for (const p of pwnedPlaces) expect(existsSync(p)).toBe(false);
    const u = await backupItem(lab.conn, lab.vault, treeItem('volume', 'wiki_uploads', 'wiki'));
    uploads = { snapshot: u.snapshot, item: u.result.stored };
  });
  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await lab?.close();
    for (const p of pwnedPlaces) expect(existsSync(p)).toBe(false);
  });

  it('bind mount to another host path (with shell metacharacters in it) equals the original', async () => {
    const { snapshot, result } = await backupItem(lab.conn, lab.vault, treeItem('bind', configDir, 'wiki'));
    const target = `${scratch}/$(touch pwned); it's "x" \`touch /tmp/pwned2\`/config`;
    const ctx = restoreCtx(lab.conn, lab.vault, snapshot, result.stored, { mode: 'path', path: target });
    const preview = await bindSink.preview(ctx);
    expect(preview.creates.sort()).toEqual(['tls', 'tls/wiki.crt', 'tls/wiki.key', 'wiki.ini']);
    const report = await bindSink.restore(ctx);
    expect(report.location).toBe(target);
    expect(diffViews(serverView(configDir), serverView(target))).toEqual([]);
    await expect(bindSink.restore(restoreCtx(lab.conn, lab.vault, snapshot, result.stored, { mode: 'path', path: target }))).rejects.toThrow(/not empty/);
    await expect(bindSink.restore(restoreCtx(lab.conn, lab.vault, snapshot, result.stored, { mode: 'path', path: `${scratch}/../etc` }))).rejects.toThrow(/absolute path without/);
  });

  it('secrets go back to their paths with their original modes and owners; what they overwrite is saved first', async () => {
    const dir = join(scratch, 'stack');
    mkdirSync(join(dir, 'tls'), { recursive: true });
    writeFileSync(join(dir, '.env'), 'DB_PASSWORD=s3cret\n', { mode: 0o600 });
    writeFileSync(join(dir, 'tls', 'site.key'), 'KEY\n', { mode: 0o640 });
    execFileSync('chown', ['33:33', join(dir, '.env')]);
    const files = [join(dir, '.env'), join(dir, 'tls', 'site.key')];
    const item: Item = { id: 'lbtest/secrets:compose', stack: 'lbtest', kind: 'secrets', name: 'compose', files, covered: false, secret: true, notes: [] };
    const writer = await lab.vault.createSnapshot({ host: 'lab' });
    const stored = (await secretsSource.backup({ host: lab.conn, inventory: {} as Inventory, item, snapshot: writer, vault: lab.vault, job: testJob() })).stored;
    const snapshot = await writer.commit();
    // The secrets source keeps whole seconds (plain tar), and deleting a file touches its folder: compare without times.
    const before = serverView(dir, { mtimes: false });
    // Damage: one file rewritten with loose permissions, one deleted.
    writeFileSync(join(dir, '.env'), 'DB_PASSWORD=changed\n', { mode: 0o644 });
    execFileSync('chmod', ['644', join(dir, '.env')]);
    rmSync(join(dir, 'tls', 'site.key'));
    const ctx = restoreCtx(lab.conn, lab.vault, snapshot, stored, { mode: 'in-place' });
    const preview = await secretsSink.preview(ctx);
    expect(preview.overwrites).toHaveLength(1);
    expect(preview.creates).toHaveLength(1);
    expect(preview.details[0]?.live).toMatch(/0644/);
    const report = await secretsSink.restore(ctx);
    expect(diffViews(before, serverView(dir, { mtimes: false }))).toEqual([]);
    expect(Number(lstatSync(join(dir, '.env'), { bigint: true }).mtimeNs % 1_000_000_000n)).toBe(0);
    expect(lstatSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('DB_PASSWORD=s3cret\n');
    expect(report.safetyCopy).toMatch(/1 file/);
    expect(readdirSync(dir).filter((n) => n.startsWith('.lifeboat'))).toEqual([]);
  });

  it('files to a local folder: content and modes, links leaving the folder skipped, nothing overwritten', async () => {
    const local = join(scratch, 'laptop');
    const ctx = restoreCtx(undefined, lab.vault, uploads.snapshot, uploads.item, { mode: 'local-dir', localDir: local });
    const report = await volumeSink.restore(ctx);
    expect(report.location).toBe(local);
    const mountpoint = docker('volume', 'inspect', 'wiki_uploads', '--format', '{{.Mountpoint}}');
    const strip = (v: Map<string, string>) => new Map([...v].filter(([p]) => p !== 'hosts-link').map(([p, line]) => [p, line.replace(/ \d+:\d+/, '').replace(/^(dir \S+) t=\d+/, '$1')]));
    expect(diffViews(strip(serverView(mountpoint)), strip(serverView(local)))).toEqual([]);
    expect(existsSync(join(local, 'hosts-link'))).toBe(false);
    expect(report.warnings.join()).toMatch(/hosts-link/);
    await expect(volumeSink.restore(restoreCtx(undefined, lab.vault, uploads.snapshot, uploads.item, { mode: 'local-dir', localDir: local }))).rejects.toThrow(/already exists/);
    const one = join(scratch, 'one');
    await volumeSink.restore(restoreCtx(undefined, lab.vault, uploads.snapshot, uploads.item, { mode: 'local-dir', localDir: one, subtree: 'big/vm-disk.img' }));
    expect(readdirSync(one)).toEqual(['vm-disk.img']);
    expect(execFileSync('sha256sum', [join(one, 'vm-disk.img')], { encoding: 'utf8' })).toMatch(/^05d89aae/);
  });
});
