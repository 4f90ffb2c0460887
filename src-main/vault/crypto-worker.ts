/*
 * Kept apart from crypto-pool.ts (the main thread's side) because it runs in another thread
 * with nothing but `require`: no shared module state, no imports.
 */
/**
 * The crypto workers' code: hashing, sealing (and writing into the worker's own packs) and
 * opening of chunks in shared segments. It runs in each worker thread and must be
 * self-contained — it is shipped as source text (`cryptoWorkerSource`), so it imports nothing.
 */
function cryptoWorkerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- the worker is eval'd source; require is its only import */
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const nodeCrypto = require('node:crypto') as typeof import('node:crypto');
  const fs = require('node:fs') as typeof import('node:fs');
  const zlib = require('node:zlib') as typeof import('node:zlib');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const data = workerData as { segments?: { buffer: SharedArrayBuffer; offsets: number[]; size: number }; idKey: Uint8Array; entropyLimit: number; entropySample: number };
  const shared = data.segments;
  const segs = shared ? shared.offsets.map((o) => Buffer.from(shared.buffer, o, shared.size)) : [];
  const idKey = Buffer.from(data.idKey);
  const counts = new Uint32Array(256);
  const entropy = (b: Buffer): number => {
    counts.fill(0);
    const n = b.length;
    const S = data.entropySample;
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
    // 128 KiB output slices: few enough that handing them over is cheap, small enough that
    // malloc recycles them instead of mapping fresh pages (Node's AES-GCM costs ~10 % more per
    // byte in 256 KiB slices here, ~50 % more in 1 MiB ones); they move without a copy.
    const out: Buffer[] = [cipher.update(Buffer.of(method))];
    for (let at = 0; at < payload.length; at += 131072) out.push(cipher.update(payload.subarray(at, Math.min(payload.length, at + 131072))));
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

/** The worker's code as eval-able source for `new Worker(source, { eval: true })`. */
export const cryptoWorkerSource = `(${cryptoWorkerMain.toString()})()`;
