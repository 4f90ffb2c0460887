import { read } from 'node:fs';
import { LifeboatError } from '../api/errors';
import type { Chunker } from './chunker';
import { DATA_QUALITY, META_QUALITY, encodeChunk } from './compress';
import type { ChunkCrypto } from './crypto-pool';
import { GEAR_AREA, type WasmMemory, WasmCutter, sharedMemory } from './wasm-cut';
import { BlobType } from './format';
import { IngestLoop, STREAM_LIMITS } from './ingest-loop';
import type { PackSink } from './pack-sink';

/** Segment buffers hold input while its chunks are hashed, compressed and encrypted. */
const SEGMENT = 12 * 1024 * 1024;
const SEGMENTS = 4;

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
 * (An `IngestLoop` with one file: many files go through one loop, see `ingest-loop.ts`.)
 */
export async function ingestStream(
  source: ByteSource,
  deps: IngestDeps,
  onChunk: (id: Buffer, length: number) => void,
): Promise<number> {
  const loop = new IngestLoop(deps, STREAM_LIMITS);
  const file = loop.add(source, onChunk);
  try {
    await loop.close();
  } catch (err) {
    await loop.abort(err);
    throw err;
  }
  return file.done;
}
