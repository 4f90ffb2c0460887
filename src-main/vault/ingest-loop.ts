import { DATA_QUALITY } from './compress';
import { BlobType, throwIfAborted } from './format';
import { type ByteReader, type ByteSource, type IngestDeps, type Segment, abortable } from './ingest';

/** How much one loop keeps in flight (chunks being hashed or sealed). */
export interface InflightLimits {
  /** At most this many chunks. */
  readonly chunks: number;
  /** At most about this many bytes of chunks (a small file's chunk is small). */
  readonly bytes: number;
}

/** One stream's limits: eight chunks of ~1 MiB keep two to four workers busy. */
export const STREAM_LIMITS: InflightLimits = { chunks: 8, bytes: Number.POSITIVE_INFINITY };
/** Many files back to back: small files' chunks are small, so allow more of them. */
export const FILES_LIMITS: InflightLimits = { chunks: 48, bytes: 10 * 1024 * 1024 };

/** A file added to the loop: `read` once its bytes are all in segments, `done` once stored. */
export interface FileHandle {
  /** Resolves with the file's size when every byte has been read and cut (the source is free). */
  readonly read: Promise<number>;
  /** Resolves with the file's size when every chunk is hashed, sealed (if new) and packed. */
  readonly done: Promise<number>;
}

/** Many files into one ingest loop (see `IngestLoop`); what a tree pull's tar uses. */
export interface FilesIngest {
  add(source: ByteSource, onChunk: (id: Buffer, length: number) => void): FileHandle;
  close(): Promise<void>;
  abort(err?: unknown): Promise<void>;
}

interface FileState {
  readonly onChunk: (id: Buffer, length: number) => void;
  readonly ready: Map<number, { id: Buffer; length: number }>;
  nextSeq: number;
  nextEmit: number;
  outstanding: number;
  ended: boolean;
  size: number;
  resolve(size: number): void;
  reject(err: unknown): void;
}

function isReader(source: ByteSource): source is ByteReader {
  return typeof (source as ByteReader).readInto === 'function';
}

