import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSqliteFile } from '../../../src-main/backup/sqlite-check';
import { sqliteStreamScript } from '../../../src-main/backup/sqlite-source';

const hasSqlite3 = spawnSync('sqlite3', ['-version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sqlite-script-'));
const chinook = join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'chinook', 'Chinook_Sqlite.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the online-copy script here, the way a container runs it (`sh -c SCRIPT sh PATH`). */
function copy(path: string): { status: number | null; out: Buffer; err: string } {
  const r = spawnSync('sh', ['-c', sqliteStreamScript, 'lifeboat', path], { maxBuffer: 64 * 2 ** 20 });
  return { status: r.status, out: r.stdout, err: r.stderr.toString() };
}

describe.skipIf(!hasSqlite3)('the SQLite online-copy script (run locally with sqlite3)', () => {
  it('streams a rollback-journal database byte for byte under a read transaction, with its size', () => {
    const db = join(dir, "it's $(touch x) a db.sqlite");
    copyFileSync(chinook, db);
    const r = copy(db);
    expect(r.status).toBe(0);
    expect(r.out.equals(readFileSync(db))).toBe(true);
    expect(r.err).toContain('lifeboat-journal-mode:delete');
    expect(r.err).toContain(`lifeboat-size:${r.out.length}`);
    expect(readdirSync(dir)).not.toContain('x');
  });

  it('copies a WAL database with rows still in its -wal file through .backup, and removes the temp file', () => {
    const db = join(dir, 'wal.sqlite');
    copyFileSync(chinook, db);
    // Rows committed into the -wal file and not checkpointed: the main file alone lacks them.
    const sql = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE extra(i); INSERT INTO extra VALUES (1),(2),(3);";
    const held = spawnSync('sh', ['-c', `(printf '%s\\n' "$1"; sleep 2) | sqlite3 "$2" & sleep 1; cp "$2" "$3"; sh -c "$4" lifeboat "$2" > "$5"; wait`, 'sh', sql, db, join(dir, 'main-only.sqlite'), sqliteStreamScript, join(dir, 'copy.sqlite')]);
    expect(held.status).toBe(0);
    const facts = checkSqliteFile(join(dir, 'copy.sqlite'), 'the copy');
    expect(facts.rows?.extra).toBe(3);
    expect(facts.rows?.Track).toBe(3503);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('lifeboat-sqlite.'))).toEqual([]);
  });

  it('fails on a file that is not a database', () => {
    const bad = join(dir, 'bad.sqlite');
    writeFileSync(bad, Buffer.alloc(4096, 7));
    expect(copy(bad).status).not.toBe(0);
  });
});
