import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { Method } from './format';

const compressAsync = promisify(brotliCompress);
const decompressAsync = promisify(brotliDecompress);

/** Brotli quality for data chunks: zstd -1's ratio at ~220 MiB/s (docs/vault-format.md). */
export const DATA_QUALITY = 1;
/** Brotli quality for metadata: small, compressible, read often. */
export const META_QUALITY = 5;

/**
 * Bytes per sample window of the entropy probe. 4 KiB is plenty to tell text (~5 bits per
 * byte) from random data (~7.95 with this many samples) and costs a quarter of 16 KiB windows
 * on every chunk; the crypto workers get the same value.
 */
export const ENTROPY_SAMPLE = 4 * 1024;
/** Above this many bits per byte (order-0) a chunk is stored without trying. */
export const ENTROPY_LIMIT = 7.2;
/** Compressed output must save at least this fraction to be kept. */
const MIN_SAVING = 0.03;

const counts = new Uint32Array(256);

function countRange(data: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) (counts[data[i] as number] as number)++;
}

/**
 * Order-0 entropy of three `ENTROPY_SAMPLE` windows (start, middle, end) in bits per byte. Random,
 * encrypted and already-compressed data scores ~8 and is not worth a compression attempt.
 */
export function sampleEntropy(data: Uint8Array): number {
  counts.fill(0);
  const n = data.byteLength;
  let total: number;
  if (n <= 3 * ENTROPY_SAMPLE) {
    countRange(data, 0, n);
    total = n;
  } else {
    const mid = (n >>> 1) - (ENTROPY_SAMPLE >>> 1);
    countRange(data, 0, ENTROPY_SAMPLE);
    countRange(data, mid, mid + ENTROPY_SAMPLE);
    countRange(data, n - ENTROPY_SAMPLE, n);
    total = 3 * ENTROPY_SAMPLE;
  }
  if (total === 0) return 0;
  let h = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b] as number;
    if (c > 0) {
      const p = c / total;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/** A chunk ready for encryption: the method byte and the payload that follows it. */
export interface Encoded {
  readonly method: number;
  readonly payload: Uint8Array;
}

/**
 * Per-chunk compression decision: skip by entropy probe, else brotli on libuv's thread pool
 * (so it runs beside chunking and hashing), kept only when it saves at least 3 %.
 */
export async function encodeChunk(data: Uint8Array, quality: number): Promise<Encoded> {
  if (data.byteLength < 128 || sampleEntropy(data) > ENTROPY_LIMIT) return { method: Method.raw, payload: data };
  const packed = await compressAsync(data, {
    // Big enough for most compressed chunks (one trip to the thread pool; the default 16 KiB
    // means dozens), small enough not to reserve 8 MiB for a chunk of zeros.
    chunkSize: 256 * 1024,
    params: {
      [constants.BROTLI_PARAM_QUALITY]: quality,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.byteLength,
      [constants.BROTLI_PARAM_LGWIN]: 20,
    },
  });
  if (packed.byteLength > data.byteLength * (1 - MIN_SAVING)) return { method: Method.raw, payload: data };
  return { method: Method.brotli, payload: packed };
}

/** Undoes `encodeChunk`; returns undefined when the payload is not valid for its method. */
export async function decodeChunk(method: number, payload: Buffer, rawLength: number): Promise<Buffer | undefined> {
  if (method === Method.raw) return payload;
  if (method !== Method.brotli) return undefined;
  try {
    const out = await decompressAsync(payload, { maxOutputLength: Math.max(1, rawLength), chunkSize: Math.max(64 * 1024, Math.min(rawLength, 64 * 1024 * 1024)) });
    return out;
  } catch {
    return undefined;
  }
}