function deferred(): { promise: Promise<number>; resolve(n: number): void; reject(e: unknown): void } {
  let resolve!: (n: number) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * One ingest loop over any number of files, read back to back into the same segments. Each
 * file ends with a forced cut — exactly what a separate ingest per file does, so boundaries,
 * ids and deduplication are identical — but files share segments, the in-flight window and the
 * crypto workers' message batches, so a tree of small files costs no segment hand-over or pool
 * drain per file. Files are read strictly in the order they were added.
 */
export class IngestLoop implements FilesIngest {
  private readonly inflight = new Set<Promise<void>>();
  private inflightBytes = 0;
  private failure: unknown;
  private seg: Segment | undefined;
  private fill = 0;
  private pos = 0;
  /** Bytes after `pos` already found boundary-free (never hash twice). */
  private known = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly files = new Set<FileState>();

  constructor(
    private readonly deps: IngestDeps,
    private readonly limits: InflightLimits = FILES_LIMITS,
  ) {}

  /** Queues a file; its bytes are read after every file added before it. */
  add(source: ByteSource, onChunk: (id: Buffer, length: number) => void): FileHandle {
    const read = deferred();
    const done = deferred();
    const file: FileState = { onChunk, ready: new Map(), nextSeq: 0, nextEmit: 0, outstanding: 0, ended: false, size: 0, resolve: done.resolve, reject: done.reject };
    this.files.add(file);
    this.chain = this.chain.then(async () => {
      try {
        if (this.failure) throw this.failure;
        await this.readFile(file, source);
        read.resolve(file.size);
        this.settleIfDone(file);
      } catch (err) {
        this.failure ??= err;
        read.reject(this.failure);
        this.rejectAll();
      }
    });
    return { read: read.promise, done: done.promise };
  }

  /** Waits for every file added so far to be stored, then frees the segment. Throws the first failure. */
  async close(): Promise<void> {
    await this.chain;
    await this.drain(0);
    this.releaseSegment();
    if (this.failure) {
      this.rejectAll();
      throw this.failure;
    }
  }

  /** Gives up: waits for work in flight to settle and frees the segment; pending files reject. */
  async abort(err: unknown = new Error('ingest aborted')): Promise<void> {
    this.failure ??= err;
    await this.chain;
    await Promise.allSettled([...this.inflight]);
    this.releaseSegment();
    this.rejectAll();
  }

  private rejectAll(): void {
    for (const f of this.files) f.reject(this.failure);
    this.files.clear();
  }

  private releaseSegment(): void {
    if (this.seg) this.deps.pool.release(this.seg);
    this.seg = undefined;
  }

  private settleIfDone(file: FileState): void {
    if (!file.ended || file.outstanding > 0 || !this.files.has(file)) return;
    this.files.delete(file);
    file.resolve(file.size);
  }

  private async drain(limit: number): Promise<void> {
    while (this.inflight.size > limit || (limit > 0 && this.inflightBytes >= this.limits.bytes)) await Promise.race(this.inflight);
  }

  private record(file: FileState, seq: number, id: Buffer, length: number): void {
    file.ready.set(seq, { id, length });
    for (let r = file.ready.get(file.nextEmit); r; r = file.ready.get(file.nextEmit)) {
      file.ready.delete(file.nextEmit++);
      file.onChunk(r.id, r.length);
    }
  }

  private async process(file: FileState, owner: Segment, off: number, length: number, seq: number): Promise<void> {
    const { sink, crypto } = this.deps;
    const { id, compressible, worker } = await crypto.hash(owner.index, off, length);
    this.record(file, seq, id, length);
    if (sink.has(id)) return;
    sink.reserve(id, length);
    // The worker that hashed the chunk seals it and, where the storage allows, writes it into
    // a pack of its own: the ciphertext never comes back to this thread.
    const slot = sink.slot(length, worker);
    let sealed;
    try {
      const target = worker === undefined ? undefined : await slot.pack.target();
      sealed = await crypto.seal(owner.index, off, length, { type: BlobType.data, id, key: slot.key, counter: slot.counter, compressible, quality: DATA_QUALITY, ...(worker === undefined ? {} : { worker }), ...(target ? { target } : {}) });
    } catch (err) {
      throw sink.fail(err);
    }
    if ('placed' in sealed) await sink.placed(slot, BlobType.data, id, length, sealed.placed.offset, sealed.placed.length);
    else await sink.complete(slot, BlobType.data, id, length, sealed.pieces);
  }

  private emit(file: FileState, off: number, length: number): void {
    const owner = this.seg as Segment;
    owner.refs++;
    file.outstanding++;
    this.inflightBytes += length;
    const job: Promise<void> = this.process(file, owner, off, length, file.nextSeq++)
      .then(
        () => {
          file.outstanding--;
          this.settleIfDone(file);
        },
        (err: unknown) => {
          this.failure ??= err;
          this.rejectAll();
        },
      )
      .finally(() => {
        this.deps.pool.release(owner);
        this.inflightBytes -= length;
        this.inflight.delete(job);
      });
    this.inflight.add(job);
  }

  private cutAll(file: FileState, final: boolean): void {
    const cut = this.deps.pool.cutter(this.deps.chunker);
    const seg = this.seg as Segment;
    for (;;) {
      const n = cut(seg, this.pos, this.fill, final, this.known);
      if (n < 0) this.known = this.fill - this.pos;
      if (n <= 0) return;
      this.emit(file, this.pos, n);
      this.pos += n;
      this.known = 0;
    }
  }

  /** After `n` new bytes landed in the segment: cut, rotate a full segment, apply backpressure. */
  private async advance(file: FileState, n: number): Promise<void> {
    const { pool } = this.deps;
    this.fill += n;
    this.cutAll(file, false);
    if (this.fill === pool.size) {
      const next = await pool.acquire();
      const seg = this.seg as Segment;
      seg.buf.copy(next.buf, 0, this.pos, this.fill);
      pool.release(seg);
      this.seg = next;
      this.fill -= this.pos;
      this.pos = 0;
    }
    await this.drain(this.limits.chunks - 1);
    if (this.failure) throw this.failure;
  }

  private async readFile(file: FileState, source: ByteSource): Promise<void> {
    const { pool, signal } = this.deps;
    const size = pool.size;
    this.seg ??= await pool.acquire();
    // Every file starts a chunk of its own: the previous one ended with a forced cut.
    this.known = 0;
    if (isReader(source)) {
      // Straight into shared memory: no intermediate buffers, no copies.
      for (;;) {
        throwIfAborted(signal, 'the backup');
        const n = await source.readInto((this.seg as Segment).buf, this.fill, size - this.fill);
        if (n === 0) break;
        await this.advance(file, n);
        file.size += n;
        this.deps.onBytes?.(n);
        if (this.deps.flush) await this.deps.flush();
      }
    } else {
      for await (const piece of abortable(source, signal, 'the backup')) {
        for (let off = 0; off < piece.byteLength; ) {
          const n = Math.min(piece.byteLength - off, size - this.fill);
          (this.seg as Segment).buf.set(piece.subarray(off, off + n), this.fill);
          off += n;
          await this.advance(file, n);
        }
        file.size += piece.byteLength;
        this.deps.onBytes?.(piece.byteLength);
        if (this.deps.flush) await this.deps.flush();
      }
    }
    this.cutAll(file, true);
    file.ended = true;
    throwIfAborted(signal, 'the backup');
  }
}
