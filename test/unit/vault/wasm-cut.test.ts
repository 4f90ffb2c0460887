import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Chunker, MASK_LARGE, MASK_SMALL, type ChunkParams, defaultChunkParams, gearTable } from '../../../src-main/vault/chunker';
import { SegmentPool } from '../../../src-main/vault/ingest';
import { GEAR_AREA, STRIPE, WasmCutter, sharedMemory, wasmModuleBytes } from '../../../src-main/vault/wasm-cut';
import { pseudoRandom, textLike } from './helpers';

// Generous limits: must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000 });

/**
 * The specification of a cut, one byte at a time and with nothing clever (docs/vault-format.md,
 * Chunking): hash from start + min, 22-bit mask before `normal`, 18-bit after, cut at `max`.
 */
function specNext(gear: Int32Array, buf: Uint8Array, start: number, end: number, final: boolean, p: ChunkParams, masks = { small: MASK_SMALL, large: MASK_LARGE }): number {
  const available = end - start;
  if (available <= 0) return 0;
  if (available <= p.min) return final ? available : -1;
  const limit = Math.min(available, p.max);
  let h = 0;
  for (let i = start + p.min; i < start + limit; i++) {
    h = ((h << 1) + (gear[buf[i] as number] as number)) | 0;
    const mask = i < start + p.normal ? masks.small : masks.large;
    if ((h & mask) === 0) return i - start + 1;
  }
  return limit === p.max || final ? limit : -1;
}

/** Random-ish test inputs: random, text, zeros and runs of repeated bytes, mixed at random. */
function mixed(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  const rnd = pseudoRandom(size, seed);
  for (let at = 0, k = seed; at < size; k++) {
    const n = Math.min(size - at, 1 + (rnd[at % size] as number) * 97 + (k % 7) * 1000);
    const kind = k % 4;
    if (kind === 0) rnd.copy(out, at, at, at + n);
    else if (kind === 1) textLike(n, k).copy(out, at);
    else if (kind === 2) out.fill(0, at, at + n);
    else out.fill(rnd[at] as number, at, at + n);
    at += n;
  }
  return out;
}

/** A wasm cutter with `data` at address GEAR_AREA, and a function to feed it like the ingest does. */
function setup(data: Buffer, gear: Int32Array, params: ChunkParams, tuning: { maskSmall?: number; maskLarge?: number; stripe?: number } = {}) {
  const memory = sharedMemory(data.length);
  Buffer.from(memory.buffer as ArrayBuffer, GEAR_AREA, data.length).set(data);
  const wasm = new WasmCutter(memory, gear, params, tuning);
  /** All chunk lengths, input arriving in pieces of random size (resuming with `known`). */
  const feed = (piece: () => number): number[] => {
    const out: number[] = [];
    let pos = 0;
    let fill = 0;
    let known = 0;
    while (pos < data.length) {
      fill = Math.min(data.length, fill + piece());
      const final = fill === data.length;
      for (;;) {
        const n = wasm.next(GEAR_AREA + pos, GEAR_AREA + fill, final, known);
        if (n < 0) known = fill - pos;
        if (n <= 0) break;
        out.push(n);
        pos += n;
        known = 0;
      }
    }
    return out;
  };
  return { wasm, feed };
}

function specChunks(data: Buffer, gear: Int32Array, params: ChunkParams, masks?: { small: number; large: number }): number[] {
  const out: number[] = [];
  for (let at = 0; at < data.length; ) {
    const n = specNext(gear, data, at, data.length, true, params, masks);
    out.push(n);
    at += n;
  }
  return out;
}

