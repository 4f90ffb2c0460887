import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vault } from '../../../src-main/vault/vault';
import { docker, throwawayVolume } from '../sync/pull-helpers';
import { cli, dbLab, execIn, storeItem } from './db-helpers';

/** Row counts of every table of a SQLite file in a container, via its sqlite3. */
function counts(container: string, file: string): Record<string, number> {
  const tables = execIn(container, `sqlite3 ${file} "select name from sqlite_master where type='table' and name not like 'sqlite_%' order by 1"`).toString().trim().split('\n');
  return Object.fromEntries(tables.map((t) => [t, Number(execIn(container, `sqlite3 ${file} 'select count(*) from "${t}"'`).toString().trim())]));
}

/** Every pack file of a vault. */
const packFiles = (vaultDir: string): string[] =>
  readdirSync(join(vaultDir, 'data'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('SQLite restore on the lab', () => {
  let lab: Awaited<ReturnType<typeof dbLab>>;
  let vault: Vault;
  let vol: ReturnType<typeof throwawayVolume>;
  let item: string;
  let snap: string;
  let rows: Record<string, number>;
  let original: Buffer;

  beforeAll(async () => {
    lab = await dbLab();
    vault = await lab.vault();
    // A throwaway copy of the notes stack: a volume with notes.sqlite and a running app container using it.
    vol = throwawayVolume('notes', 'app');
    original = execIn('notes-app-1', 'cat /data/notes.sqlite');
    execIn(vol.container, 'cat > /data/notes.sqlite && chown 1000:1000 /data/notes.sqlite && chmod 640 /data/notes.sqlite', original);
    rows = counts(vol.container, '/data/notes.sqlite');
    item = `lbtest/sqlite:${vol.volume}/notes.sqlite`;
    snap = await storeItem(vault, item, 'sqlite', { container: vol.container, volume: vol.volume, path: 'notes.sqlite', rows: JSON.stringify(rows) }, original);
  });
  afterAll(async () => {
    vol?.remove();
    await lab?.close();
  });

  it('restores to a new file beside the original by default (owner and mode kept), the original untouched', async () => {
    const res = await cli(lab.home, lab.vaultDir, ['restore', snap.slice(0, 8), item, '--json']);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { mode: string; report: { location: string } };
    expect(out.mode).toBe('new-database');
    const name = /notes_restored_\d{12}\.sqlite$/.exec(out.report.location)?.[0];
    expect(name).toBeDefined();
    expect(counts(vol.container, `/data/${name}`)).toEqual(rows);
    expect(execIn(vol.container, `stat -c '%u:%g %a' /data/${name}`).toString().trim()).toBe('1000:1000 640');
    expect(sha(execIn(vol.container, 'cat /data/notes.sqlite'))).toBe(sha(original));
    const again = await cli(lab.home, lab.vaultDir, ['restore', snap.slice(0, 8), item, '--to-database', name as string]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    expect(execIn(vol.container, 'ls -a /data').toString()).not.toMatch(/lifeboat-restore/);
  });

  it('in place: users stopped, safety copy, file replaced, integrity checked, users started again', async () => {
    execIn(vol.container, 'sqlite3 /data/notes.sqlite "PRAGMA journal_mode=WAL; delete from PlaylistTrack where PlaylistId = 1; create table extra(x)"');
    const changed = counts(vol.container, '/data/notes.sqlite');
    expect(changed.PlaylistTrack).toBeLessThan(rows.PlaylistTrack as number);
    const dry = await cli(lab.home, lab.vaultDir, ['restore', snap.slice(0, 8), item, '--in-place', '--dry-run']);
    expect(dry.stdout).toMatch(new RegExp(`containers ${vol.container} are stopped meanwhile`));
    const res = await cli(lab.home, lab.vaultDir, ['restore', snap.slice(0, 8), item, '--in-place', '--yes']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/safety copy: snapshot [0-9a-f]{8}/);
    expect(docker('inspect', '-f', '{{.State.Running}}', vol.container)).toBe('true');
    expect(counts(vol.container, '/data/notes.sqlite')).toEqual(rows);
    expect(execIn(vol.container, 'ls -a /data').toString()).not.toMatch(/notes\.sqlite-wal|lifeboat-restore/);
    expect(execIn(vol.container, "stat -c '%u:%g %a' /data/notes.sqlite").toString().trim()).toBe('1000:1000 640');
    const safety = (await vault.readAllSnapshots()).filter((s) => s.tags.includes('safety'));
    expect(safety).toHaveLength(1);
    // The safety copy holds the changed state (WAL folded in): restore it beside and count.
    const back = await cli(lab.home, lab.vaultDir, ['restore', (safety[0] as { id: string }).id.slice(0, 8), item, '--to-database', 'safety-copy.sqlite']);
    expect(back.code).toBe(0);
    expect(counts(vol.container, '/data/safety-copy.sqlite')).toEqual(changed);
  });

  it('drill: integrity_check and row counts pass on a good copy; a copy whose counts differ fails with exit 1', async () => {
    const good = await cli(lab.home, lab.vaultDir, ['drill', snap.slice(0, 8), item]);
    expect(good.stdout).toMatch(/PASSED/);
    expect(good.stdout).toMatch(/integrity_check: ok/);
    expect(good.code).toBe(0);
    const tampered = await storeItem(vault, item, 'sqlite', { container: vol.container, volume: vol.volume, path: 'notes.sqlite', rows: JSON.stringify({ ...rows, Track: 3504 }) }, original);
    const bad = await cli(lab.home, lab.vaultDir, ['drill', tampered.slice(0, 8), item]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAILED/);
    expect(bad.stdout).toMatch(/problem: Track: row counts differ/);
  });

  it('drill of a copy damaged in the vault fails with the reason (no scratch left behind)', async () => {
    const unique = Buffer.concat([original, randomBytes(8192)]);
    const before = new Set(packFiles(lab.vaultDir));
    const damaged = await storeItem(vault, item, 'sqlite', { container: vol.container, volume: vol.volume, path: 'notes.sqlite', rows: JSON.stringify(rows) }, unique);
    // Every pack this backup wrote (each crypto worker fills its own, the metadata has one too;
    // picking "the newest" by mtime hit the wrong one when they share a millisecond).
    const fresh = packFiles(lab.vaultDir).filter((f) => !before.has(f));
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    for (const pack of fresh) {
      const bytes = readFileSync(pack);
      const at = Math.min(100, bytes.length - 1);
      bytes[at] = (bytes[at] as number) ^ 0xff;
      writeFileSync(pack, bytes);
    }
    const res = await cli(lab.home, lab.vaultDir, ['drill', damaged.slice(0, 8), item]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/FAILED/);
    expect(res.stdout).toMatch(/problem: the test restore failed: .*(authentication failed|damaged)/);
    expect(docker('ps', '-aq', '--filter', 'label=org.lifeboat.role=drill')).toBe('');
  });
});
