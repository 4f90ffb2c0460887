import { type ChunkParams, MASK_LARGE, MASK_SMALL } from './chunker';

/**
 * The chunker's hot loop in WebAssembly, over the ingest's shared memory. It computes exactly
 * the boundaries of `Chunker.next` (chunker.ts is the reference; property tests compare the two
 * on random inputs, split points and parameters), roughly twice as fast, for two reasons:
 *
 * 1. wasm loads need no typed-array bounds or type checks;
 * 2. the rolling hash is a serial chain (`h = (h << 1) + gear[b]`: two dependent instructions
 *    per byte), so a region is cut into four stripes hashed side by side. The masks look only at
 *    bits 30…9 or 30…13 of `h`, and a byte shifted 31 times no longer reaches bit 30, so the
 *    masked hash at a position depends only on that byte and the 30 before it (and on where
 *    hashing started, `start + min`). A stripe that begins 30 bytes early ("warm-up") therefore
 *    sees exactly the hash the serial loop would (the tests fail with a warm-up of 29). The
 *    first hit wins: a hit in stripe 0 is the answer; a hit in a later stripe is the answer
 *    only if stripe 0, continued serially up to that stripe's start, finds none.
 *
 * The module is assembled below from the opcodes of the WebAssembly core specification (binary
 * format, §5.4), not embedded as opaque bytes; `wasmModuleBytes` returns what is compiled, and
 * the tests check it against the JavaScript reference. Text format of what it builds (S = the
 * stripe length, a compile-time constant; gear table at address 0):
 *
 * ```wat
 * (func $scan1 (param $p i32) (param $end i32) (param $mask i32) (param $w i32) (result i32)
 *   (local $h i32)
 *   ;; warm-up: hash [w, p) without testing
 *   (block (loop (br_if 1 (i32.ge_u (local.get $w) (local.get $p)))
 *     (local.set $h (i32.add (i32.shl (local.get $h) (i32.const 1))
 *                            (i32.load (i32.shl (i32.load8_u (local.get $w)) (i32.const 2)))))
 *     (local.set $w (i32.add (local.get $w) (i32.const 1))) (br 0)))
 *   ;; scan [p, end): return the address after the first byte whose hash has (h & mask) == 0
 *   (block (loop (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *     (local.set $h …same step on byte p…) (local.set $p (i32.add (local.get $p) (i32.const 1)))
 *     (if (i32.eqz (i32.and (local.get $h) (local.get $mask))) (then (return (local.get $p))))
 *     (br 0)))
 *   (i32.const 0))
 *
 * (func $scan4 (param $p i32) (param $mask i32) (param $w i32) (result i32)
 *   (local $h0 i32) (local $h1 i32) (local $h2 i32) (local $h3 i32) (local $t i32) (local $end i32)
 *   ;; stripe k covers [p + k·S, p + (k+1)·S); h0 warms up over [w, p), h1..h3 over the 30
 *   ;; bytes before their stripes; then the four hashes advance together (load8_u offset=k·S)
 *   ;; until one of them has (h & mask) == 0 or the stripes end (→ 0). On a hit: stripe 0's →
 *   ;; its address; else stripe 0 continues alone up to the start of the first stripe k that hit
 *   ;; (→ its own hit if any), else the hit of stripe k.
 *   …)
 * ```
 */

/** The little of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Bytes reserved in front of the segments (the gear table, padded to a wasm page). */
export const GEAR_AREA = 65536;
/** Stripes hashed side by side (more than four gain nothing measurable: loads, not latency, then limit). */
const LANES = 4;
/** Stripe length of the four-way scan; a region shorter than four stripes is scanned serially. */
export const STRIPE = 8192;
/** Bytes before a position that, with it, determine its masked hash (see above). */
const WINDOW = 30;

