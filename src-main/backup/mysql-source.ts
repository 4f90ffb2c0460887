import { dbArgv } from '../databases/db-shell';
import { checksumMethods, mysqlTableStats } from '../databases/table-stats';
import { containerSpawn } from '../hosts/docker-spawn';
import { containerImage, dumpTarget, recordRows, storeDump, withHead } from './dump-item';
import { checkedDump } from './dump-stream';
import type { BackupSource } from './source';

/**
 * `mariadb-dump` (or `mysqldump` where that is what the image has; `$d` comes from the
 * credential prelude) in one consistent transaction, with routines and events. The password
 * is in MYSQL_PWD, read from the container's own env; the database is `$1`, after `--` so a
 * name can never be read as an option.
 */
export const mysqlDumpScript = 'exec "$d" -u"$u" --single-transaction --routines --events --hex-blob --databases -- "$1"';

/** mysqldump writes this comment last; a dump without it was cut off. */
const dumpEnd = '-- Dump completed';

/** MySQL/MariaDB: one dump per database, checked by exit code and its closing comment. */
export const mysqlSource: BackupSource = {
  kinds: ['mysql'],
  async backup(ctx) {
    const { container, database } = dumpTarget(ctx);
    const { docker } = ctx.host;
    const signal = ctx.job.signal;
    const info: Record<string, string> = { format: 'mysqldump --single-transaction --routines --events --hex-blob', database, container };
    const warnings: string[] = [];
    const image = containerImage(ctx);
    if (image) info.image = image;
    await recordRows(ctx, info, warnings, () => mysqlTableStats(docker, container, database, true, { signal }), checksumMethods.mysql);
    const proc = await containerSpawn(docker, container, dbArgv('mysql', mysqlDumpScript, [database]), { signal });
    const stream = checkedDump(proc, {
      what: `the dump of "${database}" in ${container}`,
      info,
      warnings,
      signal,
      ...(ctx.previous ? { previous: ctx.previous } : {}),
      checkTail: (tail) => (tail.includes(dumpEnd) ? undefined : `the output does not end with "${dumpEnd} on …"`),
    });
    const readHeader = (head: Buffer) => {
      const text = head.toString('utf8');
      const tool = /^-- (MariaDB dump|MySQL dump) ([^\s]+)/m.exec(text);
      const server = /^-- Server version\s+(.+)$/m.exec(text);
      if (tool) info.dumpVersion = `${tool[1]} ${tool[2]}`;
      if (server?.[1]) info.serverVersion = server[1].trim();
    };
    return storeDump(ctx, info, warnings, withHead(stream, 2048, readHeader), () => proc.kill());
  },
};
