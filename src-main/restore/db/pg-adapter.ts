import { pgTableStats } from '../../databases/table-stats';
import { parsePgDumpHeader, pgMajor, pgMajorFromNum } from '../../databases/versions';
import { type DbAdapter, withoutFileSecrets } from './db-adapter';
import { newerMajorError, pgCreateDatabase, pgDatabaseExists, pgDropDatabase, pgDumpProcess, pgRestoreInto, pgRestoreList, pgRoles, pgServerVersion } from './pg-ops';

/**
 * PostgreSQL: archives from `pg_dump -Fc`, restored with pg_restore in a single transaction
 * (`--clean --if-exists` in place). Owners are kept when every owning role exists on the
 * target; otherwise objects belong to the restoring user and grants are skipped (warned).
 */
export const pgAdapter: DbAdapter = {
  engine: 'postgres',
  label: 'PostgreSQL',

  async checkVersion(server, head, facts, signal) {
    const header = parsePgDumpHeader(head);
    const dumped = header.serverVersion ?? facts.serverVersion;
    const target = await pgServerVersion(server, signal);
    if (!dumped) return [`the dump does not say which server made it; the target runs PostgreSQL ${target.text}`];
    if (pgMajor(dumped) > pgMajorFromNum(target.num)) throw newerMajorError(dumped, target.text, server.container);
    return pgMajor(dumped) < pgMajorFromNum(target.num) ? [`the dump is from PostgreSQL ${dumped}; the target runs ${target.text} (restoring into a newer major version is supported)`] : [];
  },

  async plan(server, dump, _facts, signal) {
    const toc = await pgRestoreList(server, dump(), signal);
    const roles = await pgRoles(server, signal);
    const missing = toc.owners.filter((o) => !roles.has(o));
    const warnings = missing.length > 0 ? [`roles ${missing.join(', ')} do not exist on the target: objects will belong to the restoring user and grants are skipped (restore the @globals item first to keep them)`] : [];
    return { noOwner: missing.length > 0, warnings, tables: toc.tables };
  },

  databaseExists: (server, name, signal) => pgDatabaseExists(server, name, signal),
  createDatabase: (server, name, _original, signal) => pgCreateDatabase(server, name, signal),
  dropDatabase: (server, name) => pgDropDatabase(server, name),

  load: (server, database, dump, inPlace, plan, options) => pgRestoreInto(server, database, dump, { clean: inPlace, noOwner: plan.noOwner }, options),

  rollback: (server, database, safety, _plan, options) => pgRestoreInto(server, database, safety, { clean: true, noOwner: false }, options),

  dump: (server, database, signal) => pgDumpProcess(server, database, signal),

  verifyHead(head) {
    parsePgDumpHeader(head);
  },

  tableStats: (server, database, withChecksums, signal) => pgTableStats(server.docker, server.container, database, withChecksums, signal ? { signal } : {}),

  scratchEnv(env) {
    const out = withoutFileSecrets(env);
    if (!out.some((e) => e.startsWith('POSTGRES_PASSWORD='))) out.push('POSTGRES_HOST_AUTH_METHOD=trust');
    return out;
  },

  readyProbe: ['sh', '-c', 'exec pg_isready -q -h 127.0.0.1'],
};
