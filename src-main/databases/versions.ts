import { LifeboatError } from '../api/errors';

/** What the header of a `pg_dump -Fc` archive says about where it came from. */
export interface PgDumpHeader {
  /** Archive format version, e.g. `1.14.0`. */
  readonly archiveVersion: string;
  readonly database?: string;
  /** `Dumped from database version`, e.g. `15.20 (Debian 15.20-0+deb12u1)`. */
  readonly serverVersion?: string;
  /** `Dumped by pg_dump version`. */
  readonly dumpVersion?: string;
}

/**
 * Parses the header of a custom-format archive (pg_backup_archiver.c `ReadHead`): magic,
 * version bytes, int/offset sizes, format, compression, creation time, database name, server
 * and pg_dump versions. Needs only the first few hundred bytes, so the version check happens
 * before anything reaches the server, even where pg_restore there cannot read a newer archive.
 */
export function parsePgDumpHeader(buf: Buffer): PgDumpHeader {
  if (buf.length < 16 || buf.subarray(0, 5).toString('latin1') !== 'PGDMP') {
    throw new LifeboatError('corrupt', 'this is not a pg_dump custom-format archive (no PGDMP header)', 'restore it with the tool that made it, or check the item kind');
  }
  let pos = 5;
  const byte = () => {
    if (pos >= buf.length) throw new LifeboatError('corrupt', 'the pg_dump archive header is truncated');
    return buf[pos++] as number;
  };
  const vmaj = byte();
  const vmin = byte();
  const vrev = vmaj > 1 || (vmaj === 1 && vmin > 0) ? byte() : 0;
  const version = vmaj * 10000 + vmin * 100 + vrev;
  const intSize = byte();
  if (version >= 10700) byte(); // offSize
  const format = byte();
  if (format !== 1) throw new LifeboatError('unsupported', `pg_dump archive format ${format} is not the custom format (-Fc)`);
  const readInt = () => {
    const sign = byte();
    let value = 0;
    for (let i = 0; i < intSize; i++) value += byte() * 2 ** (8 * i);
    return sign ? -value : value;
  };
  const readStr = () => {
    const len = readInt();
    if (len < 0) return undefined;
    if (pos + len > buf.length) throw new LifeboatError('corrupt', 'the pg_dump archive header is truncated');
    const s = buf.subarray(pos, pos + len).toString('utf8');
    pos += len;
    return s;
  };
  if (version >= 11500) byte(); // compression algorithm
  else if (version >= 10400) readInt(); // compression level
  else if (version >= 10200) byte();
  let database: string | undefined;
  if (version >= 10400) {
    for (let i = 0; i < 7; i++) readInt(); // creation time
    database = readStr();
  }
  const serverVersion = version >= 11000 ? readStr() : undefined;
  const dumpVersion = version >= 11000 ? readStr() : undefined;
  return {
    archiveVersion: `${vmaj}.${vmin}.${vrev}`,
    ...(database !== undefined ? { database } : {}),
    ...(serverVersion !== undefined ? { serverVersion } : {}),
    ...(dumpVersion !== undefined ? { dumpVersion } : {}),
  };
}

/** PostgreSQL major version of a version string: `15.20 (Debian…)` → 15, `9.6.24` → 9.6. */
export function pgMajor(version: string): number {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) throw new LifeboatError('bad-input', `not a PostgreSQL version: "${version.slice(0, 40)}"`);
  const major = Number(m[1]);
  return major >= 10 ? major : Number(`${major}.${m[2] ?? 0}`);
}

/** Major version from `server_version_num` (150020 → 15, 90624 → 9.6). */
export function pgMajorFromNum(num: number): number {
  return num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 10000) + Math.floor((num % 10000) / 100) / 10;
}

/** A MySQL/MariaDB release series: flavour and `major.minor` (`10.11.19-MariaDB-…` → mariadb 10.11). */
export interface MysqlSeries {
  readonly flavor: 'mariadb' | 'mysql';
  readonly major: number;
  readonly minor: number;
}

/** Parses a server version string as `SELECT VERSION()` or a dump's `-- Server version` line has it. */
export function mysqlSeries(version: string): MysqlSeries {
  const m = /(\d+)\.(\d+)/.exec(version);
  if (!m) throw new LifeboatError('bad-input', `not a MySQL/MariaDB version: "${version.slice(0, 40)}"`);
  return { flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql', major: Number(m[1]), minor: Number(m[2]) };
}

/** The `-- Server version` line of a mysqldump/mariadb-dump header, if within the first bytes. */
export function mysqlDumpServerVersion(head: string): string | undefined {
  return /^-- Server version\s+(.+)$/m.exec(head)?.[1]?.trim();
}

/** True when a dump from series `dump` is from a newer release series than the target server. */
export function mysqlNewer(dump: MysqlSeries, target: MysqlSeries): boolean {
  return dump.major > target.major || (dump.major === target.major && dump.minor > target.minor);
}
