import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { mysqlTableStats } from '../../databases/table-stats';
import { mysqlDumpServerVersion, mysqlNewer, mysqlSeries } from '../../databases/versions';
import { LifeboatError } from '../../api/errors';
import { type DbAdapter, withoutFileSecrets } from './db-adapter';
import { mysqlCharset, mysqlCreateDatabase, mysqlDropDatabase, mysqlDumpProcess, mysqlLoad, mysqlVersion, retargetMysqlDump, verifyMysqlHead } from './mysql-ops';

/** The dump with its CREATE DATABASE/USE lines retargeted to the selected database. */
function retargeted(dump: Readable): Readable {
  const out = retargetMysqlDump();
  pipeline(dump, out, () => undefined);
  return out;
}

/**
 * MySQL/MariaDB: SQL dumps from mariadb-dump/mysqldump, loaded with the client into the
 * selected database. DDL commits as it goes, so in place the rollback is exact by construction:
 * drop the database, create it again with its character set, load the safety dump.
 */
export const mysqlAdapter: DbAdapter = {
  engine: 'mysql',
  label: 'MySQL/MariaDB',

  async checkVersion(server, head, facts, signal) {
    const dumped = mysqlDumpServerVersion(head.toString('utf8', 0, Math.min(head.length, 4096))) ?? facts.serverVersion;
    const target = await mysqlVersion(server, signal);
    if (!dumped) return [`the dump does not say which server made it; the target runs ${target}`];
    const d = mysqlSeries(dumped);
    const t = mysqlSeries(target);
    if (mysqlNewer(d, t)) {
      throw new LifeboatError('unsupported', `the dump is from ${dumped}, a newer release series than the target server ${server.container} (${target}); a restore into an older version is refused`, 'restore into a server of the same or a newer version (--host/--to-container), or upgrade the target server first');
    }
    return d.flavor === t.flavor ? [] : [`the dump is from ${dumped} and the target runs ${target} (a different flavour); check the result`];
  },

  async plan(server, _dump, facts, signal) {
    const like = await mysqlCharset(server, facts.database, signal);
    return { noOwner: false, warnings: [], ...(like ? { like } : {}) };
  },

  databaseExists: async (server, name, signal) => (await mysqlCharset(server, name, signal)) !== undefined,

  async createDatabase(server, name, original, signal) {
    const like = original ? await mysqlCharset(server, original, signal) : undefined;
    await mysqlCreateDatabase(server, name, like, signal);
  },

  dropDatabase: (server, name) => mysqlDropDatabase(server, name),

  load: (server, database, dump, _inPlace, _plan, options) => mysqlLoad(server, database, retargeted(dump), options),

  async rollback(server, database, safety, plan, options) {
    await mysqlDropDatabase(server, database);
    await mysqlCreateDatabase(server, database, plan.like);
    await mysqlLoad(server, database, retargeted(safety), options);
  },

  dump: (server, database, signal) => mysqlDumpProcess(server, database, signal),

  verifyHead: verifyMysqlHead,

  tableStats: (server, database, withChecksums, signal) => mysqlTableStats(server.docker, server.container, database, withChecksums, signal ? { signal } : {}),

  scratchEnv(env) {
    const out = withoutFileSecrets(env).filter((e) => !/^(MARIADB_RANDOM_ROOT_PASSWORD|MYSQL_RANDOM_ROOT_PASSWORD)=/.test(e));
    if (!out.some((e) => /^(MARIADB_ROOT_PASSWORD|MYSQL_ROOT_PASSWORD)=./.test(e))) out.push('MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1', 'MYSQL_ALLOW_EMPTY_PASSWORD=1');
    return out;
  },

  renameWarning: (original, name) =>
    `views, routines and triggers keep their DEFINER, whose grants may name only \`${original}\`: if they fail in \`${name}\`, grant the definer access there (e.g. GRANT ALL ON \`${name}\`.* TO the app user)`,

  readyProbe: ['sh', '-c', 'a=mariadb-admin; command -v mariadb-admin >/dev/null 2>&1 || a=mysqladmin; exec "$a" --protocol=tcp -h127.0.0.1 ping'],
};
