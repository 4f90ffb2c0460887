import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../../api/errors';
import { type RunOptions, expectOk, runInContainer } from '../../databases/container-run';
import { assertDbName, dbArgv, queryDb, sqlString } from '../../databases/db-shell';
import { containerSpawn } from '../../hosts/docker-spawn';
import type { RemoteProcess } from '../../hosts/remote-process';

/** A PostgreSQL server reached through `docker exec` in its container. */
export interface PgServer {
  readonly docker: Docker;
  readonly container: string;
}

/** `server_version_num` and the human version of the server. */
export async function pgServerVersion(pg: PgServer, signal?: AbortSignal): Promise<{ num: number; text: string }> {
  const rows = await queryDb(pg.docker, pg.container, 'postgres', 'postgres', "select current_setting('server_version_num'), current_setting('server_version');", signal ? { signal } : {});
  const [num, text] = rows[0] ?? [];
  return { num: Number(num), text: text ?? '' };
}

/** Whether a database exists on the server. */
export async function pgDatabaseExists(pg: PgServer, name: string, signal?: AbortSignal): Promise<boolean> {
  const rows = await queryDb(pg.docker, pg.container, 'postgres', 'postgres', `select 1 from pg_database where datname = ${sqlString(name)};`, signal ? { signal } : {});
  return rows.length > 0;
}

/** Role names on the server. */
export async function pgRoles(pg: PgServer, signal?: AbortSignal): Promise<Set<string>> {
  const rows = await queryDb(pg.docker, pg.container, 'postgres', 'postgres', 'select rolname from pg_roles;', signal ? { signal } : {});
  return new Set(rows.map((r) => r[0] ?? ''));
}

/** Creates an empty database from template0 (names pass as arguments, never into SQL). */
export async function pgCreateDatabase(pg: PgServer, name: string, signal?: AbortSignal): Promise<void> {
  assertDbName(name);
  expectOk(await runInContainer(pg.docker, pg.container, dbArgv('postgres', 'exec createdb -T template0 -- "$1"', [name]), signal ? { signal } : {}), `creating database "${name}"`);
}

/** Drops a database (cleanup after a failed restore into a new one). */
export async function pgDropDatabase(pg: PgServer, name: string): Promise<void> {
  assertDbName(name);
  expectOk(await runInContainer(pg.docker, pg.container, dbArgv('postgres', 'exec dropdb --if-exists -- "$1"', [name])), `dropping database "${name}"`);
}

/** One line of `pg_restore --list`. */
export interface TocEntry {
  readonly desc: string;
  readonly schema: string;
  readonly name: string;
  readonly owner?: string;
}

/** What `pg_restore --list` says about an archive. */
export interface PgToc {
  readonly serverVersion?: string;
  readonly entries: TocEntry[];
  /** `schema.table` of every TABLE DATA entry. */
  readonly tables: string[];
  readonly owners: string[];
}

const descs = ['TABLE DATA', 'SEQUENCE SET', 'SEQUENCE OWNED BY', 'FK CONSTRAINT', 'DEFAULT ACL', 'MATERIALIZED VIEW DATA', 'LARGE OBJECT', 'BLOB', 'BLOBS', 'TABLE ATTACH', 'INDEX ATTACH', 'SHELL TYPE', 'FOREIGN TABLE', 'FOREIGN DATA WRAPPER', 'FOREIGN SERVER', 'USER MAPPING', 'EVENT TRIGGER', 'TEXT SEARCH CONFIGURATION', 'TEXT SEARCH DICTIONARY', 'TEXT SEARCH PARSER', 'TEXT SEARCH TEMPLATE', 'ACCESS METHOD', 'OPERATOR CLASS', 'OPERATOR FAMILY', 'MATERIALIZED VIEW', 'PUBLICATION TABLE', 'PUBLICATION TABLES IN SCHEMA', 'DATABASE PROPERTIES', 'ENCODING', 'STDSTRINGS', 'SEARCHPATH'];