// Opcodes (WebAssembly core spec, binary format).
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, RETURN = 0x0f, VOID = 0x40;
const GET = 0x20, SET = 0x21, CONST = 0x41, EQZ = 0x45, LT_U = 0x49, GE_U = 0x4f;
const ADD = 0x6a, SUB = 0x6b, AND = 0x71, SHL = 0x74, LOAD = 0x28, LOAD8_U = 0x2d, I32 = 0x7f;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const i32 = (n: number) => [CONST, ...sleb(n)];
const get = (l: number) => [GET, l];
const set = (l: number) => [SET, l];
/** `h = (h << 1) + gear[mem[addr + offset]]`, with `addr` in local `a`. */
const step = (h: number, a: number, offset = 0) => [...get(h), ...i32(1), SHL, ...get(a), LOAD8_U, 0, ...uleb(offset), ...i32(2), SHL, LOAD, 2, 0, ADD, ...set(h)];
/** `local += 1`. */
const inc = (l: number) => [...get(l), ...i32(1), ADD, ...set(l)];
/** `(h & mask) == 0`. */
const hit = (h: number, mask: number) => [...get(h), ...get(mask), AND, EQZ];
/** `while (a < end) { body }` with the loop's own exit. */
const whileBelow = (a: number, end: number, body: number[]) => [BLOCK, VOID, LOOP, VOID, ...get(a), ...get(end), GE_U, BR_IF, 1, ...body, BR, 0, END, END];

/** scan1(p, end, mask, w): locals 0 p, 1 end, 2 mask, 3 w, 4 h. */
function scan1Body(): number[] {
  const [p, end, mask, w, h] = [0, 1, 2, 3, 4];
  return [
    1, 1, I32, // one local group: 1 × i32 (h)
    ...whileBelow(w, p, [...step(h, w), ...inc(w)]),
    ...whileBelow(p, end, [...step(h, p), ...inc(p), ...hit(h, mask), IF, VOID, ...get(p), RETURN, END]),
    ...i32(0),
    END,
  ];
}

/** scanK(p, mask, w) over `lanes` stripes: locals 0 p, 1 mask, 2 w, then h0…h(K-1), t, end. */
function stripedBody(stripe: number, lanes: number): number[] {
  const [p, mask, w, h0] = [0, 1, 2, 3];
  const hs = Array.from({ length: lanes }, (_, k) => h0 + k);
  const [t, end] = [h0 + lanes, h0 + lanes + 1];
  // t runs over the WINDOW bytes before p; stripe k's warm-up bytes are t + k·S.
  const warm = hs.slice(1).flatMap((h, k) => step(h, t, (k + 1) * stripe));
  const advance = hs.flatMap((h, k) => step(h, p, k * stripe));
  // One test-and-branch per stripe (cheaper than or-ing booleans into one branch).
  const anyHit = hs.flatMap((h) => [...hit(h, mask), BR_IF, 1]);
  // After a hit: `end` := start of the first later stripe that hit, `t` := that stripe's answer.
  const pick = (k: number): number[] => [
    ...hit(hs[k] as number, mask), IF, VOID,
    ...get(p), ...i32(k * stripe), ADD, ...set(t),
    ...get(end), ...i32((k - 1) * stripe), ADD, ...set(end),
    ...(k + 1 < lanes ? [ELSE, ...pick(k + 1)] : []),
    END,
  ];
  return [
    1, lanes + 2, I32, // one local group: h0…h(K-1), t, end
    ...whileBelow(w, p, [...step(h0, w), ...inc(w)]),
    ...get(p), ...i32(WINDOW), SUB, ...set(t),
    ...whileBelow(t, p, [...warm, ...inc(t)]),
    ...get(p), ...i32(stripe), ADD, ...set(end),
    BLOCK, VOID, LOOP, VOID,
    ...get(p), ...get(end), LT_U, EQZ, IF, VOID, ...i32(0), RETURN, END,
    ...advance, ...inc(p),
    ...anyHit,
    BR, 0,
    END, END,
    // A hit at this step, `p` is one past stripe 0's byte.
    ...hit(h0, mask), IF, VOID, ...get(p), RETURN, END,
    ...pick(1),
    // Stripe 0 goes on alone up to `end`; its first hit there comes earlier than `t`.
    ...whileBelow(p, end, [...step(h0, p), ...inc(p), ...hit(h0, mask), IF, VOID, ...get(p), RETURN, END]),
    ...get(t),
    END,
  ];
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'latin1')];
}

