import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LifeboatError } from '../api/errors';
import { ENTROPY_LIMIT, ENTROPY_SAMPLE, encodeChunk, sampleEntropy } from './compress';
import { cryptoWorkerSource } from './crypto-worker';
import type { BlobLocation } from './blob-index';
import type { PackTarget } from './pack-writer';
import { type MasterKeys, blobAd, blobIdOf, blobNonce, seal } from './crypto';
import { corrupt, hex, packPath } from './format';
import type { SharedSegments } from './ingest';
import { openBlob } from './pack-reader';

/** The error for a blob that failed in a worker, worded like the inline reader's. */
function blobFault(id: Buffer, loc: BlobLocation, fault: string) {
  const detail =
    fault === 'auth' ? 'authentication failed (the file is damaged or was altered)' : fault === 'id' ? 'content does not match its id' : 'does not decompress to its recorded length';
  return corrupt(`blob ${hex(id)}`, packPath(loc.packId), detail);
}

/** A chunk's keyed id and whether compressing it is worth a try. */
export interface Hashed {
  readonly id: Buffer;
  readonly compressible: boolean;
  /** The worker that hashed it: sealing there finds the bytes still in its cache. */
  readonly worker?: number;
}

/** What sealing needs besides the bytes: where the blob goes and how it is bound. */
export interface SealJob {
  readonly type: number;
  readonly id: Buffer;
  /** The pack's subkey and this blob's counter in it. */
  readonly key: Buffer;
  readonly counter: number;
  readonly compressible: boolean;
  /** Brotli quality if compressing (DATA_QUALITY for data chunks). */
  readonly quality: number;
  /** Preferred worker (the one that hashed the chunk). */
  readonly worker?: number;
  /** Write the blob into this pack on the worker instead of returning it (worker crypto only). */
  readonly target?: PackTarget;
}

/**
 * A sealed blob and the method byte used: its ciphertext pieces (ending with the tag), or —
 * when the job had a `target` — where in that pack the worker wrote it.
 */
export type Sealed = { readonly method: number; readonly pieces: Buffer[] } | { readonly method: number; readonly placed: { readonly offset: number; readonly length: number } };

/**
 * Hashing, compression and encryption of chunks that live in shared segment buffers. The
 * worker version runs them on other cores while the main thread keeps chunking; the inline
 * version (no workers) runs them here. Both produce identical bytes.
 */
export interface ChunkCrypto extends BlobOpener {
  hash(seg: number, off: number, len: number): Promise<Hashed>;
  seal(seg: number, off: number, len: number, job: SealJob): Promise<Sealed>;
  close(): Promise<void>;
}

/** Decrypts, decompresses and verifies a blob read from its pack (errors name blob and pack). */
export interface BlobOpener {
  open(id: Buffer, loc: BlobLocation, packKey: Buffer, bytes: Buffer): Promise<Buffer>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

type Slot = { worker: Worker; load: number; ops: Record<string, unknown>[]; transfer: ArrayBuffer[] };

/**
 * Chunk crypto on worker threads, one per core (at most four). Requests made in one turn of the
 * event loop go to each worker as one message (sent from `setImmediate`) and come back as one or
 * two: on a two-core machine every message wakes a thread that preempts this one, so a message
 * per chunk and operation cost more main-thread time than the work they carried.
 */
export class WorkerCrypto implements ChunkCrypto {
  private readonly workers: Slot[] = [];
  private readonly pending = new Map<number, Pending & { slot: Slot }>();
  private seq = 0;
  private failure: Error | undefined;
  private closing = false;
  private scheduled = false;
  /** Messages posted to workers (diagnostics, tests). */
  messages = 0;

