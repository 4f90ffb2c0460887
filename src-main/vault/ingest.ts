import { read } from 'node:fs';
import { LifeboatError } from '../api/errors';
import type { Chunker } from './chunker';
import { DATA_QUALITY, FAST_QUALITY, META_QUALITY, encodeChunk } from './compress';
import type { ChunkCrypto } from './crypto-pool';
import { GEAR_AREA, type WasmMemory, WasmCutter, sharedMemory } from './wasm-cut';
import { BlobType, throwIfAborted } from './format';
import type { PackSink } from './pack-sink';

/** Segment buffers hold input while its chunks are hashed, compressed and encrypted. */
const SEGMENT = 12 * 1024 * 1024;
const SEGMENTS = 4;
/** Chunks being hashed or sealed at once (keeps workers busy, memory bounded). */
const MAX_INFLIGHT = 8;

/** One reusable input buffer, shared with the crypto workers. */
export interface Segment {
  readonly index: number;
  readonly buf: Buffer;
  refs: number;
}

/** Where the segments live, as handed to workers: one shared buffer, fixed-size slices. */
export interface SharedSegments {
  readonly buffer: SharedArrayBuffer;
  readonly offsets: readonly number[];
  readonly size: number;
}

/** Length of the chunk starting at `start` in a segment, or -1 (more input needed); see `Chunker.next`. */
export type SegmentCut = (seg: Segment, start: number, end: number, final: boolean, known: number) => number;

/**
 * A fixed set of input buffers in one shared WebAssembly memory (so the wasm chunker and the
 * crypto workers read them in place); waiting for a free one is the ingest's backpressure.
 */
export class SegmentPool {
  /** The shared memory, handed to workers once. */
  readonly shared: SharedSegments;
  private readonly memory: WasmMemory;
  private readonly free: Segment[] = [];
  private readonly waiters: ((s: Segment) => void)[] = [];
  private cut: { chunker: Chunker; fn: SegmentCut } | undefined;

  constructor(count = SEGMENTS, readonly size = SEGMENT) {
    this.memory = sharedMemory(count * size);
    const buffer = this.memory.buffer as unknown as SharedArrayBuffer;
    const offsets = Array.from({ length: count }, (_, i) => GEAR_AREA + i * size);
    this.shared = { buffer, offsets, size };
    offsets.forEach((offset, index) => this.free.push({ index, buf: Buffer.from(buffer, offset, size), refs: 0 }));
  }

  /**
   * `Chunker.next` over these segments, running in wasm: `cut(segment, start, end, final, known)`
   * (see `WasmCutter.next` for `known`). One instance per chunker, made on first use.
   */
  cutter(chunker: Chunker): SegmentCut {
    if (this.cut?.chunker !== chunker) {
      const wasm = new WasmCutter(this.memory, chunker.gear, chunker.params);
      const offsets = this.shared.offsets;
      this.cut = { chunker, fn: (seg, start, end, final, known) => wasm.next((offsets[seg.index] as number) + start, (offsets[seg.index] as number) + end, final, known) };
    }
    return this.cut.fn;
  }

