import { type Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LifeboatError } from '../api/errors';
import type { RemoteExit, RemoteProcess } from '../hosts/remote-process';
import type { ShellAccess } from './access-ladder';
import { type BlockRange, blockHashCommand, fetchRangesCommand, parseBlockHashes } from './block-delta';
import { shellQuote } from './shell-quote';
import { type ListedEntry, ListingParser, listingArgv } from './remote-listing';

/** Bytes that crossed the wire for one pull, both ways (payload of the remote processes). */
export class WireCounter {
  received = 0;
  sent = 0;

  /** Everything, both directions. */
  get total(): number {
    return this.received + this.sent;
  }
}

/**
 * A pass-through that counts what flows (with backpressure intact). Destroying it destroys
 * the source too, so an abandoned remote stream is never left paused (which would stall the
 * server side, or Docker's output copy).
 */
export function counted(source: Readable, onBytes: (n: number) => void): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
  source.on('error', (err) => counter.destroy(err));
  counter.on('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  return source.pipe(counter);
}

/** Every script starts in the tree's root, passed as `$1`; exit 3 means the root is not there. */
const inRoot = 'cd -- "$1" || exit 3; ';

/** A finished listing: entries in find's order (parents before children) and the root's own entry. */
export interface Listing {
  readonly entries: ListedEntry[];
  readonly root: ListedEntry | undefined;
  readonly warnings: string[];
}

function notThere(access: ShellAccess): LifeboatError {
  return new LifeboatError('not-found', `${access.root} does not exist on the server (${access.rung})`, 'run discovery again: the volume or bind mount may have been removed');
}

/** Drains a process that prints little (hashes, sums), counting what it sends. */
async function small(proc: RemoteProcess, wire: WireCounter): Promise<{ text: string; exit: RemoteExit }> {
  const parts: Buffer[] = [];
  for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
    wire.received += chunk.length;
    parts.push(chunk);
  }
  return { text: Buffer.concat(parts).toString('utf8'), exit: await proc.done };
}

/**
 * Lists the tree with one GNU find (compressed with `gzip -1` when the server has gzip: a
 * listing is very compressible and is the whole cost of a pull where nothing changed).
 */
