import type { ContainerInfo } from '../api/discovery-contract';
import { LifeboatError } from '../api/errors';
import { containerExec } from '../discovery/docker-exec';
import { Readable } from 'node:stream';
import { containerSpawn } from '../hosts/docker-spawn';
import type { RemoteProcess } from '../hosts/remote-process';
import { shellQuote } from '../sync/shell-quote';
import { storeDump } from './dump-item';
import { type DumpVerifier, checkedDump, lastLine } from './dump-stream';
import { stopOnTerm } from './remote-script';
import type { BackupSource, SourceContext, SourceResult } from './source';
import { type SqliteFacts, localSqliteVerifier, pathInContainer, recordSqliteFacts } from './sqlite-check';
import { sqliteArchiveCopy } from './sqlite-archive';
import { mergeWalCopy, walCopyBody } from './sqlite-wal';

/**
 * The online copy, run inside a container that mounts the volume and has `sqlite3`; the file
 * is `$1`. No `sqlite3` build we ship against can write `.backup` or `VACUUM INTO` to a pipe,
 * and Debian's lacks the `sqlite_dbpage` table, so:
 *
 * - rollback-journal databases (delete, truncate, persist): a read transaction is opened and,
 *   while it holds SQLite's SHARED lock (no writer can change the file until it ends), the file
 *   is streamed by `cat` from descriptor 3 to descriptor 4 (our stdout), both opened by this
 *   script before sqlite3 starts so that the path never passes through sqlite3's dot-command
 *   parser; sqlite3's own output goes to stderr. No temp file anywhere. The snapshot's size
 *   (page_count × page_size) must match what arrived.
 * - WAL databases: the file alone is not a consistent copy (committed pages may still be in
 *   the -wal file), so under a read transaction the main file and then its -wal file are
 *   streamed with their sizes up front (`walCopyBody`, src-main/backup/sqlite-wal.ts says why
 *   that pair is always recoverable) and merged by SQLite on this machine. Writers are never
 *   blocked and nothing is written on the server.
 */
export const sqliteStreamScript = [
  'db="$1"',
  stopOnTerm(),
  'mode="$(sqlite3 -batch "$db" ".timeout 10000" "PRAGMA journal_mode;")" || exit 3',
  'echo "lifeboat-journal-mode:$mode" >&2',
  'exec 3<"$db" 4>&1 || exit 3',
  'if [ "$mode" = wal ]; then',
  `  LB_DB="$db" LB_COPY=${shellQuote(walCopyBody)} sqlite3 -bail -batch "$db" '.timeout 10000' 'BEGIN;' 'SELECT count(*) FROM sqlite_master;' ".system sh -c '\\"\\$LB_COPY\\"'" 'COMMIT;' >&2 &`,
  'else',
  `  sqlite3 -bail -batch "$db" '.timeout 10000' 'BEGIN;' "SELECT 'lifeboat-size:' || ((SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size()));" '.system cat <&3 >&4' 'COMMIT;' >&2 &`,
  'fi',
  'wait $!',
].join('\n');

/** Containers that mount the item's volume, running ones first (the discovered user first of all). */
export function sqliteCandidates(ctx: SourceContext): ContainerInfo[] {
  const all = ctx.inventory.stacks.flatMap((s) => s.containers).filter((c) => pathInContainer(c, ctx.item));
  const rank = (c: ContainerInfo) => (c.name === ctx.item.container ? 0 : c.state === 'running' ? 1 : 2);
  return [...all].sort((a, b) => rank(a) - rank(b));
}

/** Verifies the online copy: the tool's report on stderr, then the local integrity check. */
function onlineVerifier(what: string, facts: SqliteFacts, stderr: () => Promise<string>): DumpVerifier {
  return localSqliteVerifier(what, facts, async (size) => {
    const err = await stderr();
    if (/System command returns/.test(err)) return `copying the file failed inside the container (${lastLine(err)})`;
    const expected = /lifeboat-size:(\d+)/.exec(err)?.[1];
    if (expected !== undefined && Number(expected) !== size) return `the copy has ${size} bytes but the database had ${expected}`;
    return undefined;
  });
}

async function onlineCopy(ctx: SourceContext, container: string, path: string): Promise<SourceResult> {
  const signal = ctx.job.signal;
  const what = `the SQLite copy of ${path} in ${container}`;
  const info: Record<string, string> = { format: 'sqlite database file', container, volume: ctx.item.volume ?? '', path: ctx.item.path ?? '', method: 'online (sqlite3 in the container)' };
  const warnings: string[] = [];
  const facts: SqliteFacts = {};
  const proc = await containerSpawn(ctx.host.docker, container, ['sh', '-c', sqliteStreamScript, 'lifeboat', path], { signal });
  const verifier = onlineVerifier(what, facts, async () => (await proc.done).stderr);
  const merged: RemoteProcess = { ...proc, stdout: Readable.from(mergeWalCopy(proc.stdout as AsyncIterable<Buffer>, what)) };
  const stream = checkedDump(merged, { what, info, warnings, verifier, signal, ...(ctx.previous ? { previous: ctx.previous } : {}) });
  async function* recorded(): AsyncGenerator<Buffer> {
    yield* stream;
    const mode = /lifeboat-journal-mode:(\w+)/.exec((await proc.done).stderr)?.[1];
    if (mode) info.journalMode = mode;
    if (mode === 'wal') info.method = 'online: the file and its -wal under a read transaction, merged here (WAL database)';
    recordSqliteFacts(info, facts);
  }
  return storeDump(ctx, info, warnings, recorded(), async () => {
    await verifier.abort();
    await proc.kill();
  });
}

async function hasSqlite3(ctx: SourceContext, container: string): Promise<boolean> {
  try {
    const r = await containerExec(ctx.host.docker, container, ['sh', '-c', 'command -v sqlite3 && command -v cat'], { timeoutMs: 15_000, signal: ctx.job.signal });
    return r.exitCode === 0;
  } catch {
    return false;
  }
}

/**
 * SQLite: an online copy through `sqlite3` in a running container that mounts the volume;
 * where none has it, a plain copy through the Docker archive endpoint with the containers
 * that use the volume stopped (a stopped writer cannot change the file). Either way the copy
 * must pass `PRAGMA integrity_check` here before it counts.
 */
export const sqliteSource: BackupSource = {
  kinds: ['sqlite'],
  async backup(ctx) {
    const candidates = sqliteCandidates(ctx);
    if (candidates.length === 0) throw new LifeboatError('not-found', `no container mounts volume ${ctx.item.volume ?? '?'}, so ${ctx.item.id} cannot be read`, 'run discovery again; the volume may be gone');
    for (const c of candidates.filter((x) => x.state === 'running')) {
      if (await hasSqlite3(ctx, c.name)) return onlineCopy(ctx, c.name, pathInContainer(c, ctx.item) as string);
    }
    return sqliteArchiveCopy(ctx, candidates);
  },
};