describe('wasm cut finder', () => {
  it('is built from the assembler in wasm-cut.ts, deterministically', () => {
    expect(Buffer.from(wasmModuleBytes()).equals(Buffer.from(wasmModuleBytes()))).toBe(true);
    expect(Buffer.from(wasmModuleBytes()).subarray(0, 8).toString('hex')).toBe('0061736d01000000');
  });

  it('the JavaScript chunker follows the byte-at-a-time specification', () => {
    const gear = gearTable(randomBytes(32));
    const chunker = new Chunker(Buffer.alloc(0));
    (chunker as unknown as { gear: Int32Array }).gear.set(gear);
    const data = mixed(20 * 1024 * 1024, 3);
    for (let at = 0; at < data.length; ) {
      const n = chunker.next(data, at, data.length, true);
      expect(n).toBe(specNext(gear, data, at, data.length, true, defaultChunkParams));
      at += n;
    }
  });

  it('gives the specification’s boundaries with the real parameters, fed in pieces of any size', () => {
    for (let round = 0; round < 3; round++) {
      const gear = gearTable(randomBytes(32));
      const data = mixed(28 * 1024 * 1024 + round * 777, 10 + round);
      const expected = specChunks(data, gear, defaultChunkParams);
      expect(expected.length).toBeGreaterThan(10);
      const { feed } = setup(data, gear, defaultChunkParams);
      expect(feed(() => data.length)).toEqual(expected);
      expect(feed(() => 65536)).toEqual(expected);
      let s = round + 1;
      expect(feed(() => ((s = (s * 1103515245 + 12345) >>> 0) % 3_000_000) + 1)).toEqual(expected);
    }
  });

  it('matches on random data, parameters, masks, stripe lengths and split points (property test)', () => {
    // Small sizes and weak masks make boundaries frequent, so every path of the four-stripe scan
    // (hit in stripe 0, in a later stripe, in stripe 0's continuation, none; hits at stripe and
    // window edges, at min, normal and max) is taken many times.
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
    const seen = { laterStripe: 0, continuation: 0, atMax: 0, atMinPlusOne: 0 };
    for (let trial = 0; trial < 300; trial++) {
      const stripe = [31, 32, 33, 64, 100, 1000, STRIPE][rand(7)] as number;
      const min = rand(3) === 0 ? 0 : rand(5000);
      const normal = min + rand(20_000);
      const max = normal + 1 + rand(60_000);
      const params = { min, normal, max };
      // n contiguous bits anywhere in 0…30, often up to bit 30 like the real masks (the bit that
      // depends on the byte 30 positions back).
      const bits = (n: number) => (2 ** n - 1) * 2 ** (rand(2) === 0 ? 31 - n : rand(32 - n));
      const maskSmall = bits(4 + rand(10));
      const maskLarge = bits(2 + rand(10));
      const gear = trial % 10 === 0 ? new Int32Array(256).map((_, i) => (i * 0x9e3779b1) | 0) : gearTable(randomBytes(32));
      const data = mixed(20_000 + rand(200_000), trial);
      const masks = { small: maskSmall, large: maskLarge };
      const expected = specChunks(data, gear, params, masks);
      const { feed } = setup(data, gear, params, { maskSmall, maskLarge, stripe });
      expect(feed(() => data.length), `trial ${trial}`).toEqual(expected);
      expect(feed(() => 1 + rand(3 * stripe + 200)), `trial ${trial} (pieces)`).toEqual(expected);
      // Which paths of the four-stripe scan the expected cuts exercise (fed whole, windows of
      // four stripes start at start + min, and again at start + normal for the second mask).
      let at = 0;
      for (const n of expected) {
        if (n === max) seen.atMax++;
        if (n === min + 1) seen.atMinPlusOne++;
        const limit = Math.min(max, data.length - at);
        const endSmall = at + Math.min(normal, limit);
        const cutAt = at + n - 1;
        const [from, to, mask] = cutAt < endSmall ? [at + min, endSmall, maskSmall] : [endSmall, at + limit, maskLarge];
        const w0 = from + Math.floor((cutAt - from) / (4 * stripe)) * 4 * stripe;
        if (n < limit && w0 + 4 * stripe <= to) {
          const stripeOf = (i: number) => Math.floor((i - w0) / stripe);
          const stepOf = (i: number) => (i - w0) % stripe;
          if (stripeOf(cutAt) > 0) seen.laterStripe++;
          // Any hit in a later stripe at an earlier step (the scan saw it first, then went on).
          let h = 0;
          for (let i = at + min; i < w0 + 4 * stripe; i++) {
            h = ((h << 1) + (gear[data[i] as number] as number)) | 0;
            if (i >= w0 && stripeOf(i) > stripeOf(cutAt) && stepOf(i) < stepOf(cutAt) && (h & mask) === 0) {
              seen.continuation++;
              break;
            }
          }
        }
        at += n;
      }
    }
    expect(seen.laterStripe).toBeGreaterThan(50);
    expect(seen.continuation).toBeGreaterThan(50);
    expect(seen.atMax).toBeGreaterThan(10);
    expect(seen.atMinPlusOne).toBeGreaterThan(0);
  });

  it('is used by the ingest over shared segments, with the same boundaries as the JavaScript chunker', () => {
    const chunker = new Chunker(randomBytes(32));
    const pool = new SegmentPool(1, 12 * 1024 * 1024);
    const cut = pool.cutter(chunker);
    expect(pool.cutter(chunker)).toBe(cut);
    const seg = { index: 0, buf: Buffer.from(pool.shared.buffer, pool.shared.offsets[0], pool.shared.size), refs: 1 };
    for (const sample of [pseudoRandom(12 * 1024 * 1024, 9), Buffer.alloc(12 * 1024 * 1024), textLike(12 * 1024 * 1024, 4)]) {
      sample.copy(seg.buf);
      for (const final of [true, false]) {
        for (let at = 0; at < sample.length; ) {
          const end = Math.min(sample.length, at + 3_000_000);
          const js = chunker.next(sample, at, end, final);
          expect(cut(seg, at, end, final, 0)).toBe(js);
          at += js > 0 ? js : end - at;
        }
      }
    }
  });
});
