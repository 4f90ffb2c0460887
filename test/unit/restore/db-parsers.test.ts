import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseRows } from '../../../src-main/databases/db-shell';
import { parseRecordedStats } from '../../../src-main/databases/table-stats';
import { mysqlDumpServerVersion, mysqlNewer, mysqlSeries, parsePgDumpHeader, pgMajor, pgMajorFromNum } from '../../../src-main/databases/versions';
import { compareTables } from '../../../src-main/restore/db/db-drill';
import { dbItemFacts } from '../../../src-main/restore/db/item-facts';
import { retargetMysqlDump } from '../../../src-main/restore/db/mysql-ops';
import { planGlobals } from '../../../src-main/restore/db/pg-globals';
import { parseToc } from '../../../src-main/restore/db/pg-ops';
import type { SnapshotItem } from '../../../src-main/vault/snapshots';

/** The start of a real `pg_dump -Fc -Z0` archive of PostgreSQL 15 (archive 1.14, 4-byte ints). */
function pgHeader(server = '15.20 (Debian 15.20-0+deb12u1)'): Buffer {
  const int = (n: number) => Buffer.from([0, n & 255, (n >> 8) & 255, 0, 0]);
  const str = (s: string) => Buffer.concat([int(Buffer.byteLength(s)), Buffer.from(s)]);
  return Buffer.concat([Buffer.from('PGDMP'), Buffer.from([1, 14, 0, 4, 8, 1]), int(0), ...[31, 46, 22, 21, 10, 126, 0].map(int), str('chinook'), str(server), str(server), Buffer.alloc(64)]);
}

describe('pg_dump header and versions', () => {
  it('reads the archive version, database and server version', () => {
    expect(parsePgDumpHeader(pgHeader())).toEqual({ archiveVersion: '1.14.0', database: 'chinook', serverVersion: '15.20 (Debian 15.20-0+deb12u1)', dumpVersion: '15.20 (Debian 15.20-0+deb12u1)' });
  });
  it('refuses what is not a custom-format archive', () => {
    expect(() => parsePgDumpHeader(Buffer.from('-- PostgreSQL database dump\n'))).toThrow(/no PGDMP header/);
    expect(() => parsePgDumpHeader(pgHeader().subarray(0, 40))).toThrow(/truncated/);
  });
  it('compares major versions the way PostgreSQL numbers them', () => {
    expect(pgMajor('15.20 (Debian)')).toBe(15);
    expect(pgMajor('9.6.24')).toBe(9.6);
    expect(pgMajorFromNum(150020)).toBe(15);
    expect(pgMajorFromNum(90624)).toBe(9.6);
    expect(pgMajor('16.1') > pgMajorFromNum(150020)).toBe(true);
  });
  it('reads MySQL/MariaDB release series from dump headers', () => {
    const head = '-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n-- Server version\t10.11.19-MariaDB-0+deb12u1\n';
    const v = mysqlDumpServerVersion(head) ?? '';
    expect(mysqlSeries(v)).toEqual({ flavor: 'mariadb', major: 10, minor: 11 });
    expect(mysqlNewer(mysqlSeries('11.4.2-MariaDB'), mysqlSeries(v))).toBe(true);
    expect(mysqlNewer(mysqlSeries('10.6.1-MariaDB'), mysqlSeries(v))).toBe(false);
    expect(mysqlSeries('8.0.36').flavor).toBe('mysql');
  });
});

describe('pg_restore --list', () => {
  it('finds tables and owners, with multi-word kinds and entries without owner', () => {
    const toc = parseToc([
      ';     Dumped from database version: 15.20 (Debian 15.20-0+deb12u1)',
      '6; 2615 16448 SCHEMA - audit wiki',
      '3401; 0 16450 TABLE DATA audit events wiki',
      '3393; 0 16386 TABLE DATA public users wiki',
      '3244; 2606 16457 CONSTRAINT audit events events_pkey wiki',
      '3248; 2606 16458 FK CONSTRAINT audit events events_actor_fkey app',
      '3500; 0 0 COMMENT - EXTENSION plpgsql ',
    ].join('\n'));
    expect(toc.serverVersion).toBe('15.20 (Debian 15.20-0+deb12u1)');
    expect(toc.tables).toEqual(['audit.events', 'public.users']);
    expect(toc.owners).toEqual(['wiki', 'app']);
    expect(toc.entries.find((e) => e.desc === 'FK CONSTRAINT')).toEqual({ desc: 'FK CONSTRAINT', schema: 'audit', name: 'events events_actor_fkey', owner: 'app' });
  });
});

