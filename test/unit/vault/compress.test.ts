import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ENTROPY_LIMIT, ENTROPY_SAMPLE, decodeChunk, encodeChunk, sampleEntropy } from '../../../src-main/vault/compress';
import { Method } from '../../../src-main/vault/format';

/** English-like text: a few hundred distinct words, the way logs and documents look. */
function text(bytes: number): Buffer {
  const words = Array.from({ length: 300 }, (_, i) => `w${(i * 7919).toString(36)}`);
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += `${words[(i * 31 + (i >> 3)) % words.length]}${i % 11 === 0 ? '.\n' : ' '}`;
  return Buffer.from(s.slice(0, bytes));
}

describe('the entropy probe that decides whether a chunk is worth compressing', () => {
  it('scores random data above the limit and text below it, at every size the probe samples differently', () => {
    for (const n of [128, 1000, ENTROPY_SAMPLE, 3 * ENTROPY_SAMPLE, 3 * ENTROPY_SAMPLE + 1, 1 << 20, 8 << 20]) {
      if (n >= 4096) expect(sampleEntropy(randomBytes(n)), `random ${n}`).toBeGreaterThan(ENTROPY_LIMIT);
      expect(sampleEntropy(text(n)), `text ${n}`).toBeLessThan(ENTROPY_LIMIT);
    }
  });

  it('looks at the start, the middle and the end of a large chunk (text behind random data is found)', () => {
    const n = 1 << 20;
    const mixed = Buffer.concat([randomBytes(n / 2 - ENTROPY_SAMPLE), text(2 * ENTROPY_SAMPLE), randomBytes(n / 2 - ENTROPY_SAMPLE)]);
    const allRandom = randomBytes(n);
    expect(sampleEntropy(mixed)).toBeLessThan(sampleEntropy(allRandom) - 0.3);
  });

  it('compresses text, stores random data raw, and both decode to the original', async () => {
    const t = text(200_000);
    const packed = await encodeChunk(t, 1);
    expect(packed.method).toBe(Method.brotli);
    expect(packed.payload.byteLength).toBeLessThan(t.length / 2);
    expect((await decodeChunk(packed.method, Buffer.from(packed.payload), t.length))?.equals(t)).toBe(true);
    const r = randomBytes(200_000);
    const raw = await encodeChunk(r, 1);
    expect(raw.method).toBe(Method.raw);
    expect(Buffer.from(raw.payload).equals(r)).toBe(true);
    expect(await decodeChunk(9, Buffer.from(packed.payload), t.length)).toBeUndefined();
  });
});
