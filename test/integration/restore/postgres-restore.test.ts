import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableStats } from '../../../src-main/databases/table-stats';
import { createDbSink } from '../../../src-main/restore/db/database-sinks';
import { pgAdapter } from '../../../src-main/restore/db/pg-adapter';
import type { Vault } from '../../../src-main/vault/vault';
import { testJob } from '../sync/pull-helpers';
import { cli, dbInfo, dbLab, execIn, labDocker, liveStats, slow, storeItem, throwawayServer, truncate } from './db-helpers';

const item = 'shop/postgres:chinook';
const pgEnv = ['POSTGRES_USER=shop', 'POSTGRES_PASSWORD=lbtest-pw', 'POSTGRES_DB=chinook'];

describe('PostgreSQL restore on the lab', () => {
  let lab: Awaited<ReturnType<typeof dbLab>>;
  let vault: Vault;
  let source: TableStats;
  let snap: string;
  let copy: { name: string; remove(): void };
  const dumpOf = (container: string, user: string, db: string) => execIn(container, `pg_dump -Fc -Z0 -U ${user} ${db}`);

  beforeAll(async () => {
    lab = await dbLab();
    vault = await lab.vault();
    source = await liveStats('postgres', 'shop-db-1', 'chinook');
    snap = await storeItem(vault, item, 'postgres', dbInfo('postgres', 'chinook', 'shop-db-1', source), dumpOf('shop-db-1', 'shop', 'chinook'));
    // A throwaway copy of the shop server for in-place restores: never the seeded database.
    copy = await throwawayServer('postgres', 'pg-inplace', pgEnv);
    execIn(copy.name, 'pg_restore -U shop -d chinook --single-transaction', dumpOf('shop-db-1', 'shop', 'chinook'));
  });
  afterAll(async () => {
    copy?.remove();
    await lab?.close();
  });

  it('restores Chinook into a new database in the same container: every table equal (rows and ordered content hash)', async () => {
    const out = await lab.engine.call('restore', { vault: lab.vaultDir, passphrase: 'restore test passphrase', snapshot: snap.slice(0, 8), item, target: { database: 'lbtest_chinook_new' } });
    try {
      expect(out.mode).toBe('new-database');
      expect(out.report?.location).toBe('shop-db-1/lbtest_chinook_new');
      expect(out.report?.warnings).toEqual([]);
      expect(await liveStats('postgres', 'shop-db-1', 'lbtest_chinook_new')).toEqual(source);
      expect(Object.keys(source)).toHaveLength(11);
    } finally {
      execIn('shop-db-1', 'dropdb -U shop --if-exists lbtest_chinook_new');
    }
  });

  it('refuses to write into an existing database, and names the default copy <db>_restored_<stamp>', async () => {
    await expect(lab.engine.call('restore', { vault: lab.vaultDir, passphrase: 'restore test passphrase', snapshot: snap, item, target: { database: 'chinook' } })).rejects.toThrow(/already exists/);
    const preview = await lab.engine.call('restore', { vault: lab.vaultDir, passphrase: 'restore test passphrase', snapshot: snap, item, dryRun: true });
    expect(preview.preview?.summary).toMatch(/would create database shop-db-1\/chinook_restored_\d{12}/);
    expect(preview.preview?.details.find((d) => d.name === 'public.track')).toEqual({ name: 'public.track', snapshot: '3503 rows', live: '3503 rows', differs: false });
  });

  it('in place: safety dump first, then the snapshot replaces the changed database exactly; the safety copy holds the changed state', async () => {
    execIn(copy.name, "psql -q -U shop -d chinook -c 'delete from playlist_track where playlist_id = 1; update track set name = name || $$!$$ where track_id < 10; create table extra (x int)'");
    const changed = await liveStats('postgres', copy.name, 'chinook');
    expect(changed['public.playlist_track']?.rows).toBeLessThan(8715);
    const dry = await cli(lab.home, lab.vaultDir, ['restore', snap.slice(0, 8), item, '--in-place', '--to-container', copy.name, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/public\.playlist_track\s+8715 rows\s+\d+ rows\s+differs/);
    expect(dry.stdout).toMatch(/tables not in the snapshot stay as they are: public\.extra/);
    const refused = await cli(lab.home, lab.vaultDir, ['restore', snap.slice(0, 8), item, '--in-place', '--to-container', copy.name]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/add --yes/);
    const done = await cli(lab.home, lab.vaultDir, ['restore', snap.slice(0, 8), item, '--in-place', '--to-container', copy.name, '--yes', '--json']);
    expect(done.code).toBe(0);
    const out = JSON.parse(done.stdout) as { report: { safetyCopy: string } };
    const after = await liveStats('postgres', copy.name, 'chinook');
    const { 'public.extra': extra, ...rest } = after;
    expect(rest).toEqual(source);
    expect(extra?.rows).toBe(0);
    const safety = await vault.snapshot(out.report.safetyCopy);
    expect(safety.tags).toEqual(['safety']);
    // Putting the safety copy back in place gives the changed state again.
    await lab.engine.call('restore', { vault: lab.vaultDir, passphrase: 'restore test passphrase', snapshot: safety.id, item, target: { mode: 'in-place', container: copy.name }, yes: true });
    expect(await liveStats('postgres', copy.name, 'chinook')).toEqual(changed);
  });

  describe('in place with a failure injected at each step leaves the database as it was', () => {
    const ctxFor = async (target: { container: string }) => {
      const v = await lab.vault();
      const snapshot = await v.snapshot(snap);
      return { host: await lab.engine.hosts.open('lab', {}), vault: v, snapshot, item: v.item(snapshot, item), target: { mode: 'in-place' as const, ...target }, job: testJob() };
    };
    const expectUnchanged = async (before: TableStats) => expect(await liveStats('postgres', copy.name, 'chinook')).toEqual(before);

    it('the safety dump fails (pg_dump killed): nothing is restored, no safety snapshot', async () => {
      const before = await liveStats('postgres', copy.name, 'chinook');
      const count = (await vault.readAllSnapshots()).length;
      const sink = createDbSink(pgAdapter, { step: async (step, proc) => void (step === 'safety-dump' && (await proc?.kill())) });
      const ctx = await ctxFor({ container: copy.name });
      try {
        await expect(sink.restore(ctx)).rejects.toThrow(/safety dump/);
      } finally {
        ctx.host.close();
      }
      await expectUnchanged(before);
      expect((await vault.readAllSnapshots()).length).toBe(count);
    });

    it('the dump stream is cut off halfway: pg_restore fails, the database is rolled back', async () => {
      const before = await liveStats('postgres', copy.name, 'chinook');
      const sink = createDbSink(pgAdapter, { dump: (s, purpose) => (purpose === 'restore' ? truncate(s, 200_000) : s) });
      const ctx = await ctxFor({ container: copy.name });
      try {
        await expect(sink.restore(ctx)).rejects.toThrow(/pg_restore into "chinook".*(unexpected end of file|could not read).*rolled back to its safety copy/);
      } finally {
        ctx.host.close();
      }
      await expectUnchanged(before);
    });

    it('pg_restore is killed midway (its backend terminated): rolled back, rows and checksums as before', async () => {
      const before = await liveStats('postgres', copy.name, 'chinook');
      const sink = createDbSink(pgAdapter, {
        dump: (s, purpose) => (purpose === 'restore' ? slow(s) : s),
        step: (step) => {
          if (step !== 'restore') return;
          setTimeout(() => void execIn(copy.name, "psql -q -U shop -d postgres -c \"select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pg_restore'\""), 1500);
        },
      });
      const ctx = await ctxFor({ container: copy.name });
      try {
        await expect(sink.restore(ctx)).rejects.toThrow(/pg_restore into "chinook".*(terminat|server closed|connection).*rolled back to its safety copy/);
      } finally {
        ctx.host.close();
      }
      await expectUnchanged(before);
    });
    it('cancelled while pg_restore runs: the process is stopped and the database rolled back', async () => {
      const before = await liveStats('postgres', copy.name, 'chinook');
      const controller = new AbortController();
      const sink = createDbSink(pgAdapter, { dump: (s, purpose) => (purpose === 'restore' ? slow(s) : s), step: (step) => void (step === 'restore' && setTimeout(() => controller.abort(), 1000)) });
      const ctx = { ...(await ctxFor({ container: copy.name })), job: testJob(controller.signal) };
      try {
        await expect(sink.restore(ctx)).rejects.toThrow(/cancelled.*rolled back to its safety copy/);
      } finally {
        ctx.host.close();
      }
      await expectUnchanged(before);
      expect(execIn(copy.name, "psql -XAt -U shop -d postgres -c \"select count(*) from pg_stat_activity where application_name = 'pg_restore'\"").toString().trim()).toBe('0');
    });
  });

  it('refuses a dump from a newer major version than the server, before touching it', async () => {
    const dump = dumpOf('shop-db-1', 'shop', 'chinook');
    const at = dump.indexOf('15.');
    dump.write('99', at, 'latin1');
    const newer = await storeItem(vault, item, 'postgres', { database: 'chinook', container: 'shop-db-1' }, dump);
    const res = await cli(lab.home, lab.vaultDir, ['restore', newer.slice(0, 8), item, '--to-database', 'lbtest_never']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the dump is from PostgreSQL 99\.\d+.*newer than the target server shop-db-1 \(PostgreSQL 15/);
    expect(execIn('shop-db-1', "psql -XAt -U shop -d postgres -c \"select count(*) from pg_database where datname = 'lbtest_never'\"").toString().trim()).toBe('0');
  });

  it('restores to a different host entry of the lab (labuser over SSH, in the docker group) into another container', async () => {
    const { ssh } = (await import('../../helpers/lab')).labInfo();
    await lab.engine.hosts.add('lab-labuser', `ssh://labuser@${ssh.host}:${ssh.port}`, { identityFile: ssh.identityFile, fingerprints: [ssh.hostKeyFingerprint] });
    const out = await lab.engine.call('restore', { vault: lab.vaultDir, passphrase: 'restore test passphrase', snapshot: snap, item, host: 'lab-labuser', target: { container: copy.name, database: 'lbtest_other_host' } });
    expect(out.host).toBe('lab-labuser');
    expect(await liveStats('postgres', copy.name, 'lbtest_other_host')).toEqual(source);
  });

  it('drill passes on a good backup and fails (exit 1, clear report) on a tampered one', async () => {
    const good = await cli(lab.home, lab.vaultDir, ['drill', snap.slice(0, 8), item]);
    expect(good.stdout).toMatch(/PASSED/);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/public\.playlist_track\s+8715\s+8715\s+same\s+ok/);
    // Tampered: the dump lost a row, the recorded numbers are the original ones.
    execIn(copy.name, 'dropdb -U shop --if-exists lbtest_tamper && createdb -U shop lbtest_tamper && pg_restore -U shop -d lbtest_tamper', dumpOf('shop-db-1', 'shop', 'chinook'));
    execIn(copy.name, "psql -q -U shop -d lbtest_tamper -c 'delete from playlist_track where playlist_id = 18'");
    const bad = await storeItem(vault, item, 'postgres', dbInfo('postgres', 'chinook', 'shop-db-1', source), dumpOf(copy.name, 'shop', 'lbtest_tamper'));
    const res = await cli(lab.home, lab.vaultDir, ['drill', bad.slice(0, 8), item]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/FAILED/);
    expect(res.stdout).toMatch(/problem: public\.playlist_track: row counts differ \(expected 8715 rows, got 8714\)/);
    const history = await cli(lab.home, lab.vaultDir, ['drills', '--json']);
    const reports = (JSON.parse(history.stdout) as { reports: { ok: boolean }[] }).reports;
    expect(reports.map((r) => r.ok)).toEqual([false, true]);
    const left = await labDocker.listContainers({ all: true, filters: { label: ['org.lifeboat.role=drill'] } });
    expect(left).toEqual([]);
  });
});
