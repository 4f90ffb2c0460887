import { hkdfSync } from 'node:crypto';
import { CHUNK_MAX, CHUNK_MIN, CHUNK_NORMAL } from './format';

/** Chunk size bounds; format version 1 fixes them (docs/vault-format.md, Chunking). */
export interface ChunkParams {
  readonly min: number;
  readonly normal: number;
  readonly max: number;
}

/** The parameters every version-1 vault uses. */
export const defaultChunkParams: ChunkParams = { min: CHUNK_MIN, normal: CHUNK_NORMAL, max: CHUNK_MAX };

/** 22 bits (30..9) that must be zero for a cut between `min` and `normal`. */
export const MASK_SMALL = 0x7ffffe00;
/** 18 bits (30..13) that must be zero for a cut after `normal`. */
export const MASK_LARGE = 0x7fffe000;

/** The per-vault gear table: 256 32-bit values from HKDF over the vault's chunk seed. */
export function gearTable(chunkSeed: Buffer): Int32Array {
  const bytes = Buffer.from(hkdfSync('sha256', chunkSeed, Buffer.alloc(0), 'lifeboat v1 gear', 1024));
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = bytes.readInt32LE(i * 4);
  return table;
}

/**
 * FastCDC with normalized chunking and a keyed gear table. Stateless between calls: the hash
 * restarts at each chunk's `min` offset, so a caller that got -1 simply asks again from the same
 * start once more bytes have arrived.
 */
export class Chunker {
  /** The keyed gear table (the wasm cutter copies it into its memory). */
  readonly gear: Int32Array;

  constructor(
    chunkSeed: Buffer,
    readonly params: ChunkParams = defaultChunkParams,
  ) {
    this.gear = gearTable(chunkSeed);
  }

  /**
   * Length of the chunk that starts at `start` within `buf[start, end)`, or -1 when more input
   * is needed: no boundary in the bytes available, fewer than `max` of them, and not `final`.
   * A boundary found early is returned at once (the answer does not depend on later bytes), so
   * callers never hold more than a chunk's worth of undecided input.
   */
  next(buf: Uint8Array, start: number, end: number, final: boolean): number {
    const { min, normal, max } = this.params;
    const available = end - start;
    if (available <= 0) return 0;
    if (available <= min) return final ? available : -1;
    const limit = available < max ? available : max;
    const found = cut(this.gear, buf, start, min, normal < limit ? normal : limit, limit);
    if (found > 0) return found;
    return limit === max || final ? limit : -1;
  }
}

/**
 * The hot loop (returns the cut length, or -1 when no boundary lies before `limit`): one hash
 * step and one mask test per byte (so boundaries resynchronise at any
 * byte after an edit), unrolled eight times, with scalar tails so that the cut positions do
 * not depend on the unrolling.
 */
function cut(gear: Int32Array, buf: Uint8Array, start: number, min: number, normal: number, limit: number): number {
  let h = 0;
  let i = start + min;
  const endSmall = start + normal;
  const endLarge = start + limit;
  let m = MASK_SMALL;
  for (let end = endSmall; ; end = endLarge, m = MASK_LARGE) {
    for (; i + 8 <= end; i += 8) {
      h = ((h << 1) + (gear[buf[i] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 1;
      h = ((h << 1) + (gear[buf[i + 1] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 2;
      h = ((h << 1) + (gear[buf[i + 2] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 3;
      h = ((h << 1) + (gear[buf[i + 3] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 4;
      h = ((h << 1) + (gear[buf[i + 4] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 5;
      h = ((h << 1) + (gear[buf[i + 5] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 6;
      h = ((h << 1) + (gear[buf[i + 6] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 7;
      h = ((h << 1) + (gear[buf[i + 7] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 8;
    }
    for (; i < end; i++) {
      h = ((h << 1) + (gear[buf[i] as number] as number)) | 0;
      if ((h & m) === 0) return i - start + 1;
    }
    if (end === endLarge) return -1;
  }
}
