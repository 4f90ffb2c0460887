import type Docker from 'dockerode';
import type { RunOptions } from './container-run';
import { mysqlIdent, queryDb } from './db-shell';

/** Per-table facts: exact row count and, where asked, an ordered content checksum. */
export type TableStats = Record<string, { rows: number; checksum?: string }>;

/** Names the checksum so two sides compare only like with like. */
export const checksumMethods = { postgres: 'pg-md5-sorted-row-md5-v1', mysql: 'mysql-checksum-table-v1', sqlite: 'none' } as const;

/**
 * The session settings that make a row's text form independent of the server's config
 * (time zone, date style, float digits, bytea format).
 */
const pgSession = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex';";

/**
 * One query for every user table: `schema.table`, exact `count(*)` and optionally
 * md5 over the sorted md5s of each row's text (`row(x.*)::text`), so order, not storage,
 * decides. Identifiers are quoted by the server (`format('%I')`), never by us.
 */
export function pgStatsSql(withChecksums: boolean): string {
  const count = "format('select count(*) as c from %I.%I', schemaname, tablename)";
  const sum = "format('select coalesce(md5(string_agg(md5(row(x.*)::text), '''' order by md5(row(x.*)::text))), md5('''')) as c from %I.%I x', schemaname, tablename)";
  const cell = (q: string) => `(xpath('/row/c/text()', query_to_xml(${q}, false, true, '')))[1]::text`;
  return `${pgSession}
select schemaname || '.' || tablename, ${cell(count)}${withChecksums ? `, ${cell(sum)}` : ''}
from pg_catalog.pg_tables where schemaname not in ('pg_catalog', 'information_schema') and schemaname not like 'pg\\_temp%' order by 1;`;
}

function toStats(rows: string[][]): TableStats {
  const out: TableStats = {};
  for (const [name, count, checksum] of rows) {
    if (name === undefined || count === undefined) continue;
    out[name] = { rows: Number(count), ...(checksum ? { checksum } : {}) };
  }
  return out;
}

/** Row counts (and checksums) of every table of a PostgreSQL database in a container. */
export async function pgTableStats(docker: Docker, container: string, database: string, withChecksums: boolean, options: RunOptions = {}): Promise<TableStats> {
  return toStats(await queryDb(docker, container, 'postgres', database, pgStatsSql(withChecksums), options));
}

/** Row counts (and `CHECKSUM TABLE`) of every base table of a MySQL/MariaDB database. */
export async function mysqlTableStats(docker: Docker, container: string, database: string, withChecksums: boolean, options: RunOptions = {}): Promise<TableStats> {
  const names = (await queryDb(docker, container, 'mysql', database, "select table_name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE' order by 1;", options)).map((r) => r[0] ?? '');
  if (names.length === 0) return {};
  const counts = await queryDb(docker, container, 'mysql', database, names.map((n) => `select count(*) from ${mysqlIdent(n)};`).join('\n'), options);
  const out: TableStats = {};
  names.forEach((n, i) => (out[n] = { rows: Number(counts[i]?.[0] ?? NaN) }));
  if (withChecksums) {
    const sums = await queryDb(docker, container, 'mysql', database, `checksum table ${names.map(mysqlIdent).join(', ')};`, options);
    names.forEach((n, i) => {
      const value = sums[i]?.[1];
      if (value !== undefined && value !== 'NULL' && out[n]) out[n] = { ...out[n], checksum: value };
    });
  }
  return out;
}

/** SQL listing the user tables of a SQLite file. */
export const sqliteTablesSql = "select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by 1;";

/** SQL counting the rows of the given SQLite tables, one row per table in order. */
export function sqliteCountSql(tables: readonly string[]): string {
  return tables.map((t) => `select count(*) from "${t.replace(/"/g, '""')}";`).join('\n');
}

/**
 * Normalises table names recorded by a source: PostgreSQL names without a schema are in
 * `public`. Accepts `{ "t": 3 }` or `{ "t": { "rows": 3, "checksum": "…" } }` as JSON text.
 */
export function parseRecordedStats(engine: 'postgres' | 'mysql' | 'sqlite', rowsJson: string | undefined, checksumsJson?: string): TableStats | undefined {
  if (!rowsJson) return undefined;
  let rows: unknown;
  let sums: unknown = {};
  try {
    rows = JSON.parse(rowsJson);
    if (checksumsJson) sums = JSON.parse(checksumsJson);
  } catch {
    return undefined;
  }
  if (typeof rows !== 'object' || rows === null) return undefined;
  const out: TableStats = {};
  const key = (name: string) => (engine === 'postgres' && !name.includes('.') ? `public.${name}` : name);
  for (const [name, value] of Object.entries(rows as Record<string, unknown>)) {
    const entry = typeof value === 'number' ? { rows: value } : (value as { rows?: unknown; checksum?: unknown });
    if (typeof entry.rows !== 'number') continue;
    const checksum = typeof entry.checksum === 'string' ? entry.checksum : (sums as Record<string, unknown>)[name];
    out[key(name)] = { rows: entry.rows, ...(typeof checksum === 'string' ? { checksum } : {}) };
  }
  return out;
}
