import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LifeboatError } from '../api/errors';
import { encodeChunk, sampleEntropy } from './compress';
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

/** Order-0 entropy above which a chunk is stored without a compression attempt. */
export const ENTROPY_LIMIT = 7.2;

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

/** Runs in each worker thread; self-contained (it is shipped as source text). */
function workerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- the worker is eval'd source; require is its only import */
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const nodeCrypto = require('node:crypto') as typeof import('node:crypto');
  const fs = require('node:fs') as typeof import('node:fs');
  const zlib = require('node:zlib') as typeof import('node:zlib');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const data = workerData as { segments?: { buffer: SharedArrayBuffer; offsets: number[]; size: number }; idKey: Uint8Array; entropyLimit: number };
  const shared = data.segments;
  const segs = shared ? shared.offsets.map((o) => Buffer.from(shared.buffer, o, shared.size)) : [];
  const idKey = Buffer.from(data.idKey);
  const counts = new Uint32Array(256);
  const entropy = (b: Buffer): number => {
    counts.fill(0);
    const n = b.length;
    const S = 16384;
    const take = (from: number, to: number) => {
      for (let i = from; i < to; i++) (counts[b[i] as number] as number)++;
    };
    let total = n;
    if (n <= 3 * S) take(0, n);
    else {
      const mid = (n >>> 1) - (S >>> 1);
      take(0, S);
      take(mid, mid + S);
      take(n - S, n);
      total = 3 * S;
    }
    let h = 0;
    for (let i = 0; i < 256; i++) {
      const c = counts[i] as number;
      if (c > 0) h -= (c / total) * Math.log2(c / total);
    }
    return h;
  };
  const port = parentPort as NonNullable<typeof parentPort>;
  const nonceOf = (counter: number) => {
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(Math.floor(counter / 2 ** 32), 4);
    nonce.writeUInt32BE(counter >>> 0, 8);
    return nonce;
  };
  const adOf = (type: number, id: Uint8Array) => {
    const ad = Buffer.alloc(33);
    ad[0] = type;
    ad.set(id, 1);
    return ad;
  };
  // Transfer only buffers that own their memory (never a slice of Node's shared pool).
  const owned = (b: Buffer) => b.length >= 4096 && b.buffer.byteLength <= b.length + 1;
  type Op = {
    op: string;
    seq: number;
    seg: number;
    off: number;
    len: number;
    type: number;
    id: Uint8Array;
    key: Uint8Array;
    counter: number;
    compressible: boolean;
    quality: number;
    bytes: Uint8Array;
    rawLength: number;
    target?: { pack: number; fd: number; start: number };
  };
  // Append offset of each pack this worker writes (packs live as long as the session's workers).
  const packEnds = new Map<number, number>();
  const place = (target: NonNullable<Op['target']>, pieces: Buffer[]) => {
    const offset = packEnds.get(target.pack) ?? target.start;
    let length = 0;
    for (const b of pieces) length += b.length;
    const pending = pieces;
    let at = offset;
    while (pending.length > 0) {
      let n: number;
      try {
        n = fs.writevSync(target.fd, pending, at);
      } catch (err) {
        // Only a failed pack write keeps its errno code for the main thread (a full disk).
        throw Object.assign(err as Error, { packWrite: true });
      }
      at += n;
      // Short write: drop what went out and go on with the rest.
      while (pending.length > 0 && n >= (pending[0] as Buffer).length) n -= (pending.shift() as Buffer).length;
      if (n > 0) pending[0] = (pending[0] as Buffer).subarray(n);
    }
    packEnds.set(target.pack, offset + length);
    return { offset, length };
  };
  type Reply = Record<string, unknown>;
  const open = (m: Op, transfer: ArrayBuffer[]): Reply => {
    const bytes = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
    const fault = (what: string) => ({ seq: m.seq, fault: what });
    const end = bytes.length - 16;
    if (end < 1) return fault('auth');
    const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', Buffer.from(m.key), nonceOf(m.counter), { authTagLength: 16 });
    decipher.setAAD(adOf(m.type, m.id));
    decipher.setAuthTag(bytes.subarray(end));
    let body = decipher.update(bytes.subarray(0, end));
    try {
      const last = decipher.final();
      if (last.length > 0) body = Buffer.concat([body, last]);
    } catch {
      return fault('auth');
    }
    let out: Buffer;
    if (body[0] === 0) out = body.subarray(1);
    else if (body[0] === 1) {
      try {
        out = zlib.brotliDecompressSync(body.subarray(1), { maxOutputLength: Math.max(1, m.rawLength), chunkSize: Math.max(65536, m.rawLength) });
      } catch {
        return fault('length');
      }
    } else return fault('length');
    if (out.length !== m.rawLength) return fault('length');
    if (!nodeCrypto.createHmac('sha256', idKey).update(out).digest().equals(Buffer.from(m.id))) return fault('id');
    if (owned(out)) transfer.push(out.buffer as ArrayBuffer);
    return { seq: m.seq, data: out };
  };
  const hash = (m: Op): Reply => {
    const chunk = (segs[m.seg] as Buffer).subarray(m.off, m.off + m.len);
    const id = nodeCrypto.createHmac('sha256', idKey).update(chunk).digest();
    return { seq: m.seq, id, compressible: chunk.length >= 128 && entropy(chunk) <= data.entropyLimit };
  };
  const sealOp = (m: Op, transfer: ArrayBuffer[]): Reply => {
    const chunk = (segs[m.seg] as Buffer).subarray(m.off, m.off + m.len);
    let method = 0;
    let payload: Buffer = chunk;
    if (m.compressible) {
      const packed = zlib.brotliCompressSync(chunk, {
        chunkSize: 256 * 1024,
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: m.quality,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: chunk.length,
          [zlib.constants.BROTLI_PARAM_LGWIN]: 20,
        },
      });
      if (packed.length <= chunk.length * 0.97) {
        method = 1;
        payload = packed;
      }
    }
    const cipher = nodeCrypto.createCipheriv('aes-256-gcm', Buffer.from(m.key), nonceOf(m.counter), { authTagLength: 16 });
    cipher.setAAD(adOf(m.type, m.id));
    // 256 KiB output slices: few enough that handing them over is cheap, small enough that
    // malloc recycles them instead of mapping fresh pages; they move without a copy.
    const out: Buffer[] = [cipher.update(Buffer.of(method))];
    for (let at = 0; at < payload.length; at += 262144) out.push(cipher.update(payload.subarray(at, Math.min(payload.length, at + 262144))));
    const last = cipher.final();
    if (last.length > 0) out.push(last);
    out.push(cipher.getAuthTag());
    if (m.target) return { seq: m.seq, method, placed: place(m.target, out) };
    for (const b of out) if (owned(b)) transfer.push(b.buffer as ArrayBuffer);
    return { seq: m.seq, method, pieces: out };
  };
  const run = (m: Op, transfer: ArrayBuffer[]): Reply => {
    try {
      if (m.op === 'hash') return hash(m);
      if (m.op === 'open') return open(m, transfer);
      return sealOp(m, transfer);
    } catch (err) {
      const e = err as { message?: unknown; code?: unknown; packWrite?: boolean };
      return { seq: m.seq, error: String(e.message ?? err), ...(e.packWrite ? { code: e.code } : {}) };
    }
  };
  // A message is a batch of operations (everything the main thread asked for in one turn of its
  // event loop). Hashes are answered first, in one message, because the main thread waits on
  // them to decide what to seal; everything else is answered together afterwards. Every message
  // wakes a thread, and on a small machine that wake-up costs more than the work it carries.
  port.on('message', (m: { batch: Op[] }) => {
    const hashes: Reply[] = [];
    for (const op of m.batch) if (op.op === 'hash') hashes.push(run(op, []));
    if (hashes.length > 0) port.postMessage({ batch: hashes });
    const replies: Reply[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const op of m.batch) if (op.op !== 'hash') replies.push(run(op, transfer));
    if (replies.length > 0) port.postMessage({ batch: replies }, transfer);
  });
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
    const source = `(${workerMain.toString()})()`;
    for (let i = 0; i < count; i++) {
      const worker = new Worker(source, {
        eval: true,
        workerData: { ...(segments ? { segments } : {}), idKey: new Uint8Array(idKey), entropyLimit: ENTROPY_LIMIT },
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
