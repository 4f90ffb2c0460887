import type { Readable } from 'node:stream';
import type { ByteSource } from '../vault/ingest';
import type { TreeEntry } from '../vault/snapshots';
import type { Vault } from '../vault/vault';
import type { ShellAccess } from './access-ladder';
import { type DeltaPlan, planDelta } from './block-delta';
import { ByteReader } from './byte-reader';
import { inPlaceDelta } from './delta-in-place';
import { PreviousFile } from './previous-file';
import { type WireCounter, catRemote, counted, fetchRanges, remoteBlockHashes, remoteSha256 } from './remote-tree';
import { StreamHasher, decodeBlocks } from './tree-entries';

/** Stores a byte stream (or a reader) in the vault; returns its chunk ids and size. */
export type Ingest = (source: ByteSource) => Promise<{ chunks: string[]; size: number }>;

/** What the delta of one file needs. */
export interface DeltaInput {
  readonly access: ShellAccess;
  readonly vault: Vault;
  readonly wire: WireCounter;
  readonly ingest: Ingest;
  readonly path: string;
  /** The file's entry in the previous snapshot (chunks, maybe stored block hashes). */
  readonly previous: TreeEntry;
  readonly blockSize: number;
  /** What the listing saw (size, exact mtime): the in-place fast path checks the file still matches it. */
  readonly listed?: { readonly size: number; readonly mtimeNs: string };
  readonly signal?: AbortSignal;
}

/** The new version, stored. */
export interface DeltaOutcome {
  readonly chunks: string[];
  readonly size: number;
  readonly blocks: string[];
  /** `delta` (rebuilt from unchanged blocks + fetched ranges) or `whole` (fetched entirely). */
  readonly how: 'delta' | 'whole';
  readonly blocksTotal: number;
  readonly blocksFetched: number;
  readonly warning?: string;
}

/** Block hashes of the previous version: stored with its entry, else computed from the vault. */
async function previousHashes(input: DeltaInput, file: PreviousFile): Promise<string[]> {
  const stored = input.previous.blocks;
  if (stored && stored.size === input.blockSize) return decodeBlocks(stored.sha256);
  const hasher = new StreamHasher(input.blockSize);
  for (let at = 0; at < file.size; at += input.blockSize) hasher.update(await file.read(at, input.blockSize));
  return hasher.digest().blocks;
}

/**
 * The new version as a stream: unchanged blocks from the vault, changed ones from the `dd`
 * stream in order. A short `dd` stream (the file shrank meanwhile) ends the stream early and
 * sets `broken`; the whole-file hash check catches every other race.
 */
async function* rebuild(plan: DeltaPlan, file: PreviousFile, remote: ByteReader | undefined, blockSize: number, state: { broken: boolean }): AsyncGenerator<Buffer> {
  const last = plan.sources.length - 1;
  for (const [i, src] of plan.sources.entries()) {
    if (src.from === 'previous') {
      yield await file.read(src.block * blockSize, blockSize);
      continue;
    }
    if (!remote) {
      state.broken = true;
      return;
    }
    const data = await remote.read(blockSize);
    if (data.length === 0 || (i !== last && data.length < blockSize)) {
      state.broken = true;
      if (data.length > 0) yield data;
      return;
    }
    yield data;
  }
}

async function whole(input: DeltaInput, blocksTotal: number, why: string | undefined): Promise<DeltaOutcome | undefined> {
  const proc = await catRemote(input.access, input.path, input.signal);
  const hasher = new StreamHasher(input.blockSize);
  let stored: { chunks: string[]; size: number };
  try {
    stored = await input.ingest(hasher.tap(counted(proc.stdout, (n) => (input.wire.received += n)) as AsyncIterable<Buffer>));
  } catch (err) {
    await proc.kill();
    throw err;
  }
  const exit = await proc.done;
  if (exit.code !== 0) return undefined;
  const { sha256, blocks } = hasher.digest();
  const now = await remoteSha256(input.access, input.path, input.wire, input.signal);
  const warning = now === sha256 ? why : `${input.path}: changed while being read; the copy may be inconsistent`;
  return { ...stored, blocks, how: 'whole', blocksTotal, blocksFetched: blocks.length, ...(warning ? { warning } : {}) };
}

/**
 * Fetches a large changed file by block delta: the server hashes fixed-size blocks with
 * coreutils, only blocks whose hash is not anywhere in the previous version travel (one `dd`
 * exec for all ranges). An edit in place stores again only the chunks around the changed
 * blocks (`delta-in-place.ts`); otherwise the new version is rebuilt as a stream into the
 * vault and checked against the server's block hashes and a whole-file SHA-256 taken
 * afterwards. A file that changed during the pull is fetched whole. Undefined: it is gone.
 */
export async function deltaFetch(input: DeltaInput): Promise<DeltaOutcome | undefined> {
  const { access, path, blockSize, wire, signal } = input;
  const current = await remoteBlockHashes(access, path, blockSize, wire, signal);
  if (!current) return whole(input, 0, undefined);
  let file: PreviousFile;
  try {
    file = new PreviousFile(input.vault, input.previous, `previous version of ${path}`, signal);
  } catch {
    return whole(input, current.length, undefined);
  }
  const before = await previousHashes(input, file);
  const plan = planDelta(before, current);
  if (input.listed) {
    const fast = await inPlaceDelta(input, plan, current, before, file, input.listed);
    if (fast) return fast;
  }
  const proc = plan.ranges.length > 0 ? await fetchRanges(access, path, plan.ranges, blockSize, wire, signal) : undefined;
  const state = { broken: false };
  const hasher = new StreamHasher(blockSize);
  let stored: { chunks: string[]; size: number };
  try {
    const remote = proc ? new ByteReader(counted(proc.stdout as Readable, (n) => (wire.received += n)) as AsyncIterable<Buffer>) : undefined;
    stored = await input.ingest(hasher.tap(rebuild(plan, file, remote, blockSize, state)));
    // Bytes beyond the last block: the file grew after it was hashed.
    if (remote && !state.broken && !(await remote.atEnd())) state.broken = true;
  } catch (err) {
    await proc?.kill();
    throw err;
  }
  if (state.broken) await proc?.kill();
  const exit = proc ? await proc.done : undefined;
  const { sha256, blocks } = hasher.digest();
  const sameBlocks = blocks.length === current.length && blocks.every((h, i) => h === current[i]);
  if (state.broken || !sameBlocks || (exit && exit.code !== 0 && exit.signal === undefined)) return whole(input, current.length, undefined);
  const now = await remoteSha256(access, path, wire, signal);
  if (now === undefined) return undefined;
  if (now !== sha256) return whole(input, current.length, undefined);
  return { ...stored, blocks, how: 'delta', blocksTotal: current.length, blocksFetched: plan.blocksToFetch };
}