/** The module's bytes: imports memory `m.mem`, exports `scan1` and `scan4` (stripe length fixed). */
export function wasmModuleBytes(stripe = STRIPE, lanes = LANES): Uint8Array {
  const s1 = scan1Body();
  const s4 = stripedBody(stripe, lanes);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [2, 0x60, 4, I32, I32, I32, I32, 1, I32, 0x60, 3, I32, I32, I32, 1, I32]), // types
    ...section(2, [1, ...name('m'), ...name('mem'), 0x02, 0x03, ...uleb(1), ...uleb(65536)]), // shared memory import
    ...section(3, [2, 0, 1]), // functions: scan1 has type 0, scan4 type 1
    ...section(7, [2, ...name('scan1'), 0x00, 0, ...name('scan4'), 0x00, 1]), // exports
    ...section(10, [2, ...uleb(s1.length), ...s1, ...uleb(s4.length), ...s4]), // code
  ]);
}

const compiled = new Map<number, object>();

function module(stripe: number): object {
  let m = compiled.get(stripe);
  if (!m) {
    m = new WA.Module(wasmModuleBytes(stripe));
    compiled.set(stripe, m);
  }
  return m;
}

/** Shared memory able to hold the gear table and `bytes` of segments. */
export function sharedMemory(bytes: number): WasmMemory {
  const pages = Math.ceil((GEAR_AREA + bytes) / 65536);
  return new WA.Memory({ initial: pages, maximum: pages, shared: true });
}

/** Masks and stripe length; only tests change them (to make boundaries frequent). */
export interface CutterTuning {
  readonly maskSmall: number;
  readonly maskLarge: number;
  readonly stripe: number;
}

/** `Chunker.next` over bytes that live in a shared wasm memory (addresses instead of offsets). */
export class WasmCutter {
  private readonly scan1: (p: number, end: number, mask: number, w: number) => number;
  private readonly scan4: (p: number, mask: number, w: number) => number;
  private readonly tuning: CutterTuning;

  constructor(
    memory: WasmMemory,
    gear: Int32Array,
    private readonly params: ChunkParams,
    tuning: Partial<CutterTuning> = {},
  ) {
    this.tuning = { maskSmall: MASK_SMALL, maskLarge: MASK_LARGE, stripe: STRIPE, ...tuning };
    new Int32Array(memory.buffer, 0, 256).set(gear);
    const instance = new WA.Instance(module(this.tuning.stripe), { m: { mem: memory } });
    this.scan1 = instance.exports.scan1 as WasmCutter['scan1'];
    this.scan4 = instance.exports.scan4 as WasmCutter['scan4'];
  }

  /**
   * Same contract as `Chunker.next`, with `start` and `end` as byte addresses in the memory.
   * `known` (optional) is how many bytes after `start` an earlier call with the same `start`
   * already found boundary-free (it returned -1 at `end` = start + known): they are not hashed
   * again, so input arriving in small pieces costs one pass, not one per piece.
   */
  next(start: number, end: number, final: boolean, known = 0): number {
    const { min, normal, max } = this.params;
    const available = end - start;
    if (available <= 0) return 0;
    if (available <= min) return final ? available : -1;
    const limit = available < max ? available : max;
    const hashStart = start + min;
    const endSmall = start + (normal < limit ? normal : limit);
    const endLarge = start + limit;
    let from = start + known > hashStart ? start + known : hashStart;
    let found = 0;
    if (from < endSmall) {
      found = this.scan(from, endSmall, this.tuning.maskSmall, hashStart);
      from = endSmall;
    }
    if (found === 0 && from < endLarge) found = this.scan(from, endLarge, this.tuning.maskLarge, hashStart);
    if (found > 0) return found - start;
    return limit === max || final ? limit : -1;
  }

  /** First cut in [a, b) under `mask` (address after the byte), or 0; hashing began at `hashStart`. */
  private scan(a: number, b: number, mask: number, hashStart: number): number {
    const width = LANES * this.tuning.stripe;
    let warm = a - WINDOW > hashStart ? a - WINDOW : hashStart;
    for (; b - a >= width; a += width, warm = a - WINDOW) {
      const r = this.scan4(a, mask, warm);
      if (r > 0) return r;
    }
    return a < b ? this.scan1(a, b, mask, warm) : 0;
  }
}
