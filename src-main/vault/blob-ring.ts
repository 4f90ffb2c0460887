import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LifeboatError } from '../api/errors';
import type { BlobLocation } from './blob-index';
import { type MasterKeys, blobAd, blobNonce, deriveSubkey } from './crypto';
import { corrupt, hex, packPath } from './format';
import { storageError } from './storage';

/**
 * Runs in each worker (shipped as source text): reads one blob from its pack file with a plain
 * pread into a reused buffer, decrypts it (AES-256-GCM) in 64 KiB slices straight into its
 * place in the shared ring, decompresses if needed, and checks the keyed id of the plaintext.
 * The main thread only hands the slot over once the tag and the id have both verified.
 */
function ringWorker(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- the worker is eval'd source; require is its only import */
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const nodeCrypto = require('node:crypto') as typeof import('node:crypto');
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const fs = require('node:fs') as typeof import('node:fs');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const data = workerData as { ring: SharedArrayBuffer; idKey: Uint8Array };
  const ring = Buffer.from(data.ring);
  const idKey = Buffer.from(data.idKey);
  const port = parentPort as NonNullable<typeof parentPort>;
  const files = new Map<string, number>();
  let scratch = Buffer.allocUnsafe(1 << 20);
  const fdOf = (path: string): number => {
    let fd = files.get(path);
    if (fd !== undefined) {
      files.delete(path);
      files.set(path, fd);
      return fd;
    }
    fd = fs.openSync(path, 'r');
    files.set(path, fd);
    if (files.size > 16) {
      const [oldPath, oldFd] = files.entries().next().value as [string, number];
      files.delete(oldPath);
      fs.closeSync(oldFd);
    }
    return fd;
  };
  type Job = { seq: number; path: string; offset: number; length: number; key: Uint8Array; nonce: Uint8Array; ad: Uint8Array; id: Uint8Array; rawLength: number; at: number };
  const open = (m: Job): string | undefined => {
    if (scratch.length < m.length) scratch = Buffer.allocUnsafe(m.length);
    const fd = fdOf(m.path);
    for (let got = 0; got < m.length; ) {
      const n = fs.readSync(fd, scratch, got, m.length - got, m.offset + got);
      if (n === 0) return 'truncated';
      got += n;
    }
    const end = m.length - 16;
    if (end < 1) return 'auth';
    const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', Buffer.from(m.key), Buffer.from(m.nonce), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(m.ad));
    decipher.setAuthTag(scratch.subarray(end, m.length));
    const hmac = nodeCrypto.createHmac('sha256', idKey);
    let method = -1;
    let out = m.at;
    let overflow = false;
    const packed: Buffer[] = [];
    for (let pos = 0; pos < end; ) {
      const n = Math.min(65536, end - pos);
      let plain = decipher.update(scratch.subarray(pos, pos + n));
      pos += n;
      if (method < 0) {
        method = plain[0] as number;
        plain = plain.subarray(1);
      }
      if (method !== 0) packed.push(plain);
      else if (out - m.at + plain.length > m.rawLength) overflow = true;
      else {
        plain.copy(ring, out);
        hmac.update(plain);
        out += plain.length;
      }
    }
    try {
      decipher.final();
    } catch {
      return 'auth';
    }
    if (method === 1) {
      let raw: Buffer;
      try {
        raw = zlib.brotliDecompressSync(Buffer.concat(packed), { maxOutputLength: Math.max(1, m.rawLength), chunkSize: Math.max(65536, Math.min(m.rawLength, 64 << 20)) });
      } catch {
        return 'length';
      }
      if (raw.length !== m.rawLength) return 'length';
      raw.copy(ring, m.at);
      hmac.update(raw);
    } else if (method !== 0 || overflow || out - m.at !== m.rawLength) return 'length';
    return hmac.digest().equals(Buffer.from(m.id)) ? undefined : 'id';
  };
  port.on('message', (m: Job) => {
    try {
      const fault = open(m);
      port.postMessage(fault ? { seq: m.seq, fault } : { seq: m.seq });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      port.postMessage({ seq: m.seq, error: String(e.message ?? e), code: e.code });
    }
  });
}

/** Reply of a ring worker. */
interface Reply {
  seq: number;
  fault?: 'truncated' | 'auth' | 'length' | 'id';
  error?: string;
  code?: string;
}

interface Slot {
  readonly at: number;
  readonly length: number;
  released: boolean;
}

const faultText = {
  truncated: 'truncated (the pack file ends before the blob)',
  auth: 'authentication failed (the file is damaged or was altered)',
  length: 'does not decompress to its recorded length',
  id: 'content does not match its id',
} as const;

/**
 * Data blobs read, decrypted and verified on worker threads straight into one shared ring
 * buffer, for bulk reads whose consumer is done with each piece before it asks for the next
 * (restores streaming into SSH). The main thread then neither reads files nor allocates or
 * collects a buffer per chunk: it hands out views of the ring, which stay valid until
 * `release`. Slots are taken in request order and must fit the ring; a request that does not
 * fit waits (in order) until enough earlier ones are released. Only for a vault on a local disk.
 */
