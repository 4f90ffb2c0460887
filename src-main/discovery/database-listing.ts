/**
 * Asks a PostgreSQL server inside its container which databases it holds. The script is a
 * constant: user and password come from the container's own environment (POSTGRES_USER,
 * POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE), so no credential is in Lifeboat, a log or argv.
 */
export const postgresListScript = [
  'u="${POSTGRES_USER:-postgres}"',
  'if [ -n "${POSTGRES_PASSWORD_FILE:-}" ] && [ -r "$POSTGRES_PASSWORD_FILE" ]; then PGPASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"; else PGPASSWORD="${POSTGRES_PASSWORD:-}"; fi',
  'export PGPASSWORD',
  // The third column counts user tables of the database we are connected to (-1 for the others),
  // so an empty maintenance database "postgres" can be left out.
  `q="select datname, pg_database_size(datname), case when datname = current_database() then (select count(*) from pg_catalog.pg_tables where schemaname not in ('pg_catalog', 'information_schema')) else -1 end from pg_database where datallowconn and not datistemplate order by 1"`,
  'psql -X -q -A -t -F "$(printf \'\\t\')" -U "$u" -d postgres -c "$q" 2>/dev/null || exec psql -X -q -A -t -F "$(printf \'\\t\')" -U "$u" -d "${POSTGRES_DB:-$u}" -c "$q"',
].join('\n');

/**
 * The same for MySQL/MariaDB: root's password (or the app user's) from the container's env,
 * handed to the client in MYSQL_PWD (its environment), never on the command line.
 */
export const mysqlListScript = [
  'pw="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"; u=root',
  'f="${MARIADB_ROOT_PASSWORD_FILE:-${MYSQL_ROOT_PASSWORD_FILE:-}}"',
  'if [ -z "$pw" ] && [ -n "$f" ] && [ -r "$f" ]; then pw="$(cat "$f")"; fi',
  'if [ -z "$pw" ] && [ -n "${MARIADB_USER:-${MYSQL_USER:-}}" ]; then u="${MARIADB_USER:-$MYSQL_USER}"; pw="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi',
  'c=mariadb; command -v mariadb >/dev/null 2>&1 || c=mysql',
  'MYSQL_PWD="$pw"; export MYSQL_PWD',
  `exec "$c" -u"$u" -N -B -e "select s.schema_name, coalesce(sum(t.data_length + t.index_length), 0) from information_schema.schemata s left join information_schema.tables t on t.table_schema = s.schema_name group by s.schema_name order by 1"`,
].join('\n');

const mysqlSystem = new Set(['information_schema', 'performance_schema', 'mysql', 'sys']);

/** Parses `name<TAB>bytes[<TAB>tables]` lines; MySQL's system schemas and an empty `postgres` database are left out. */
export function parseDatabaseList(kind: 'postgres' | 'mysql', out: string): { name: string; sizeBytes?: number }[] {
  const dbs: { name: string; sizeBytes?: number }[] = [];
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const [name, size, tables] = line.split('\t');
    if (!name || (kind === 'mysql' && mysqlSystem.has(name))) continue;
    if (kind === 'postgres' && name === 'postgres' && tables === '0') continue;
    const bytes = Number(size);
    dbs.push(Number.isFinite(bytes) && size !== undefined && size !== '' ? { name, sizeBytes: bytes } : { name });
  }
  return dbs;
}

/** A short reason from a failed listing's stderr (no secrets are in it: none were in argv). */
export function listingError(exitCode: number | null, stderr: string): string {
  const last = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
  return `the server answered with exit code ${exitCode ?? '?'}${last ? `: ${last.slice(0, 200)}` : ''}`;
}
