import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Vault } from '../../../src-main/vault/vault';
import { dbInfo, dbLab, execIn, liveStats, passphrase, storeItem, throwawayServer } from './db-helpers';

describe('PostgreSQL: the wiki round trip and @globals', () => {
  let lab: Awaited<ReturnType<typeof dbLab>>;
  let vault: Vault;
  let pg: { name: string; remove(): void };
  const psql = (container: string, sql: string) => execIn(container, `psql -XAtq -U shop -d postgres -c "${sql}"`).toString().trim();

  beforeAll(async () => {
    lab = await dbLab();
    vault = await lab.vault();
    pg = await throwawayServer('postgres', 'pg-globals', ['POSTGRES_USER=shop', 'POSTGRES_PASSWORD=lbtest-pw']);
  });
  afterAll(async () => {
    pg?.remove();
    await lab?.close();
  });

  it('wiki (schemas, sequences, bytea, jsonb, a view) into a new database: every table equal, rows and ordered hashes', async () => {
    const source = await liveStats('postgres', 'wiki-db-1', 'wiki');
    const snap = await storeItem(vault, 'wiki/postgres:wiki', 'postgres', dbInfo('postgres', 'wiki', 'wiki-db-1', source), execIn('wiki-db-1', 'pg_dump -Fc -Z0 -U wiki wiki'));
    try {
      const out = await lab.engine.call('restore', { vault: lab.vaultDir, passphrase, snapshot: snap, item: 'wiki/postgres:wiki', target: { database: 'lbtest_wiki_new' } });
      expect(out.report?.warnings).toEqual([]);
      expect(await liveStats('postgres', 'wiki-db-1', 'lbtest_wiki_new')).toEqual(source);
      expect(execIn('wiki-db-1', 'psql -XAt -U wiki -d lbtest_wiki_new -c "select count(*) from page_stats"').toString().trim()).toBe('300');
    } finally {
      execIn('wiki-db-1', 'dropdb -U wiki --if-exists lbtest_wiki_new');
    }
  });

  it('@globals: preview lists the missing role, applying needs yes, existing roles keep their passwords', async () => {
    psql(pg.name, "create role lbtest_reader login password 'reader-pw'");
    const globals = execIn(pg.name, 'pg_dumpall -U shop --globals-only');
    psql(pg.name, 'drop role lbtest_reader');
    const shopHash = psql(pg.name, "select rolpassword from pg_authid where rolname = 'shop'");
    const snap = await storeItem(vault, 'lbtest/postgres:@globals', 'postgres', { format: 'pg_dumpall --globals-only', database: '@globals', container: pg.name }, globals);
    const request = { vault: lab.vaultDir, passphrase, snapshot: snap, item: 'lbtest/postgres:@globals' };
    const preview = await lab.engine.call('restore', { ...request, dryRun: true });
    expect(preview.preview?.creates).toEqual(['role lbtest_reader']);
    expect(preview.preview?.details).toContainEqual({ name: 'shop', snapshot: 'role', live: 'exists (kept)', differs: false });
    await expect(lab.engine.call('restore', request)).rejects.toThrow(/needs confirmation/);
    expect(psql(pg.name, "select count(*) from pg_roles where rolname = 'lbtest_reader'")).toBe('0');
    const out = await lab.engine.call('restore', { ...request, yes: true });
    expect(out.report?.summary).toMatch(/created 1 role\(s\) on .* \(lbtest_reader\); kept 1 existing/);
    expect(psql(pg.name, "select rolcanlogin from pg_roles where rolname = 'lbtest_reader'")).toBe('t');
    expect(psql(pg.name, "select rolpassword from pg_authid where rolname = 'shop'")).toBe(shopHash);
  });
});