/** Parses `pg_restore --list` output (pure). Owners are the last word of an entry, absent when the line ends in a space. */
export function parseToc(text: string): PgToc {
  const entries: TocEntry[] = [];
  const serverVersion = /^;\s+Dumped from database version: (.+)$/m.exec(text)?.[1]?.trim();
  for (const line of text.split('\n')) {
    const m = /^\d+; \d+ \d+ (.*)$/.exec(line);
    if (!m?.[1]) continue;
    const rest = m[1];
    const desc = descs.find((d) => rest.startsWith(`${d} `)) ?? rest.split(' ')[0] ?? '';
    const words = rest.slice(desc.length + 1);
    const hasOwner = !words.endsWith(' ');
    const parts = words.trimEnd().split(' ');
    const schema = parts[0] ?? '-';
    const owner = hasOwner && parts.length >= 3 ? parts[parts.length - 1] : undefined;
    const name = parts.slice(1, owner === undefined ? undefined : -1).join(' ');
    entries.push({ desc, schema, name, ...(owner ? { owner } : {}) });
  }
  const tables = entries.filter((e) => e.desc === 'TABLE DATA').map((e) => `${e.schema}.${e.name}`);
  const owners = [...new Set(entries.map((e) => e.owner).filter((o): o is string => Boolean(o)))];
  return { ...(serverVersion ? { serverVersion } : {}), entries, tables, owners };
}

/**
 * Runs `pg_restore --list` on the archive streamed to the container. pg_restore reads only
 * the header and table of contents, then exits; the rest of the stream is dropped.
 */
export async function pgRestoreList(pg: PgServer, archive: Readable, signal?: AbortSignal): Promise<PgToc> {
  const result = await runInContainer(pg.docker, pg.container, dbArgv('postgres', 'exec pg_restore --list'), { stdin: archive, ...(signal ? { signal } : {}) });
  expectOk(result, 'reading the dump\'s table of contents (pg_restore --list)', 'the stored dump may be damaged; run "lifeboat check --read-data"');
  return parseToc(result.stdout.toString('utf8'));
}

/** How pg_restore is run. */
export interface PgRestoreFlags {
  /** Drop objects before recreating them (in place). */
  readonly clean: boolean;
  /** Leave ownership and grants to the restoring user (roles missing on the target). */
  readonly noOwner: boolean;
}

/**
 * Restores an archive streamed from the vault into `database` in one transaction that stops
 * at the first error: it either all lands or nothing does.
 */
export async function pgRestoreInto(pg: PgServer, database: string, archive: Readable, flags: PgRestoreFlags, options: Pick<RunOptions, 'signal' | 'onStart'> = {}): Promise<void> {
  assertDbName(database);
  const args = ['--single-transaction', '--exit-on-error', ...(flags.clean ? ['--clean', '--if-exists'] : []), ...(flags.noOwner ? ['--no-owner', '--no-privileges'] : [])];
  const script = `db="$1"; shift; exec pg_restore "$@" -d "$db"`;
  const result = await runInContainer(pg.docker, pg.container, dbArgv('postgres', script, [database, ...args]), { stdin: archive, ...options });
  expectOk(result, `pg_restore into "${database}" in ${pg.container}`, 'the restore ran in one transaction, so the database is as it was before this step');
}

/** Starts `pg_dump -Fc -Z0` of a database; stdout is the archive. */
export function pgDumpProcess(pg: PgServer, database: string, signal?: AbortSignal): Promise<RemoteProcess> {
  assertDbName(database);
  return containerSpawn(pg.docker, pg.container, dbArgv('postgres', 'exec pg_dump -Fc -Z0 -d "$1"', [database]), signal ? { signal } : {});
}

/** A clear refusal for a dump from a newer major version than the server. */
export function newerMajorError(dumpVersion: string, serverVersion: string, container: string): LifeboatError {
  return new LifeboatError(
    'unsupported',
    `the dump is from PostgreSQL ${dumpVersion}, newer than the target server ${container} (PostgreSQL ${serverVersion}); a restore into an older major version is refused`,
    'restore into a server of the same or a newer major version (--host/--to-container), or upgrade the target server first',
  );
}
