import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LifeboatError } from '../api/errors';

/** First line of a WAL copy on stdout: `lifeboat-sqlite-wal <db bytes> <wal bytes>`. */
export const walHeaderPrefix = 'lifeboat-sqlite-wal ';

/**
 * Shell run by `sqlite3 .system` while sqlite3 holds a read transaction on a WAL database
 * (path in `$LB_DB`, our stdout on descriptor 4). While any reader holds a snapshot, SQLite
 * never restarts or truncates the -wal file (it only grows) and a checkpoint only copies into
 * the main file pages that the -wal file also holds. So the main file followed by the -wal
 * file, as long as each was when measured, is what SQLite would find after a crash: recovery
 * replays every whole committed transaction in the -wal file (including all up to our
 * snapshot) and drops a torn tail. Each part is cut or zero-padded to its announced size so a
 * file that changes length mid-copy cannot shift the framing; the merged copy must still pass
 * `PRAGMA integrity_check` before it counts. Writers are never blocked.
 */
export const walCopyBody = [
  'exec >&4',
  'n=$(( $(wc -c < "$LB_DB") )) && w=$(( $(wc -c < "$LB_DB-wal") )) || exit 3',
  `printf '${walHeaderPrefix}%s %s\\n' "$n" "$w"`,
  '{ cat "$LB_DB"; cat /dev/zero; } | head -c "$n" || exit 3',
  '{ cat "$LB_DB-wal"; cat /dev/zero; } | head -c "$w" || exit 3',
].join('\n');

const maxHeader = 80;

/** Reads exactly `size` bytes of `source` (after `carry`) into `file`; returns what follows. */
async function copyExactly(source: AsyncIterator<Buffer>, carry: Buffer, size: number, file: FileHandle, what: string): Promise<Buffer> {
  let left = size;
  let buf = carry;
  for (;;) {
    const take = Math.min(left, buf.length);
    if (take > 0) await file.write(buf.subarray(0, take));
    left -= take;
    if (left === 0) return buf.subarray(take);
    const next = await source.next();
    if (next.done) throw new LifeboatError('corrupt', `${what}: the copy ended ${left} bytes early`, 'the item is left out of the snapshot; run the backup again');
    buf = next.value;
  }
}

/**
 * Turns what the online-copy script sends into one SQLite file: a rollback-journal database
 * passes through untouched; a WAL copy (header, main file, -wal file) is written to a private
 * temp dir on this machine, opened so SQLite replays the -wal file, checkpointed into the main
 * file, and streamed from there. The temp dir is removed whatever happens.
 */
export async function* mergeWalCopy(stream: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const source = stream[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  const isWal = () => head.subarray(0, walHeaderPrefix.length).toString('latin1') === walHeaderPrefix;
  // Read until the first bytes tell a WAL header from a database file, then to the header's end.
  while (head.length < walHeaderPrefix.length || (isWal() && !head.includes(10) && head.length < maxHeader)) {
    const next = await source.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  if (!isWal()) {
    if (head.length > 0) yield head;
    for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
    return;
  }
  const eol = head.indexOf(10);
  const sizes = /^(\d+) (\d+)$/.exec(head.subarray(walHeaderPrefix.length, eol).toString('latin1'));
  if (eol < 0 || !sizes) throw new LifeboatError('corrupt', `${what}: the copy began with an unreadable header`, 'the item is left out of the snapshot; run the backup again');
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-sqlite-wal-'));
  const file = join(dir, 'copy.sqlite');
  try {
    let rest: Buffer = head.subarray(eol + 1);
    for (const [path, size] of [[file, Number(sizes[1])], [`${file}-wal`, Number(sizes[2])]] as const) {
      const handle = await open(path, 'wx', 0o600);
      try {
        rest = await copyExactly(source, rest, size, handle, what);
      } finally {
        await handle.close();
      }
    }
    if (rest.length > 0 || !(await source.next()).done) throw new LifeboatError('corrupt', `${what}: more bytes arrived than announced`, 'the item is left out of the snapshot; run the backup again');
    checkpoint(file, what);
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replays the -wal file into the main file (SQLite's own recovery) and removes it. */
function checkpoint(file: string, what: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    if (!result || result.busy !== 0 || result.log !== result.checkpointed) throw new Error('the checkpoint did not complete');
  } catch (err) {
    throw new LifeboatError('corrupt', `${what}: the copied file and its -wal could not be merged: ${(err as Error).message}`, 'the item is left out of the snapshot; check the database on the server and run the backup again');
  } finally {
    db?.close();
  }
}