  constructor(segments: SharedSegments | undefined, idKey: Buffer, count: number = Math.max(1, Math.min(4, availableParallelism()))) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(cryptoWorkerSource, {
        eval: true,
        workerData: { ...(segments ? { segments } : {}), idKey: new Uint8Array(idKey), entropyLimit: ENTROPY_LIMIT, entropySample: ENTROPY_SAMPLE },
      });
      const slot: Slot = { worker, load: 0, ops: [], transfer: [] };
      worker.on('message', (m: { batch: { seq: number; error?: string; code?: unknown }[] }) => {
        for (const r of m.batch) this.settle(r);
      });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`worker exited with code ${code}`));
      });
      worker.unref();
      this.workers.push(slot);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(new LifeboatError('internal', `a hashing worker failed: ${err.message}`));
    this.pending.clear();
    for (const w of this.workers) {
      w.ops = [];
      w.transfer = [];
    }
  }

  private settle(m: { seq: number; error?: string; code?: unknown }): void {
    const p = this.pending.get(m.seq);
    if (!p) return;
    this.pending.delete(m.seq);
    p.slot.load--;
    if (this.pending.size === 0) for (const w of this.workers) w.worker.unref();
    // A failed pack write keeps its errno code, so the sink can say "disk full" and what to do.
    if (m.error && typeof m.code === 'string') p.reject(Object.assign(new Error(m.error), { code: m.code }));
    else if (m.error) p.reject(new LifeboatError('internal', `chunk processing failed: ${m.error}`));
    else p.resolve(Object.assign(m, { worker: this.workers.indexOf(p.slot) }));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    for (const w of this.workers) {
      if (w.ops.length === 0) continue;
      const batch = w.ops;
      const transfer = w.transfer;
      w.ops = [];
      w.transfer = [];
      this.messages++;
      w.worker.postMessage({ batch }, transfer);
    }
  };

  private send(message: Record<string, unknown>, transfer: ArrayBuffer[] = [], prefer?: number): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    let slot = this.workers[prefer ?? 0] ?? (this.workers[0] as Slot);
    if (prefer === undefined) for (const w of this.workers) if (w.load < slot.load) slot = w;
    const seq = ++this.seq;
    // Idle workers must not keep the process alive, busy ones must (nothing else waits on them).
    if (this.pending.size === 0) for (const w of this.workers) w.worker.ref();
    slot.load++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, slot });
      slot.ops.push({ ...message, seq });
      for (const t of transfer) slot.transfer.push(t);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  async hash(seg: number, off: number, len: number): Promise<Hashed> {
    const m = (await this.send({ op: 'hash', seg, off, len })) as { id: Uint8Array; compressible: boolean; worker: number };
    return { id: asBuffer(m.id), compressible: m.compressible, worker: m.worker };
  }

  async seal(seg: number, off: number, len: number, job: SealJob): Promise<Sealed> {
    const { type, id, key, counter, compressible, quality, target } = job;
    const m = (await this.send({ op: 'seal', seg, off, len, type, id, key, counter, compressible, quality, ...(target ? { target } : {}) }, [], job.worker)) as {
      method: number;
      pieces?: Uint8Array[];
      placed?: { offset: number; length: number };
    };
    if (m.placed) return { method: m.method, placed: m.placed };
    return { method: m.method, pieces: (m.pieces ?? []).map(asBuffer) };
  }

  async open(id: Buffer, loc: BlobLocation, packKey: Buffer, bytes: Buffer): Promise<Buffer> {
    const own = bytes.length >= 4096 && bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length;
    const m = (await this.send({ op: 'open', type: loc.type, id, key: packKey, counter: loc.counter, bytes, rawLength: loc.rawLength }, own ? [bytes.buffer as ArrayBuffer] : [])) as { data?: Uint8Array; fault?: string };
    if (m.data) return asBuffer(m.data);
    throw blobFault(id, loc, m.fault ?? 'auth');
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}

/** The same work on this thread (compression still goes to libuv's pool). */
export class InlineCrypto implements ChunkCrypto {
  private readonly segs: Buffer[];
  private readonly idKey: Buffer;

  constructor(
    segments: SharedSegments | undefined,
    private readonly keys: MasterKeys,
  ) {
    this.segs = segments ? segments.offsets.map((o) => Buffer.from(segments.buffer, o, segments.size)) : [];
    this.idKey = keys.idKey;
  }

  private view(seg: number, off: number, len: number): Buffer {
    return (this.segs[seg] as Buffer).subarray(off, off + len);
  }

  async hash(seg: number, off: number, len: number): Promise<Hashed> {
    const chunk = this.view(seg, off, len);
    return { id: blobIdOf(this.idKey, chunk), compressible: chunk.length >= 128 && sampleEntropy(chunk) <= ENTROPY_LIMIT };
  }

  async seal(seg: number, off: number, len: number, job: SealJob): Promise<Sealed> {
    const chunk = this.view(seg, off, len);
    const encoded = job.compressible ? await encodeChunk(chunk, job.quality) : { method: 0, payload: chunk };
    return { method: encoded.method, pieces: seal(job.key, blobNonce(job.counter), blobAd(job.type, job.id), [Buffer.of(encoded.method), encoded.payload]) };
  }

  async open(id: Buffer, loc: BlobLocation, packKey: Buffer, bytes: Buffer): Promise<Buffer> {
    return openBlob(this.keys, packKey, id, loc, bytes);
  }

  async close(): Promise<void> {}
}
