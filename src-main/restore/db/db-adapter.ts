import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { RunOptions } from '../../databases/container-run';
import type { TableStats } from '../../databases/table-stats';
import type { RemoteProcess } from '../../hosts/remote-process';
import type { DbItemFacts } from './item-facts';

/** A database server in a container, reached through `docker exec`. */
export interface DbServer {
  readonly docker: Docker;
  readonly container: string;
}

/** Produces a fresh stream of the stored dump each time it is called (a restore may read it twice). */
export type DumpSource = () => Readable;

/** Facts gathered before anything is written (for pg: which owners exist; for mysql: nothing). */
export interface LoadPlan {
  readonly noOwner: boolean;
  readonly warnings: string[];
  /** Tables the dump holds, when the engine can tell without reading it all. */
  readonly tables?: string[];
  /** Per-database settings of the live database, to recreate it alike on rollback (MySQL). */
  readonly like?: { readonly charset: string; readonly collation: string };
}

/**
 * What differs between PostgreSQL and MySQL/MariaDB; the restore, rollback and drill flows in
 * db-restore.ts and db-drill.ts are written once against this.
 */
export interface DbAdapter {
  readonly engine: 'postgres' | 'mysql';
  /** Human name, e.g. "PostgreSQL". */
  readonly label: string;
  /** Refuses a dump from a newer major version than the server; returns notes. */
  checkVersion(server: DbServer, head: Buffer, facts: DbItemFacts, signal?: AbortSignal): Promise<string[]>;
  plan(server: DbServer, dump: DumpSource, facts: DbItemFacts, signal?: AbortSignal): Promise<LoadPlan>;
  databaseExists(server: DbServer, name: string, signal?: AbortSignal): Promise<boolean>;
  /** Creates an empty database, like `original` where the engine keeps per-database settings. */
  createDatabase(server: DbServer, name: string, original: string | undefined, signal?: AbortSignal): Promise<void>;
  dropDatabase(server: DbServer, name: string): Promise<void>;
  /** Loads a dump into `database`; `inPlace` replaces the objects the dump holds. */
  load(server: DbServer, database: string, dump: Readable, inPlace: boolean, plan: LoadPlan, options: Pick<RunOptions, 'signal' | 'onStart'>): Promise<void>;
  /** Puts a safety dump back so the database is exactly as it was (no signal: it must finish). */
  rollback(server: DbServer, database: string, safety: Readable, plan: LoadPlan, options: Pick<RunOptions, 'onStart'>): Promise<void>;
  /** Starts a dump of `database` for the safety copy (same format as backups). */
  dump(server: DbServer, database: string, signal?: AbortSignal): Promise<RemoteProcess>;
  /** Throws unless the first bytes look like this engine's dump. */
  verifyHead(head: Buffer): void;
  tableStats(server: DbServer, database: string, withChecksums: boolean, signal?: AbortSignal): Promise<TableStats>;
  /** Environment of a drill's scratch server, from the original container's (secret files dropped). */
  scratchEnv(originalEnv: readonly string[]): string[];
  /** A note for restores under another database name (MySQL: definers' grants name the old one). */
  renameWarning?(original: string, name: string): string;
  /** Exits 0 once the scratch server accepts connections over TCP (not the init-time socket server). */
  readonly readyProbe: readonly string[];
}

/** Faults tests inject into the restore flow (see test/integration/restore). */
export interface DbSinkHooks {
  /** Wraps the stored dump before it reaches the server (corrupt or truncate it). */
  dump?(stream: Readable, purpose: 'restore' | 'rollback'): Readable;
  /** Sees each step start, with its remote process where there is one. */
  step?(step: 'safety-dump' | 'restore' | 'rollback', proc?: RemoteProcess): void | Promise<void>;
}

/** Env entries without `*_FILE` indirections (the secret files are not mounted in a scratch). */
export function withoutFileSecrets(env: readonly string[]): string[] {
  return env.filter((e) => !/^[A-Z0-9_]+_FILE=/.test(e));
}
