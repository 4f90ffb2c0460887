import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableStats } from '../../../src-main/databases/table-stats';
import { createDbSink } from '../../../src-main/restore/db/database-sinks';
import { mysqlAdapter } from '../../../src-main/restore/db/mysql-adapter';
import type { Vault } from '../../../src-main/vault/vault';
import { testJob } from '../sync/pull-helpers';
import { cli, dbInfo, dbLab, execIn, liveStats, storeItem, throwawayServer, truncate } from './db-helpers';

const item = 'photos/mysql:photos';
const root = (sql: string) => `MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb -uroot -e "${sql}"`;
const dumpPhotos = (container: string, db = 'photos', databases = true) =>
  execIn(container, `MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb-dump -uroot --single-transaction --routines --events --triggers ${databases ? '--databases ' : ''}${db}`);

describe('MySQL/MariaDB restore on the lab', () => {
  let lab: Awaited<ReturnType<typeof dbLab>>;
  let vault: Vault;
  let source: TableStats;
  let snap: string;
  let copy: { name: string; remove(): void };

  beforeAll(async () => {
    lab = await dbLab();
    vault = await lab.vault();
    source = await liveStats('mysql', 'photos-db-1', 'photos');
    // A --databases dump (CREATE DATABASE/USE lines) exercises the retargeting to another name.
    snap = await storeItem(vault, item, 'mysql', dbInfo('mysql', 'photos', 'photos-db-1', source), dumpPhotos('photos-db-1'));
    copy = await throwawayServer('mysql', 'my-inplace', ['MARIADB_ROOT_PASSWORD=lbtest-root', 'MARIADB_DATABASE=photos']);
    execIn(copy.name, 'MYSQL_PWD="$MARIADB_ROOT_PASSWORD" mariadb -uroot', dumpPhotos('photos-db-1'));
  });
  afterAll(async () => {
    copy?.remove();
    await lab?.close();
  });

  it('restores photos into a new database in the same container: tables, rows, CHECKSUM TABLE and the view equal', async () => {
    const res = await cli(lab.home, lab.vaultDir, ['restore', snap.slice(0, 8), item, '--to-database', 'lbtest_photos_new']);
    try {
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/into the new database photos-db-1\/lbtest_photos_new/);
      expect(res.stdout).toMatch(/warning: views, routines and triggers keep their DEFINER/);
      expect(await liveStats('mysql', 'photos-db-1', 'lbtest_photos_new')).toEqual(source);
      expect(execIn('photos-db-1', root("select table_name from information_schema.views where table_schema = 'lbtest_photos_new'")).toString()).toMatch(/album_counts/);
      // The original database is untouched.
      expect(await liveStats('mysql', 'photos-db-1', 'photos')).toEqual(source);
    } finally {
      execIn('photos-db-1', root('drop database if exists lbtest_photos_new'));
    }
  });

  it('in place: the changed database becomes the snapshot again; a failed load is rolled back exactly', async () => {
    execIn(copy.name, root('delete from photos.tags where photo_id % 3 = 0; update photos.albums set title = concat(title, \'!\'); create table photos.extra (x int)'));
    const changed = await liveStats('mysql', copy.name, 'photos');
    const v = await lab.vault();
    const snapshot = await v.snapshot(snap);
    const host = await lab.engine.hosts.open('lab', {});
    const ctx = { host, vault: v, snapshot, item: v.item(snapshot, item), target: { mode: 'in-place' as const, container: copy.name }, job: testJob() };
    try {
      const cut = createDbSink(mysqlAdapter, { dump: (s, purpose) => (purpose === 'restore' ? truncate(s, 150_000) : s) });
      await expect(cut.restore(ctx)).rejects.toThrow(/rolled back to its safety copy/);
      expect(await liveStats('mysql', copy.name, 'photos')).toEqual(changed);
      const report = await createDbSink(mysqlAdapter).restore(ctx);
      expect(report.safetyCopy).toBeDefined();
      const { extra, ...rest } = await liveStats('mysql', copy.name, 'photos');
      expect(rest).toEqual(source);
      expect(extra?.rows).toBe(0);
    } finally {
      host.close();
    }
  });

  it('drill passes on a good backup', async () => {
    const res = await cli(lab.home, lab.vaultDir, ['drill', snap.slice(0, 8), item, '--json']);
    const report = JSON.parse(res.stdout) as { ok: boolean; basis: string; checks: { name: string; ok: boolean; checksum?: string }[] };
    expect(report.ok).toBe(true);
    expect(report.basis).toBe('backup');
    expect(report.checks.map((c) => c.name)).toEqual(['albums', 'photos', 'tags']);
    expect(report.checks.every((c) => c.ok && c.checksum)).toBe(true);
    expect(res.code).toBe(0);
  });
});
