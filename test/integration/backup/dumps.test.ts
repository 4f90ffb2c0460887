import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupSummary } from '../../../src-main/api/backup-contract';
import type { Snapshot, TreeEntry } from '../../../src-main/vault/snapshots';
import type { Vault } from '../../../src-main/vault/vault';
import { labInfo } from '../../helpers/lab';
import { dbLab, execIn } from '../restore/db-helpers';
import { type BackupLab, backup, recordedRows, statuses, storedBytes } from './backup-helpers';

interface LabStacks {
  stacks: Record<string, { envFile: string; workingDir: string; databases?: { rows: Record<string, number> }[]; sqlite?: { rows: Record<string, number> }[] }>;
}

const items = ['wiki/postgres:wiki', 'wiki/postgres:@globals', 'shop/postgres:chinook', 'photos/mysql:photos', 'notes/sqlite:notes_data/notes.sqlite', 'wiki/secrets:compose', 'wiki/secrets:certs'];

describe('backing up the seeded lab: every dump kind and secrets', () => {
  const lab = labInfo() as unknown as ReturnType<typeof labInfo> & LabStacks;
  let env: BackupLab;
  let summary: BackupSummary;
  let vault: Vault;
  let snapshot: Snapshot;

  beforeAll(async () => {
    env = await dbLab();
    summary = await backup(env, items, { tags: ['test'] });
    vault = await env.vault();
    snapshot = await vault.snapshot(summary.snapshot ?? 'latest');
  });
  afterAll(async () => env?.close());

  const info = (name: string) => snapshot.items.find((i) => i.name === name)?.info ?? {};

  it('saves every item into one snapshot of host "lab"', () => {
    expect(statuses(summary)).toEqual(Object.fromEntries(items.map((i) => [i, 'succeeded'])));
    expect(summary.status).toBe('succeeded');
    expect(snapshot.host).toBe('lab');
    expect(snapshot.tags).toEqual(['test']);
    expect(snapshot.items.map((i) => i.name).sort()).toEqual([...items].sort());
  });

  it('stores pg_dump -Fc archives that pg_restore --list accepts, with the lab\'s row counts', async () => {
    for (const [name, container, table] of [['shop/postgres:chinook', 'shop-db-1', 'TABLE DATA public track'], ['wiki/postgres:wiki', 'wiki-db-1', 'TABLE DATA audit events']] as const) {
      const dump = await storedBytes(vault, snapshot.id, name);
      expect(dump.subarray(0, 5).toString()).toBe('PGDMP');
      // --list stops reading after the table of contents; the rest of stdin is drained so the pipe stays whole.
      const toc = execIn(container, 'pg_restore --list; rc=$?; cat >/dev/null; exit $rc', dump).toString();
      expect(toc).toContain(table);
      expect(info(name).format).toBe('pg_dump -Fc -Z0');
      expect(info(name).serverVersion).toMatch(/^15\./);
    }
    expect(recordedRows(info('shop/postgres:chinook'))).toEqual(lab.stacks.shop?.databases?.[0]?.rows);
    expect(recordedRows(info('wiki/postgres:wiki'))).toEqual(lab.stacks.wiki?.databases?.[0]?.rows);
  });

  it('stores the roles of @globals, complete', async () => {
    const text = (await storedBytes(vault, snapshot.id, 'wiki/postgres:@globals')).toString();
    expect(text).toContain('CREATE ROLE wiki');
    expect(text).toContain('PostgreSQL database cluster dump complete');
  });

  it('stores a complete MariaDB dump with routines and events, and its row counts', async () => {
    const text = (await storedBytes(vault, snapshot.id, 'photos/mysql:photos')).toString();
    expect(text).toMatch(/^-- MariaDB dump/m);
    expect(text).toContain('CREATE TABLE `photos`');
    expect(text.trimEnd()).toMatch(/-- Dump completed on [\d-]+ +[\d:]+$/);
    expect(recordedRows(info('photos/mysql:photos'))).toEqual(lab.stacks.photos?.databases?.[0]?.rows);
  });

  it('stores a SQLite copy that passes integrity_check here, with Chinook\'s counts', async () => {
    const bytes = await storedBytes(vault, snapshot.id, 'notes/sqlite:notes_data/notes.sqlite');
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sqlite-test-'));
    try {
      writeFileSync(join(dir, 'copy.sqlite'), bytes);
      const db = new Database(join(dir, 'copy.sqlite'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('select count(*) from Track').pluck().get()).toBe(3503);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(recordedRows(info('notes/sqlite:notes_data/notes.sqlite'))).toEqual(lab.stacks.notes?.sqlite?.[0]?.rows);
    expect(info('notes/sqlite:notes_data/notes.sqlite').method).toMatch(/^online/);
  });

  it('stores secrets as a tree with modes, flagged secret, byte for byte', async () => {
    const envFile = lab.stacks.wiki?.envFile ?? '';
    const entries = new Map<string, TreeEntry>();
    for await (const e of vault.readTree(snapshot, 'wiki/secrets:compose')) entries.set(e.path, e);
    const entry = entries.get(envFile.slice(1));
    expect(entry?.mode).toBe(statSync(envFile).mode & 0o7777);
    expect(entry?.mode).toBe(0o600);
    const parts: Buffer[] = [];
    await vault.withReadLock('test', async () => {
      for await (const c of vault.readTreeFile(entry as TreeEntry, 'wiki/secrets:compose')) parts.push(c);
    });
    expect(Buffer.concat(parts).equals(readFileSync(envFile))).toBe(true);
    expect(info('wiki/secrets:compose').secret).toBe('true');
    const certs: string[] = [];
    for await (const e of vault.readTree(snapshot, 'wiki/secrets:certs')) certs.push(e.path);
    expect(certs.some((p) => p.endsWith('tls/wiki.key'))).toBe(true);
  });

  it('keeps a job log in the catalog without any secret from the servers', async () => {
    const { logs } = await env.engine.call('jobLogs', { id: summary.jobId });
    expect(logs.length).toBeGreaterThan(items.length);
    const text = logs.map((l) => l.message).join('\n');
    const secrets = readFileSync(lab.stacks.wiki?.envFile ?? '', 'utf8')
      .split('\n')
      .map((l) => l.split('=').slice(1).join('='))
      .filter((v) => v.length >= 6);
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) expect(text).not.toContain(s);
    const { jobs } = await env.engine.call('jobHistory', {});
    expect(jobs.find((j) => j.id === summary.jobId)).toMatchObject({ status: 'succeeded', kind: 'backup' });
  });
});
