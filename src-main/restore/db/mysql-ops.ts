import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../../api/errors';
import { type RunOptions, expectOk, runInContainer } from '../../databases/container-run';
import { assertDbName, dbArgv, mysqlIdent, queryDb, sqlString } from '../../databases/db-shell';
import { containerSpawn } from '../../hosts/docker-spawn';
import type { RemoteProcess } from '../../hosts/remote-process';

/** A MySQL/MariaDB server reached through `docker exec` in its container. */
export interface MysqlServer {
  readonly docker: Docker;
  readonly container: string;
}

const createDb = Buffer.from('CREATE DATABASE ');
const useDb = Buffer.from('USE ');

/**
 * Makes a dump land in whatever database the client selected: `USE` lines are dropped and a
 * `CREATE DATABASE … DEFAULT CHARACTER SET x COLLATE y` (dumps made with `--databases`)
 * becomes `ALTER DATABASE DEFAULT CHARACTER SET x COLLATE y` of the selected database. Data
 * lines are never touched: the dump tools escape newlines inside values, so a statement
 * keyword at the start of a line is always a statement. Works on bytes (dumps may hold binary).
 */
export function retargetMysqlDump(): Transform {
  let carry: Buffer = Buffer.alloc(0);
  const rewrite = (line: Buffer): Buffer | undefined => {
    if (line.subarray(0, useDb.length).equals(useDb)) return undefined;
    if (!line.subarray(0, createDb.length).equals(createDb)) return line;
    const charset = /\/\*!40100 (DEFAULT CHARACTER SET \S+(?: COLLATE \S+)?) \*\//.exec(line.toString('latin1'))?.[1];
    return charset ? Buffer.from(`/*!40100 ALTER DATABASE ${charset} */;\n`, 'latin1') : undefined;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, callback: TransformCallback) {
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (;;) {
        const nl = data.indexOf(10, start);
        if (nl < 0) break;
        const line = data.subarray(start, nl + 1);
        const out = rewrite(line);
        if (out) this.push(out);
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      callback();
    },
    flush(callback: TransformCallback) {
      const out = carry.length > 0 ? rewrite(carry) : undefined;
      callback(null, out);
    },
  });
}

/** `SELECT VERSION()` of the server. */
export async function mysqlVersion(server: MysqlServer, signal?: AbortSignal): Promise<string> {
  return (await queryDb(server.docker, server.container, 'mysql', undefined, 'select version();', signal ? { signal } : {}))[0]?.[0] ?? '';
}

/** The character set and collation of a database, or undefined when it does not exist. */
export async function mysqlCharset(server: MysqlServer, name: string, signal?: AbortSignal): Promise<{ charset: string; collation: string } | undefined> {
  const rows = await queryDb(server.docker, server.container, 'mysql', undefined, `select default_character_set_name, default_collation_name from information_schema.schemata where schema_name = ${sqlString(name, 'mysql')};`, signal ? { signal } : {});
  const [charset, collation] = rows[0] ?? [];
  return charset && collation ? { charset, collation } : undefined;
}

/** Creates a database, with a character set and collation when given. */
export async function mysqlCreateDatabase(server: MysqlServer, name: string, like?: { charset: string; collation: string }, signal?: AbortSignal): Promise<void> {
  assertDbName(name);
  const spec = like && /^\w+$/.test(like.charset) && /^\w+$/.test(like.collation) ? ` character set ${like.charset} collate ${like.collation}` : '';
  await queryDb(server.docker, server.container, 'mysql', undefined, `create database ${mysqlIdent(name)}${spec};`, signal ? { signal } : {});
}

/** Drops a database if it exists. */
export async function mysqlDropDatabase(server: MysqlServer, name: string): Promise<void> {
  assertDbName(name);
  await queryDb(server.docker, server.container, 'mysql', undefined, `drop database if exists ${mysqlIdent(name)};`);
}

/**
 * Feeds a dump (already retargeted) to the client with `database` selected. Binary mode keeps
 * blobs intact; the packet limit is the largest the protocol allows.
 */
export async function mysqlLoad(server: MysqlServer, database: string, dump: Readable, options: Pick<RunOptions, 'signal' | 'onStart'> = {}): Promise<void> {
  assertDbName(database);
  const script = 'exec "$c" -u"$u" --binary-mode --max-allowed-packet=1073741824 "--database=$1"';
  const result = await runInContainer(server.docker, server.container, dbArgv('mysql', script, [database]), { stdin: dump, ...options });
  expectOk(result, `loading the dump into "${database}" in ${server.container}`);
}

/** Starts a consistent dump of one database (InnoDB single transaction, routines, events, triggers), without CREATE DATABASE/USE. */
export function mysqlDumpProcess(server: MysqlServer, database: string, signal?: AbortSignal): Promise<RemoteProcess> {
  assertDbName(database);
  const script = 'exec "$d" -u"$u" --single-transaction --routines --events --triggers --hex-blob "$1"';
  return containerSpawn(server.docker, server.container, dbArgv('mysql', script, [database]), signal ? { signal } : {});
}

/** Throws unless the text starts like a mysqldump/mariadb-dump file. */
export function verifyMysqlHead(head: Buffer): void {
  const text = head.toString('utf8', 0, Math.min(head.length, 2048));
  if (!/^(?:\/\*M?!999999\\- enable the sandbox mode \*\/\s*\n)?-- (MariaDB|MySQL) dump/.test(text)) {
    throw new LifeboatError('corrupt', 'this does not look like a mysqldump/mariadb-dump file', 'check the item kind; restore it as a file with "lifeboat cat"');
  }
}
