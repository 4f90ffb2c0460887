import { LifeboatError } from '../api/errors';
import type { BlobIndex, BlobLocation } from './blob-index';
import type { BlobRing } from './blob-ring';
import { BlobType, hex, parseHexId, shortId } from './format';
import { type ChunkRef, metaLines, streamChunkRefs } from './meta-stream';
import type { BlobOpener } from './crypto-pool';
import type { PackFiles } from './pack-reader';
import { type Snapshot, type SnapshotItem, type TreeEntry, treeEntrySchema } from './snapshots';

/** Chunks fetched ahead of the one being delivered (bounded memory: ≤ this × 8 MiB). */
const READ_AHEAD = 8;

/** What reading needs: the pack reader and the index. */
export interface ReadDeps {
  readonly packs: PackFiles;
  readonly index: BlobIndex;
  readonly signal?: AbortSignal;
  /** Decrypts and verifies on worker threads when given (large reads); else on this thread. */
  readonly opener?: BlobOpener;
  /**
   * File chunks of trees go through it when given: verified on workers into a shared ring,
   * returned as views to give back with `release` (see BlobRing; only for borrowing readers).
   */
  readonly ring?: Pick<BlobRing, 'read' | 'release'>;
}

/** Runs `fn` over a source with up to `k` calls in flight, yielding results in source order. */
export async function* ordered<T, R>(source: AsyncIterable<T>, fn: (t: T) => Promise<R>, k: number): AsyncGenerator<R> {
  const it = source[Symbol.asyncIterator]();
  const queue: Promise<R>[] = [];
  let done = false;
  try {
    for (;;) {
      while (!done && queue.length < k) {
        const next = await it.next();
        if (next.done) {
          done = true;
          break;
        }
        const p = fn(next.value);
        p.catch(() => undefined);
        queue.push(p);
      }
      const head = queue.shift();
      if (!head) return;
      yield await head;
    }
  } finally {
    if (!done) await it.return?.(undefined);
    await Promise.allSettled(queue);
  }
}

/** Where a blob is, or `not-found` / `corrupt` naming it and its owner; `cancelled` once the signal fired. */
function locate(deps: ReadDeps, id: Buffer, owner: string, type: number): BlobLocation {
  if (deps.signal?.aborted) throw new LifeboatError('cancelled', 'reading was cancelled');
  const loc = deps.index.get(id);
  if (!loc) {
    throw new LifeboatError('not-found', `blob ${hex(id)} of ${owner} is missing from the vault`, 'run "lifeboat check" to see what else is damaged; restore the vault from a copy if you have one');
  }
  if (loc.type !== type) throw new LifeboatError('corrupt', `blob ${hex(id)} of ${owner} has the wrong type in the index`, 'run "lifeboat check"');
  return loc;
}

/** Reads one blob by id, failing with `not-found` (naming it and its owner) when the index lacks it. */
export async function readBlobById(deps: ReadDeps, id: Buffer, owner: string, type: number = BlobType.data): Promise<Buffer> {
  const loc = locate(deps, id, owner, type);
  if (!deps.opener) return deps.packs.readBlob(id, loc);
  const { bytes, key } = await deps.packs.readRange(loc.packId, loc.offset, loc.length, `blob ${hex(id)}`);
  return deps.opener.open(id, loc, key, bytes);
}

function owner(snapshot: Snapshot, item: SnapshotItem): string {
  return `item "${item.name}" of snapshot ${shortId(snapshot.id)}`;
}

/** The decrypted meta stream of an item, blob by blob. */
export function readMeta(deps: ReadDeps, snapshot: Snapshot, item: SnapshotItem): AsyncGenerator<Buffer> {
  const who = owner(snapshot, item);
  async function* ids() {
    for (const id of item.meta) yield parseHexId(id, who);
  }
  return ordered(ids(), (id) => readBlobById(deps, id, who, BlobType.meta), 2);
}

/** The chunk list of a stream item. */
export function streamRefs(deps: ReadDeps, snapshot: Snapshot, item: SnapshotItem): AsyncGenerator<ChunkRef> {
  if (item.type !== 'stream') throw new LifeboatError('bad-input', `${owner(snapshot, item)} is a file tree, not a stream`, 'read its files with readTree, or name one file as ITEM/path');
  return streamChunkRefs(readMeta(deps, snapshot, item), owner(snapshot, item));
}

/** The bytes of a sequence of chunks, read ahead and verified, in order. */
export function readChunks(deps: ReadDeps, refs: AsyncIterable<ChunkRef>, who: string): AsyncGenerator<Buffer> {
  return ordered(
    refs,
    async (ref) => {
      const data = await readBlobById(deps, ref.id, who);
      if (data.length !== ref.length) throw new LifeboatError('corrupt', `blob ${hex(ref.id)} of ${who} has ${data.length} bytes, the listing says ${ref.length}`, 'run "lifeboat check --read-data"');
      return data;
    },
    READ_AHEAD,
  );
}

/** The content of a stream item. */
export function readStreamItem(deps: ReadDeps, snapshot: Snapshot, item: SnapshotItem): AsyncGenerator<Buffer> {
  return readChunks(deps, streamRefs(deps, snapshot, item), owner(snapshot, item));
}

/** The entries of a tree item, validated, in the order they were written. */
export async function* readTreeEntries(deps: ReadDeps, snapshot: Snapshot, item: SnapshotItem): AsyncGenerator<TreeEntry> {
  const who = owner(snapshot, item);
  if (item.type !== 'tree') throw new LifeboatError('bad-input', `${who} is a stream, not a file tree`);
  for await (const line of metaLines(readMeta(deps, snapshot, item), who)) {
    let parsed: TreeEntry;
    try {
      parsed = treeEntrySchema.parse(JSON.parse(line));
    } catch {
      throw new LifeboatError('corrupt', `${who} has an invalid tree entry`, 'run "lifeboat check"');
    }
    yield parsed;
  }
}

/** One chunk of a file: its expected length (from the index; -1 when missing) and how to read it. */
export interface FilePiece {
  readonly length: number;
  read(): Promise<Buffer>;
  /** Present when `read` lends a buffer: call it once the bytes have been consumed. */
  readonly release?: (data: Buffer) => void;
}

/**
 * The chunks of one file entry as separately readable pieces, so that a reader can fetch ahead
 * across file boundaries (restores of many small files). Reads are verified like every read.
 */
export function* treeFilePieces(deps: ReadDeps, entry: TreeEntry, who: string): Generator<FilePiece> {
  const owner = `${who}/${entry.path}`;
  const ring = deps.ring;
  for (const hexId of entry.chunks ?? []) {
    const id = parseHexId(hexId, who);
    const length = deps.index.get(id)?.rawLength ?? -1;
    if (!ring) yield { length, read: () => readBlobById(deps, id, owner) };
    else yield { length, read: async () => ring.read(id, locate(deps, id, owner, BlobType.data)), release: (b) => ring.release(b) };
  }
}

/** The content of one file entry of a tree. */
export function readTreeFile(deps: ReadDeps, entry: TreeEntry, who: string): AsyncGenerator<Buffer> {
  async function* pieces(): AsyncGenerator<FilePiece> {
    yield* treeFilePieces(deps, entry, who);
  }
  return ordered(pieces(), (piece) => piece.read(), READ_AHEAD);
}
