import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { ContainerInfo, Item } from '../api/discovery-contract';
import { LifeboatError } from '../api/errors';
import { sqliteCountSql, sqliteTablesSql } from '../databases/table-stats';
import type { DumpVerifier } from './dump-stream';

/** What the local check found: the copy's row counts per table and its page facts. */
export interface SqliteFacts {
  rows?: Record<string, number>;
  pageSize?: number;
  pages?: number;
  journalMode?: string;
}

/**
 * Checks a SQLite copy on this machine: the bytes are teed into a private temp file while they
 * stream into the vault, then `PRAGMA integrity_check` runs on it with better-sqlite3 (read
 * only) and the rows of every table are counted for drills. The temp file is removed in every
 * case. Nothing runs on the server and the check reads exactly the bytes that were stored.
 */
export function localSqliteVerifier(what: string, facts: SqliteFacts, extraCheck?: (size: number) => Promise<string | undefined>): DumpVerifier {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sqlite-'));
  const file = join(dir, 'copy.sqlite');
  let handle: FileHandle | undefined;
  let size = 0;
  const cleanup = async () => {
    await handle?.close().catch(() => undefined);
    handle = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    async write(chunk) {
      handle ??= await open(file, 'wx', 0o600);
      await handle.write(chunk);
      size += chunk.length;
    },
    async finish() {
      try {
        await handle?.close();
        handle = undefined;
        const problem = await extraCheck?.(size);
        if (problem) throw new LifeboatError('corrupt', `${what}: ${problem}`, 'the item is left out of the snapshot; run the backup again');
        Object.assign(facts, checkSqliteFile(file, what));
      } finally {
        await cleanup();
      }
    },
    abort: cleanup,
  };
}

/** Opens a SQLite file read-only, runs `PRAGMA integrity_check` and counts rows; throws when it is damaged. */
export function checkSqliteFile(file: string, what: string): SqliteFacts {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new LifeboatError('corrupt', `${what} is not a SQLite database: ${(err as Error).message}`, 'the item is left out of the snapshot; check the file on the server');
  }
  try {
    let verdict: string[];
    try {
      verdict = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch (err) {
      throw new LifeboatError('corrupt', `${what} failed PRAGMA integrity_check: ${(err as Error).message}`, 'the item is left out of the snapshot; check the database on the server');
    }
    if (verdict.length !== 1 || verdict[0] !== 'ok') {
      throw new LifeboatError('corrupt', `${what} failed PRAGMA integrity_check: ${verdict.slice(0, 3).join('; ')}`, 'the item is left out of the snapshot; the database on the server may be damaged (run the check there too)');
    }
    const tables = (db.prepare(sqliteTablesSql).all() as { name: string }[]).map((r) => r.name);
    const rows: Record<string, number> = {};
    const counts = sqliteCountSql(tables).split('\n').filter(Boolean);
    tables.forEach((t, i) => (rows[t] = Number((db.prepare(counts[i] ?? '').pluck().get() as number | bigint) ?? 0)));
    return {
      rows,
      pageSize: db.pragma('page_size', { simple: true }) as number,
      pages: db.pragma('page_count', { simple: true }) as number,
      journalMode: String(db.pragma('journal_mode', { simple: true })),
    };
  } finally {
    db.close();
  }
}

/** Where the item's file is inside a container that mounts its volume. */
export function pathInContainer(c: ContainerInfo, item: Item): string | undefined {
  const mount = c.mounts.find((m) => m.type === 'volume' && m.name === item.volume);
  return mount && item.path ? posix.join(mount.destination, item.path) : undefined;
}

/** Records what the local check found. */
export function recordSqliteFacts(info: Record<string, string>, facts: SqliteFacts): void {
  if (facts.rows) info.rows = JSON.stringify(facts.rows);
  if (facts.pages !== undefined && facts.pageSize !== undefined) info.pages = `${facts.pages} × ${facts.pageSize} B`;
}