describe('MySQL dump retargeting', () => {
  it('drops USE lines and turns CREATE DATABASE into ALTER DATABASE of the selected one, across chunk borders', async () => {
    const dump = "-- MariaDB dump\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `photos` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;\n\nUSE `photos`;\nINSERT INTO `t` VALUES ('USE `x`;\\nCREATE DATABASE y');\n";
    const pieces = [...Buffer.from(dump)].map((b) => Buffer.from([b]));
    const out: Buffer[] = [];
    for await (const c of Readable.from(pieces).pipe(retargetMysqlDump())) out.push(c as Buffer);
    expect(Buffer.concat(out).toString()).toBe("-- MariaDB dump\n/*!40100 ALTER DATABASE DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;\n\nINSERT INTO `t` VALUES ('USE `x`;\\nCREATE DATABASE y');\n");
  });
});

describe('globals, stats and drill comparisons', () => {
  it('skips existing roles (no password change) and tablespaces', () => {
    const sql = 'SET x = 1;\nCREATE ROLE shop;\nALTER ROLE shop WITH SUPERUSER PASSWORD \'h1\';\nCREATE ROLE "odd ""name""";\nALTER ROLE "odd ""name""" WITH LOGIN;\nCREATE TABLESPACE t OWNER shop LOCATION \'/x\';\nGRANT shop TO "odd ""name""";\n';
    const plan = planGlobals(sql, new Set(['shop']));
    expect(plan.create).toEqual(['odd "name"']);
    expect(plan.skip).toEqual(['shop']);
    expect(plan.tablespaces).toBe(1);
    expect(plan.script).not.toMatch(/PASSWORD 'h1'|TABLESPACE/);
    expect(plan.script).toMatch(/GRANT shop TO/);
  });
  it('reads recorded stats in either shape, qualifying PostgreSQL tables with public', () => {
    expect(parseRecordedStats('postgres', '{"album":3,"audit.events":5}', '{"album":"ab"}')).toEqual({ 'public.album': { rows: 3, checksum: 'ab' }, 'audit.events': { rows: 5 } });
    expect(parseRecordedStats('mysql', '{"t":{"rows":2,"checksum":"9"}}')).toEqual({ t: { rows: 2, checksum: '9' } });
    expect(parseRecordedStats('sqlite', 'not json')).toBeUndefined();
  });
  it('fails a table whose rows, checksum or presence differ', () => {
    const checks = compareTables({ a: { rows: 1, checksum: 'x' }, b: { rows: 2 }, c: { rows: 3, checksum: 'y' } }, { a: { rows: 1, checksum: 'x' }, b: { rows: 3 }, c: { rows: 3, checksum: 'z' }, d: { rows: 0 } });
    expect(checks.map((c) => [c.name, c.ok, c.note])).toEqual([
      ['a', true, undefined],
      ['b', false, 'row counts differ'],
      ['c', false, 'content differs (checksum)'],
      ['d', false, 'not in the backup'],
    ]);
  });
  it('parses query output with separators inside values', () => {
    expect(parseRows('postgres', Buffer.from('a\tb\x1f1\x1e\nc\nd\x1f2\n'))).toEqual([['a\tb', '1'], ['c\nd', '2']]);
    expect(parseRows('mysql', Buffer.from('a\\tb\t1\nc\\nd\t2\n'))).toEqual([['a\tb', '1'], ['c\nd', '2']]);
  });
  it('reads item facts from the sources\' info, falling back to the item id', () => {
    const item = (name: string, kind: string, info: Record<string, string>) => ({ name, kind, info }) as unknown as SnapshotItem;
    expect(dbItemFacts(item('wiki/postgres:wiki', 'postgres', { container: 'wiki-db-1' }))).toMatchObject({ engine: 'postgres', database: 'wiki', container: 'wiki-db-1' });
    expect(dbItemFacts(item('notes/sqlite:notes_data/sub/n.sqlite', 'sqlite', {}))).toMatchObject({ volume: 'notes_data', path: 'sub/n.sqlite' });
  });
});
