import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MasterKeys } from './crypto';
import { type Snapshot, byTime, listSnapshotIds, manifestSchema, readSnapshot } from './snapshots';
import type { VaultStorage } from './storage';

/** The parts of an open vault the catalog reads. */
export interface CatalogSource {
  readonly storage: VaultStorage;
  readonly master: MasterKeys;
  readonly config: { readonly id: string };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS vaults (
  id INTEGER PRIMARY KEY, vault_id TEXT NOT NULL, path TEXT NOT NULL, UNIQUE (vault_id, path));
CREATE TABLE IF NOT EXISTS snapshots (
  vault INTEGER NOT NULL REFERENCES vaults(id), id TEXT NOT NULL, time TEXT NOT NULL, host TEXT NOT NULL,
  tags TEXT NOT NULL, size INTEGER NOT NULL, manifest TEXT NOT NULL, PRIMARY KEY (vault, id));
CREATE TABLE IF NOT EXISTS items (
  vault INTEGER NOT NULL, snapshot TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, type TEXT NOT NULL,
  size INTEGER NOT NULL, PRIMARY KEY (vault, snapshot, name));
CREATE TABLE IF NOT EXISTS drills (
  vault INTEGER NOT NULL, id TEXT NOT NULL, time TEXT NOT NULL, snapshot TEXT NOT NULL, item TEXT NOT NULL,
  ok INTEGER NOT NULL, report TEXT NOT NULL, PRIMARY KEY (vault, id));
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL, lane TEXT NOT NULL, status TEXT NOT NULL,
  created TEXT NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_logs (
  job TEXT NOT NULL, seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS job_logs_job ON job_logs (job, seq);
`;

/** A job's state as the catalog keeps it (the jobs-contract JobState, stored as JSON). */
export interface JobRow {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly lane: string;
  readonly status: string;
  readonly createdAt: string;
}

/** One log line of a job. */
export interface JobLogRow {
  readonly jobId: string;
  readonly at: string;
  readonly level: string;
  readonly message: string;
}

/**
 * The snapshot list as a better-sqlite3 cache (docs/vault-format.md, The catalog). Rows are
 * keyed by vault id and path; `sync` reconciles with the vault's snapshot files, `rebuild`
 * starts from nothing. Losing the file loses nothing.
 */
export class Catalog {
  private readonly db: Database.Database;

  private constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  /** Opens (creating if needed) the catalog file. */
  static open(file: string): Catalog {
    return new Catalog(file);
  }

  private vaultRow(source: Pick<CatalogSource, 'storage' | 'config'>): number {
    const path = resolve(source.storage.root);
    this.db.prepare('INSERT OR IGNORE INTO vaults (vault_id, path) VALUES (?, ?)').run(source.config.id, path);
    const row = this.db.prepare('SELECT id FROM vaults WHERE vault_id = ? AND path = ?').get(source.config.id, path) as { id: number };
    return row.id;
  }

  /** Adds one committed snapshot. */
  add(source: CatalogSource, snapshot: Snapshot): void {
    const vault = this.vaultRow(source);
    const { id, ...manifest } = snapshot;
    const size = snapshot.items.reduce((n, i) => n + i.size, 0);
    const insert = this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO snapshots (vault, id, time, host, tags, size, manifest) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(vault, id, snapshot.time, snapshot.host, JSON.stringify(snapshot.tags), size, JSON.stringify(manifest));
      const item = this.db.prepare('INSERT OR REPLACE INTO items (vault, snapshot, name, kind, type, size) VALUES (?, ?, ?, ?, ?, ?)');
      for (const i of snapshot.items) item.run(vault, id, i.name, i.kind, i.type, i.size);
    });
    insert();
  }

  /** Removes rows of snapshots that no longer exist. */
  remove(source: CatalogSource, ids: readonly string[]): void {
    const vault = this.vaultRow(source);
    const del = this.db.transaction(() => {
      for (const id of ids) {
        this.db.prepare('DELETE FROM snapshots WHERE vault = ? AND id = ?').run(vault, id);
        this.db.prepare('DELETE FROM items WHERE vault = ? AND snapshot = ?').run(vault, id);
      }
    });
    del();
  }

  /** Snapshots as the catalog has them, oldest first (no vault access). */
  list(source: CatalogSource): Snapshot[] {
    const vault = this.vaultRow(source);
    const rows = this.db.prepare('SELECT id, manifest FROM snapshots WHERE vault = ?').all(vault) as { id: string; manifest: string }[];
    return rows.map((r) => ({ id: r.id, ...manifestSchema.parse(JSON.parse(r.manifest)) })).sort(byTime);
  }

  /** Reconciles with the vault: new snapshot files are read, vanished ones dropped. */
  async sync(source: CatalogSource): Promise<Snapshot[]> {
    const vault = this.vaultRow(source);
    const onDisk = new Set(await listSnapshotIds(source.storage));
    const known = new Set((this.db.prepare('SELECT id FROM snapshots WHERE vault = ?').all(vault) as { id: string }[]).map((r) => r.id));
    const gone = [...known].filter((id) => !onDisk.has(id));
    if (gone.length > 0) this.remove(source, gone);
    for (const id of onDisk) if (!known.has(id)) this.add(source, await readSnapshot(source.storage, source.master, id));
    return this.list(source);
  }

  /** Forgets everything about this vault and reads every manifest again. */
  async rebuild(source: CatalogSource): Promise<Snapshot[]> {
    const vault = this.vaultRow(source);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM snapshots WHERE vault = ?').run(vault);
      this.db.prepare('DELETE FROM items WHERE vault = ?').run(vault);
    })();
    return this.sync(source);
  }

  /**
   * Stores a drill report (JSON). Drills are history, not a cache of the vault: `rebuild`
   * keeps them, and they outlive the snapshot they tested.
   */
  addDrill(source: Pick<CatalogSource, 'storage' | 'config'>, report: { id: string; time: string; snapshot: string; item: string; ok: boolean }): void {
    const vault = this.vaultRow(source);
    this.db
      .prepare('INSERT OR REPLACE INTO drills (vault, id, time, snapshot, item, ok, report) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(vault, report.id, report.time, report.snapshot, report.item, report.ok ? 1 : 0, JSON.stringify(report));
  }

  /** Drill reports of this vault, newest first, optionally for one item. */
  listDrills(source: Pick<CatalogSource, 'storage' | 'config'>, options: { item?: string; limit?: number } = {}): unknown[] {
    const vault = this.vaultRow(source);
    const where = options.item === undefined ? '' : ' AND item = ?';
    const args: (string | number)[] = [vault, ...(options.item === undefined ? [] : [options.item]), options.limit ?? 50];
    const rows = this.db.prepare(`SELECT report FROM drills WHERE vault = ?${where} ORDER BY time DESC LIMIT ?`).all(...args) as { report: string }[];
    return rows.map((r) => JSON.parse(r.report) as unknown);
  }

  /**
   * Records a job's latest state (history, like drills: not a cache of the vault, so `rebuild`
   * keeps it). Callers pass states without secrets; the runner never puts any in them.
   */
  putJob(job: JobRow): void {
    this.db
      .prepare('INSERT OR REPLACE INTO jobs (id, kind, label, lane, status, created, state) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(job.id, job.kind, job.label, job.lane, job.status, job.createdAt, JSON.stringify(job));
  }

  /** Appends one log line of a job. */
  addJobLog(line: JobLogRow): void {
    this.db.prepare('INSERT INTO job_logs (job, at, level, message) VALUES (?, ?, ?, ?)').run(line.jobId, line.at, line.level, line.message);
  }

  /** Recorded jobs, newest first, each with its number of log lines. */
  listJobs(limit = 50): { state: unknown; logLines: number }[] {
    const rows = this.db
      .prepare('SELECT j.state AS state, (SELECT count(*) FROM job_logs l WHERE l.job = j.id) AS n FROM jobs j ORDER BY j.created DESC, j.id LIMIT ?')
      .all(limit) as { state: string; n: number }[];
    return rows.map((r) => ({ state: JSON.parse(r.state) as unknown, logLines: r.n }));
  }

  /** The log of one job, in order. */
  jobLogs(jobId: string): JobLogRow[] {
    return this.db.prepare('SELECT job AS jobId, at, level, message FROM job_logs WHERE job = ? ORDER BY seq').all(jobId) as JobLogRow[];
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}