export async function listRemote(access: ShellAccess, wire: WireCounter, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<Listing> {
  const format = listingArgv()[3] ?? '';
  const gzip = access.tools.has('gzip');
  const script = gzip ? `${inRoot}{ find . -printf "$2"; echo "lifeboat-find-exit=$?" >&2; } | gzip -1c` : `${inRoot}exec find . -printf "$2"`;
  const proc = await access.run(script, [access.root, format], signal ? { signal } : {});
  const parser = new ListingParser();
  const entries: ListedEntry[] = [];
  try {
    let stream: Readable = counted(proc.stdout, (n) => {
      wire.received += n;
      onBytes?.(n);
    });
    if (gzip) stream = stream.pipe(createGunzip());
    for await (const chunk of stream as AsyncIterable<Buffer>) for (const e of parser.push(chunk)) entries.push(e);
  } catch (err) {
    await proc.kill();
    const exit = await proc.done;
    if (exit.code === 3) throw notThere(access);
    if (signal?.aborted) throw new LifeboatError('cancelled', 'the listing was cancelled');
    throw new LifeboatError('remote-failed', `listing ${access.root} failed: ${(err as Error).message}`, 'check the server (disk, permissions) and run the backup again');
  }
  const exit = await proc.done;
  if (signal?.aborted) throw new LifeboatError('cancelled', 'the listing was cancelled');
  if (exit.code === 3) throw notThere(access);
  const marker = /lifeboat-find-exit=(\d+)/.exec(exit.stderr);
  const findCode = gzip ? Number(marker?.[1] ?? -1) : exit.code;
  if (exit.code === null || (gzip && (exit.code !== 0 || marker === null))) {
    throw new LifeboatError('remote-failed', `listing ${access.root} failed (exit ${exit.code ?? exit.signal}): ${exit.stderr.slice(-300)}`, 'check the server and run the backup again');
  }
  parser.end();
  const warnings: string[] = [];
  if (findCode !== 0) {
    const lines = exit.stderr.split('\n').filter((l) => l && !l.startsWith('lifeboat-find-exit='));
    warnings.push(`the listing was incomplete (find exit ${findCode}): ${lines.slice(0, 5).join('; ')}`);
  }
  return { entries, root: parser.root, warnings };
}

/** Transfers at least this large use 64 KiB tar records (see `startTar`). */
const BIG_TAR = 16 * 1024 * 1024;

/**
 * Starts one tar of the given files (GNU tar, file names NUL-separated on stdin, so any name
 * works and none is ever parsed by a shell; no recursion, so a path that became a directory
 * brings only itself). Vanished files are skipped by tar (`--ignore-failed-read`). For a large
 * transfer (`bytes`, the listed sizes) tar writes 64 KiB records (`-b 128`; its default is
 * 10 KiB): six times fewer pipe writes and sshd wake-ups per GiB on the server. The archive's
 * end is padded to a whole record, so small transfers keep the default (≤ 10 KiB of padding).
 */
export async function startTar(access: ShellAccess, paths: readonly string[], wire: WireCounter, signal?: AbortSignal, bytes = 0): Promise<RemoteProcess> {
  const list = Buffer.from(paths.map((p) => `${p}\0`).join(''), 'utf8');
  wire.sent += list.length;
  const script = `${inRoot}exec tar --null --verbatim-files-from --no-recursion --numeric-owner --ignore-failed-read -b ${bytes >= BIG_TAR ? 128 : 20} -T - -cf -`;
  return access.run(script, [access.root], { stdin: list, ...(signal ? { signal } : {}) });
}

/** Block hashes of a file as the server sees it now (coreutils `split --filter=sha256sum`). */
export async function remoteBlockHashes(access: ShellAccess, path: string, blockSize: number, wire: WireCounter, signal?: AbortSignal): Promise<string[] | undefined> {
  const proc = await access.run(`${inRoot}${blockHashCommand(path, blockSize)}`, [access.root], signal ? { signal } : {});
  const { text, exit } = await small(proc, wire);
  if (exit.code !== 0) return undefined;
  return parseBlockHashes(text);
}

/** Marks the file's size and mtime printed to stderr after a range fetch (`statAfter`). */
export const statMarker = 'lifeboat-stat=';

/**
 * Streams the given block ranges of a file back to back (one `dd` per range, one exec). With
 * `statAfter`, the file's exact mtime and size are printed to stderr once the ranges are read
 * (`lifeboat-stat=SECONDS SIZE`), so the caller can tell whether it changed since the listing.
 */
export async function fetchRanges(access: ShellAccess, path: string, ranges: readonly BlockRange[], blockSize: number, wire: WireCounter, signal?: AbortSignal, statAfter = false): Promise<RemoteProcess> {
  const stat = statAfter ? `find ${shellQuote(`./${path}`)} -maxdepth 0 -printf '${statMarker}%T@ %s\\n' >&2\n` : '';
  const script = Buffer.from(`${fetchRangesCommand(path, ranges, blockSize)}\n${stat}`, 'utf8');
  wire.sent += script.length;
  return access.run(`${inRoot}exec sh -s`, [access.root], { stdin: script, ...(signal ? { signal } : {}) });
}

/** The whole content of one file. */
export function catRemote(access: ShellAccess, path: string, signal?: AbortSignal): Promise<RemoteProcess> {
  return access.run(`${inRoot}exec cat < "$2"`, [access.root, path], signal ? { signal } : {});
}

/** SHA-256 (hex) of a file as it is now, or undefined when it is gone. */
export async function remoteSha256(access: ShellAccess, path: string, wire: WireCounter, signal?: AbortSignal): Promise<string | undefined> {
  const proc = await access.run(`${inRoot}sha256sum < "$2"`, [access.root, path], signal ? { signal } : {});
  const { text, exit } = await small(proc, wire);
  const match = /^([0-9a-f]{64})\s/.exec(text);
  return exit.code === 0 && match ? match[1] : undefined;
}
