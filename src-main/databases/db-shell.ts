import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import { type RunOptions, type RunResult, expectOk, runInContainer } from './container-run';

/**
 * PostgreSQL credentials read inside the container from its own environment (POSTGRES_USER,
 * POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE), exported for libpq: no password ever passes
 * through Lifeboat, an argument list or a log.
 */
export const pgPrelude = [
  'PGUSER="${POSTGRES_USER:-postgres}"; export PGUSER',
  'if [ -n "${POSTGRES_PASSWORD_FILE:-}" ] && [ -r "$POSTGRES_PASSWORD_FILE" ]; then PGPASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"; else PGPASSWORD="${POSTGRES_PASSWORD:-}"; fi',
  'if [ -n "$PGPASSWORD" ]; then export PGPASSWORD; else unset PGPASSWORD; fi',
].join('\n');

/**
 * MySQL/MariaDB credentials from the container's env: root's password (or the app user's when
 * there is none), handed to the client as MYSQL_PWD; `$c` is the client, `$d` the dump tool.
 */
export const mysqlPrelude = [
  'pw="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; u=root',
  'f="${MARIADB_ROOT_PASSWORD_FILE:-${MYSQL_ROOT_PASSWORD_FILE:-}}"',
  'if [ -z "$pw" ] && [ -n "$f" ] && [ -r "$f" ]; then pw="$(cat "$f")"; fi',
  'if [ -z "$pw" ] && [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}" ] && [ -n "${MARIADB_USER:-${MYSQL_USER:-}}" ]; then u="${MARIADB_USER:-$MYSQL_USER}"; pw="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi',
  'c=mariadb; command -v mariadb >/dev/null 2>&1 || c=mysql',
  'd=mariadb-dump; command -v mariadb-dump >/dev/null 2>&1 || d=mysqldump',
  'MYSQL_PWD="$pw"; export MYSQL_PWD',
].join('\n');

/** Which engine a database item belongs to. */
export type DbEngine = 'postgres' | 'mysql';

/**
 * argv for `sh -c` running `script` after the engine's credential prelude. Data (database and
 * file names) only ever travels as positional arguments `$1…`, never inside the script.
 */
export function dbArgv(engine: DbEngine, script: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', `${engine === 'postgres' ? pgPrelude : mysqlPrelude}\n${script}`, 'lifeboat', ...args];
}

const US = '\x1f';
const RS = '\x1e';

/** psql in unaligned mode with unit/record separators, so values may hold tabs and newlines. */
const psqlQuery = `exec psql -X -q -A -t -v ON_ERROR_STOP=1 -F "$(printf '\\037')" -R "$(printf '\\036')" -d "$1" -f -`;
const mysqlQuery = 'exec "$c" -u"$u" -N -B --default-character-set=utf8mb4 ${1:+"--database=$1"}';

/** Unescapes the MySQL client's batch output (`\\t`, `\\n`, `\\0`, `\\\\`). */
function unescapeMysql(value: string): string {
  return value.replace(/\\([tn0\\])/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === '0' ? '\0' : '\\'));
}

/** Splits query output into rows of fields. */
export function parseRows(engine: DbEngine | 'sqlite', out: Buffer): string[][] {
  const text = out.toString('utf8');
  if (engine === 'mysql') return text.split('\n').filter((l) => l !== '').map((l) => l.split('\t').map(unescapeMysql));
  return text
    .replace(/\n$/, '')
    .split(RS)
    .map((r) => r.replace(/^\n/, ''))
    .filter((r) => r !== '')
    .map((r) => r.split(US));
}

/**
 * Runs SQL (sent on stdin, never in argv) against a database in a container and returns the
 * rows; fails with the server's message. `database` may be omitted for MySQL.
 */
export async function queryDb(docker: Docker, container: string, engine: DbEngine, database: string | undefined, sql: string, options: RunOptions = {}): Promise<string[][]> {
  const script = engine === 'postgres' ? psqlQuery : mysqlQuery;
  const args = engine === 'postgres' ? [database ?? 'postgres'] : database === undefined ? [] : [database];
  const result: RunResult = await runInContainer(docker, container, dbArgv(engine, script, args), { ...options, stdin: Buffer.from(sql, 'utf8') });
  expectOk(result, `a query in ${container}`);
  return parseRows(engine, result.stdout);
}

/**
 * Refuses database names that the client tools would read as something else: libpq expands a
 * `-d` value holding `=` or a URI into connection options, and a leading `-` reads as a flag.
 */
export function assertDbName(name: string, what = 'database name'): string {
  if (name.length === 0 || name.length > 63 || /[=\0\n\r]/.test(name) || name.startsWith('-') || /^postgres(ql)?:/i.test(name)) {
    throw new LifeboatError('unsupported', `the ${what} "${name.slice(0, 80)}" cannot be used safely with the database tools`, 'choose a name of letters, digits, "_" and "-" (--to-database NAME)');
  }
  return name;
}

/** Quotes a PostgreSQL identifier. */
export function pgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a MySQL identifier. */
export function mysqlIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** Quotes a SQL string literal (standard SQL; MySQL also needs backslashes doubled). */
export function sqlString(value: string, engine: DbEngine | 'sqlite' = 'postgres'): string {
  const v = engine === 'mysql' ? value.replace(/\\/g, '\\\\') : value;
  return `'${v.replace(/'/g, "''")}'`;
}