  /** Takes a free segment, waiting for one if all are busy. */
  acquire(): Promise<Segment> {
    const s = this.free.pop();
    if (s) {
      s.refs = 1;
      return Promise.resolve(s);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops one reference; the segment is reused when none remain. */
  release(s: Segment): void {
    if (--s.refs > 0) return;
    const next = this.waiters.shift();
    if (next) {
      s.refs = 1;
      next(s);
    } else {
      this.free.push(s);
    }
  }
}

/** What the ingest needs: the session's sink, the vault's chunker, and chunk crypto. */
export interface IngestDeps {
  readonly sink: PackSink;
  readonly chunker: Chunker;
  readonly crypto: ChunkCrypto;
  readonly pool: SegmentPool;
  readonly signal?: AbortSignal;
  /** Called with bytes consumed from the source, for progress. */
  readonly onBytes?: (n: number) => void;
  /** Awaited after each input piece (callers flush their own buffers here). */
  readonly flush?: () => Promise<void>;
}

/**
 * Iterates a source but gives up as soon as the signal fires, even while waiting for input.
 * Each wait gets its own listener (racing every `next()` against one long-lived promise would
 * keep every piece reachable from that promise's reactions — memory growing with the input).
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined, what: string): AsyncGenerator<T> {
  if (!signal) {
    yield* source;
    return;
  }
  const it = source[Symbol.asyncIterator]();
  const cancelled = () => new LifeboatError('cancelled', `${what} was cancelled`);
  try {
    for (;;) {
      if (signal.aborted) throw cancelled();
      const next = await new Promise<IteratorResult<T>>((resolve, reject) => {
        const onAbort = () => reject(cancelled());
        signal.addEventListener('abort', onAbort, { once: true });
        it.next().then(
          (r) => {
            signal.removeEventListener('abort', onAbort);
            resolve(r);
          },
          (err: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(err);
          },
        );
      });
      if (next.done) return;
      yield next.value;
    }
  } finally {
    void it.return?.()?.catch?.(() => undefined);
  }
}

/** A source that reads straight into the caller's buffer, e.g. a file descriptor; 0 means the end. */
export interface ByteReader {
  readInto(buf: Buffer, offset: number, length: number): Promise<number>;
}

/** What an item's bytes can come from: any async iterable of bytes (a stream), or a reader. */
export type ByteSource = AsyncIterable<Uint8Array> | ByteReader;

function isReader(source: ByteSource): source is ByteReader {
  return typeof (source as ByteReader).readInto === 'function';
}

/** Reads a file descriptor (a regular file) straight into the ingest's buffers. */
export function fdReader(fd: number): ByteReader {
  return {
    readInto: (buf, offset, length) =>
      new Promise((resolve, reject) => {
        read(fd, buf, offset, length, null, (err, n) => (err ? reject(err) : resolve(n)));
      }),
  };
}

/** Stores one chunk held in ordinary memory (metadata): compress, then seal here. */
export async function storeChunk(sink: PackSink, type: number, id: Buffer, data: Uint8Array): Promise<void> {
  const encoded = await encodeChunk(data, type === BlobType.meta ? META_QUALITY : DATA_QUALITY);
  await sink.store(type, id, encoded.method, encoded.payload, data.byteLength);
}

/**
 * Chunks a byte stream and stores its new chunks; `onChunk` receives every chunk's id and
 * length in stream order (that list is the item's content). The main thread copies input into
 * shared segments and cuts chunks; hashing, compression and encryption run on the crypto
 * workers. Memory is bounded by the segment pool and the in-flight limit, whatever the size.
 */
export async function ingestStream(
  source: ByteSource,
  deps: IngestDeps,
  onChunk: (id: Buffer, length: number) => void,
): Promise<number> {
  const { sink, chunker, crypto, pool, signal } = deps;
  const size = pool.size;
  const cut = pool.cutter(chunker);
  const inflight = new Set<Promise<void>>();
  const ready = new Map<number, { id: Buffer; length: number }>();
  let nextSeq = 0;
  let nextEmit = 0;
  let failure: unknown;
  let total = 0;
  let seg = await pool.acquire();
  let held = true;
  let fill = 0;
  let pos = 0;

  const record = (seq: number, id: Buffer, length: number) => {
    ready.set(seq, { id, length });
    for (let r = ready.get(nextEmit); r; r = ready.get(nextEmit)) {
      ready.delete(nextEmit++);
      onChunk(r.id, r.length);
    }
  };

  // Share of recent chunks that were new (moving average over ~10 chunks).
  let newShare = 0.5;
  const process = async (owner: Segment, off: number, length: number, seq: number) => {
    const { id, compressible, worker } = await crypto.hash(owner.index, off, length);
    record(seq, id, length);
    const known = sink.has(id);
    newShare = newShare * 0.9 + (known ? 0 : 0.1);
    if (known) return;
    sink.reserve(id, length);
    const slot = sink.slot(length);
    let sealed;
    // A full pipeline of mostly new chunks means compression, not the source, sets the pace:
    // compress faster. A mostly-deduplicated backup fills the pipeline with hashing instead, and
    // its few new chunks get the better ratio for next to no time.
    const quality = inflight.size >= MAX_INFLIGHT / 2 && newShare > 0.5 ? FAST_QUALITY : DATA_QUALITY;
    try {
      sealed = await crypto.seal(owner.index, off, length, { type: BlobType.data, id, key: slot.key, counter: slot.counter, compressible, quality, ...(worker === undefined ? {} : { worker }) });
    } catch (err) {
      sink.fail(err);
      throw err;
    }
    await sink.complete(slot, BlobType.data, id, length, sealed.pieces);
  };

  const emit = (off: number, length: number) => {
    const owner = seg;
    owner.refs++;
    const job: Promise<void> = process(owner, off, length, nextSeq++)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => {
        pool.release(owner);
        inflight.delete(job);
      });
    inflight.add(job);
  };

  // Bytes after `pos` already found boundary-free (input arrives in pieces; never hash twice).
  let known = 0;
  const cutAll = (final: boolean) => {
    for (;;) {
      const n = cut(seg, pos, fill, final, known);
      if (n < 0) known = fill - pos;
      if (n <= 0) return;
      emit(pos, n);
      pos += n;
      known = 0;
    }
  };

  /** After `n` new bytes landed in the segment: cut, rotate a full segment, apply backpressure. */
  const advance = async (n: number) => {
    fill += n;
    cutAll(false);
    if (fill === size) {
      const next = await pool.acquire();
      seg.buf.copy(next.buf, 0, pos, fill);
      pool.release(seg);
      seg = next;
      fill -= pos;
      pos = 0;
    }
    while (inflight.size >= MAX_INFLIGHT) await Promise.race(inflight);
    if (failure) throw failure;
  };

  try {
    if (isReader(source)) {
      // Straight into shared memory: no intermediate buffers, no copies.
      for (;;) {
        throwIfAborted(signal, 'the backup');
        const n = await source.readInto(seg.buf, fill, size - fill);
        if (n === 0) break;
        await advance(n);
        total += n;
        deps.onBytes?.(n);
        if (deps.flush) await deps.flush();
      }
    } else {
      for await (const piece of abortable(source, signal, 'the backup')) {
        for (let off = 0; off < piece.byteLength; ) {
          const n = Math.min(piece.byteLength - off, size - fill);
          seg.buf.set(piece.subarray(off, off + n), fill);
          off += n;
          await advance(n);
        }
        total += piece.byteLength;
        deps.onBytes?.(piece.byteLength);
        if (deps.flush) await deps.flush();
      }
    }
    cutAll(true);
    held = false;
    pool.release(seg);
    while (inflight.size > 0) await Promise.race(inflight);
    if (failure) throw failure;
    throwIfAborted(signal, 'the backup');
    return total;
  } catch (err) {
    if (held) pool.release(seg);
    await Promise.allSettled([...inflight]);
    throw failure ?? err;
  }
}
