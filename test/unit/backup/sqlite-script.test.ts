import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkSqliteFile } from '../../../src-main/backup/sqlite-check';
import { sqliteStreamScript } from '../../../src-main/backup/sqlite-source';
import { mergeWalCopy, walHeaderPrefix } from '../../../src-main/backup/sqlite-wal';

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

/** Feeds a buffer in uneven pieces, as a network stream would. */
async function* chunked(buf: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0, n = 1; i < buf.length; i += n, n = (n * 7 + 13) % 70_000 + 1) yield buf.subarray(i, i + n);
}

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

  it('copies a WAL database with rows still in its -wal file, writes nothing beside it, and merges it here', async () => {
    const db = join(dir, "wal $(touch y) 'db'.sqlite");
    copyFileSync(chinook, db);
    // Rows committed into the -wal file and not checkpointed: the main file alone lacks them.
    const sql = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE extra(i); INSERT INTO extra VALUES (1),(2),(3);";
    const side = mkdtempSync(join(tmpdir(), 'lifeboat-sqlite-side-'));
    const out = join(side, 'framed.bin');
    const held = spawnSync('sh', ['-c', `(printf '%s\\n' "$1"; sleep 2) | sqlite3 "$2" & sleep 1; ls -a "$(dirname "$2")" > "$5.before"; sh -c "$3" lifeboat "$2" > "$4"; s=$?; ls -a "$(dirname "$2")" > "$5.after"; wait; exit $s`, 'sh', sql, db, sqliteStreamScript, out, join(side, 'listing')]);
    expect(held.status, held.stderr.toString()).toBe(0);
    expect(held.stderr.toString()).toContain('lifeboat-journal-mode:wal');
    expect(held.stderr.toString()).not.toMatch(/System command returns/);
    // Nothing was created next to the database or in /tmp while copying.
    expect(readFileSync(join(side, 'listing.after'), 'utf8')).toBe(readFileSync(join(side, 'listing.before'), 'utf8'));
    expect(readdirSync(dir)).not.toContain('y');
    const framed = readFileSync(out);
    expect(framed.subarray(0, walHeaderPrefix.length).toString()).toBe(walHeaderPrefix);
    const merged = Buffer.concat(await collect(mergeWalCopy(chunked(framed), 'the copy')));
    const copy = join(side, 'merged.sqlite');
    writeFileSync(copy, merged);
    const facts = checkSqliteFile(copy, 'the copy');
    expect(facts.rows?.extra).toBe(3);
    expect(facts.rows?.Track).toBe(3503);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('lifeboat-sqlite-wal-'))).toEqual([]);
    rmSync(side, { recursive: true, force: true });
  });

  it('copies a WAL database again and again while a writer commits and checkpoints: every copy is whole', async () => {
    const db = join(dir, 'busy-wal.sqlite');
    copyFileSync(chinook, db);
    const setup = spawnSync('sqlite3', [db, 'PRAGMA journal_mode=WAL;', 'CREATE TABLE w(i INTEGER PRIMARY KEY, pad BLOB);']);
    expect(setup.status).toBe(0);
    // Small transactions with checkpoints every 50 pages: the main file is backfilled and the
    // -wal file reused while copies run.
    const writer = spawn('sh', ['-c', 'i=0; while [ $i -lt 4000 ]; do echo "INSERT INTO w(pad) VALUES (randomblob(3000));"; i=$((i+1)); done | sqlite3 -cmd "PRAGMA wal_autocheckpoint=50;" -cmd ".timeout 5000" "$1"', 'sh', db], { stdio: 'ignore' });
    const exited = new Promise((r) => writer.on('exit', r));
    let copies = 0;
    let last = -1;
    while (writer.exitCode === null && copies < 40) {
      const r = copy(db);
      expect(r.status, r.err).toBe(0);
      const merged = Buffer.concat(await collect(mergeWalCopy(chunked(r.out), 'the copy')));
      const file = join(dir, `busy-copy-${copies}.sqlite`);
      writeFileSync(file, merged);
      const facts = checkSqliteFile(file, 'the copy');
      expect(facts.rows?.Track).toBe(3503);
      expect(facts.rows?.w).toBeGreaterThanOrEqual(last);
      last = facts.rows?.w ?? -1;
      rmSync(file);
      copies++;
    }
    await exited;
    expect(copies).toBeGreaterThan(2);
  });

  it('passes a rollback-journal copy through the merge untouched, and refuses a WAL copy cut short', async () => {
    const plain = readFileSync(chinook);
    expect(Buffer.concat(await collect(mergeWalCopy(chunked(plain), 'x'))).equals(plain)).toBe(true);
    const short = Buffer.concat([Buffer.from(`${walHeaderPrefix}8192 100\n`), plain.subarray(0, 5000)]);
    await expect(collect(mergeWalCopy(chunked(short), 'the copy'))).rejects.toThrow(/ended .* bytes early/);
    const garbage = Buffer.concat([Buffer.from(`${walHeaderPrefix}4096 0\n`), Buffer.alloc(4096, 7)]);
    await expect(collect(mergeWalCopy(chunked(garbage), 'the copy'))).rejects.toThrow(/could not be merged/);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('lifeboat-sqlite-wal-'))).toEqual([]);
  });

  it('fails on a file that is not a database', () => {
    const bad = join(dir, 'bad.sqlite');
    writeFileSync(bad, Buffer.alloc(4096, 7));
    expect(copy(bad).status).not.toBe(0);
  });
});
