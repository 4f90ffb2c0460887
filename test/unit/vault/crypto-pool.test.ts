import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { InlineCrypto, type Sealed, WorkerCrypto } from '../../../src-main/vault/crypto-pool';
import type { MasterKeys } from '../../../src-main/vault/crypto';
import { SegmentPool } from '../../../src-main/vault/ingest';
import { pseudoRandom, textLike } from './helpers';

vi.setConfig({ testTimeout: 60_000 });

describe('worker crypto batching', () => {
  const keys: MasterKeys = { encKey: randomBytes(32), idKey: randomBytes(32), chunkSeed: randomBytes(32) };
  const pool = new SegmentPool(2, 4 * 1024 * 1024);
  const workers = new WorkerCrypto(pool.shared, keys.idKey, 2);
  const inline = new InlineCrypto(pool.shared, keys);
  afterAll(() => workers.close());

  it('sends the requests of one event-loop turn as one message per worker, with the same results as inline', async () => {
    const seg = Buffer.from(pool.shared.buffer, pool.shared.offsets[0] as number, pool.shared.size);
    pseudoRandom(2_000_000, 5).copy(seg, 0);
    textLike(2_000_000).copy(seg, 2_000_000);
    const pieces = Array.from({ length: 16 }, (_, i) => [i * 250_000, 250_000] as const);
    const before = workers.messages;
    const hashed = await Promise.all(pieces.map(([off, len]) => workers.hash(0, off, len)));
    expect(workers.messages - before).toBe(2);
    const expected = await Promise.all(pieces.map(([off, len]) => inline.hash(0, off, len)));
    expect(hashed.map((h) => [h.id.toString('hex'), h.compressible])).toEqual(expected.map((h) => [h.id.toString('hex'), h.compressible]));
    const key = randomBytes(32);
    const jobs = hashed.map((h, i) => ({ type: 0, id: h.id, key, counter: i, compressible: h.compressible, quality: 1, ...(h.worker === undefined ? {} : { worker: h.worker }) }));
    const mid = workers.messages;
    const sealed = await Promise.all(pieces.map(([off, len], i) => workers.seal(0, off, len, jobs[i] as (typeof jobs)[number])));
    expect(workers.messages - mid).toBeLessThanOrEqual(2);
    const same = await Promise.all(pieces.map(([off, len], i) => inline.seal(0, off, len, jobs[i] as (typeof jobs)[number])));
    const hexOf = (s: Sealed) => ('pieces' in s ? Buffer.concat(s.pieces).toString('hex') : 'placed');
    expect(sealed.map(hexOf)).toEqual(same.map(hexOf));
    expect(same.map(hexOf)).not.toContain('placed');
  });

  it('the workers probe entropy at the same places and sizes as the main thread (their code is a mirror)', async () => {
    // Text only where 4 KiB windows look (start, middle) and random data everywhere else: a
    // probe with other windows (16 KiB, or other places) would judge this chunk differently.
    const n = 1 << 20;
    const chunk = pseudoRandom(n, 9);
    textLike(6 * 1024).copy(chunk, 0);
    textLike(6 * 1024).copy(chunk, n / 2 - 3 * 1024);
    const seg = Buffer.from(pool.shared.buffer, pool.shared.offsets[1] as number, pool.shared.size);
    chunk.copy(seg, 0);
    pseudoRandom(n, 10).copy(seg, n);
    const inlineMixed = await inline.hash(1, 0, n);
    const inlineRandom = await inline.hash(1, n, n);
    expect(inlineMixed.compressible).toBe(true);
    expect(inlineRandom.compressible).toBe(false);
    expect((await workers.hash(1, 0, n)).compressible).toBe(true);
    expect((await workers.hash(1, n, n)).compressible).toBe(false);
  });
});