export class BlobRing {
  private readonly ring: SharedArrayBuffer;
  private readonly view: Buffer;
  private readonly workers: { worker: Worker; load: number }[] = [];
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; slot: { load: number } }>();
  private readonly slots: Slot[] = [];
  private readonly byStart = new Map<number, Slot>();
  private readonly waiting: { length: number; grant: (at: number) => void; fail: (err: Error) => void }[] = [];
  private readonly packKeys = new Map<string, Buffer>();
  private tail = 0;
  private seq = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly keys: MasterKeys,
    size = 64 * 2 ** 20,
    count = Math.max(1, Math.min(4, availableParallelism())),
  ) {
    this.ring = new SharedArrayBuffer(size);
    this.view = Buffer.from(this.ring);
    const source = `(${ringWorker.toString()})()`;
    for (let i = 0; i < count; i++) {
      const worker = new Worker(source, { eval: true, workerData: { ring: this.ring, idKey: new Uint8Array(keys.idKey) } });
      const slot = { worker, load: 0 };
      worker.on('message', (r: Reply) => this.settle(r));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`a vault read worker exited with code ${code}`));
      });
      worker.unref();
      this.workers.push(slot);
    }
  }

  /**
   * The verified plaintext of a data blob as a view of the ring; call `release` with it once
   * it has been consumed (copied or written), in the order the reads were made.
   */
  async read(id: Buffer, loc: BlobLocation): Promise<Buffer> {
    if (loc.rawLength > this.ring.byteLength / 2) throw new LifeboatError('internal', `blob ${hex(id)} is larger than the read ring`);
    const at = await this.reserve(Math.max(1, loc.rawLength));
    const where = packPath(loc.packId);
    let key = this.packKeys.get(loc.packId);
    if (!key) {
      key = deriveSubkey(this.keys.encKey, Buffer.from(loc.packId, 'hex'), 'pack');
      this.packKeys.set(loc.packId, key);
    }
    const reply = await this.send({ path: join(this.root, ...where.split('/')), offset: loc.offset, length: loc.length, key, nonce: blobNonce(loc.counter), ad: blobAd(loc.type, id), id: new Uint8Array(id), rawLength: loc.rawLength, at });
    if (reply.fault || reply.error) {
      this.release(this.view.subarray(at, at));
      if (reply.fault) throw corrupt(`blob ${hex(id)}`, where, faultText[reply.fault]);
      throw storageError(Object.assign(new Error(reply.error), { code: reply.code }), where, this.root);
    }
    return this.view.subarray(at, at + loc.rawLength);
  }

  /** Frees the slot a view returned by `read` occupies. */
  release(view: Buffer): void {
    const slot = this.byStart.get(view.byteOffset);
    if (!slot || slot.released) return;
    slot.released = true;
    while (this.slots[0]?.released) this.byStart.delete((this.slots.shift() as Slot).at);
    if (this.slots.length === 0) this.tail = 0;
    while (this.waiting.length > 0) {
      const w = this.waiting[0] as { length: number; grant: (at: number) => void; fail: (err: Error) => void };
      const at = this.fit(w.length);
      if (at === undefined) break;
      this.waiting.shift();
      w.grant(this.take(at, w.length));
    }
  }

  /** Where `length` bytes fit after the newest slot, if they do (one contiguous piece). */
  private fit(length: number): number | undefined {
    const head = this.slots[0]?.at;
    if (head === undefined) return 0;
    const size = this.ring.byteLength;
    if (this.tail > head) {
      if (size - this.tail >= length) return this.tail;
      return length < head ? 0 : undefined;
    }
    return this.tail + length < head ? this.tail : undefined;
  }

  private take(at: number, length: number): number {
    const slot = { at, length, released: false };
    this.slots.push(slot);
    this.byStart.set(at, slot);
    this.tail = at + length;
    return at;
  }

  private reserve(length: number): Promise<number> {
    if (this.closed) return Promise.reject(new LifeboatError('cancelled', 'the vault read was stopped'));
    const at = this.waiting.length === 0 ? this.fit(length) : undefined;
    if (at !== undefined) return Promise.resolve(this.take(at, length));
    return new Promise((grant, fail) => this.waiting.push({ length, grant, fail }));
  }

  private send(job: Record<string, unknown>): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new LifeboatError('internal', 'the vault read ring is closed'));
    let slot = this.workers[0] as { worker: Worker; load: number };
    for (const w of this.workers) if (w.load < slot.load) slot = w;
    const seq = ++this.seq;
    // Idle workers must not keep the process alive; busy ones must (nothing else waits on them).
    if (this.pending.size === 0) for (const w of this.workers) w.worker.ref();
    slot.load++;
    return new Promise((resolve) => {
      this.pending.set(seq, { resolve, slot });
      slot.worker.postMessage({ ...job, seq });
    });
  }

  private settle(r: Reply): void {
    const p = this.pending.get(r.seq);
    if (!p) return;
    this.pending.delete(r.seq);
    p.slot.load--;
    if (this.pending.size === 0) for (const w of this.workers) w.worker.unref();
    p.resolve(r);
  }

  private fail(err: Error): void {
    this.failure ??= new LifeboatError('internal', `a vault read worker failed: ${err.message}`);
    for (const p of this.pending.values()) p.resolve({ seq: 0, error: this.failure.message });
    this.pending.clear();
  }

  /** Stops the workers; views handed out before are no longer valid. */
  async close(): Promise<void> {
    this.closed = true;
    const stopped = new LifeboatError('cancelled', 'the vault read was stopped');
    for (const w of this.waiting.splice(0)) w.fail(stopped);
    for (const p of this.pending.values()) p.resolve({ seq: 0, error: stopped.message });
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }
}
