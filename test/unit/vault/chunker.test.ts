import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Chunker, defaultChunkParams } from '../../../src-main/vault/chunker';
import type { BlobIndex } from '../../../src-main/vault/blob-index';
import { hex } from '../../../src-main/vault/format';
import { backupBuffer, newVault, pieces, pseudoRandom, reopen, tempDir } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

function chunks(chunker: Chunker, data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = chunker.next(data, at, data.length, true);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function reused(before: Buffer[], after: Buffer[]): number {
  const old = new Set(before.map(digest));
  return after.filter((c) => old.has(digest(c))).length / after.length;
}

function allIds(index: BlobIndex): Set<string> {
  const ids = new Set<string>();
  for (let e = 0; e < index.size; e++) ids.add(hex(index.idAt(e)));
  return ids;
}

describe('chunker', () => {
  const seed = randomBytes(32);
  const chunker = new Chunker(seed);
  const data = pseudoRandom(24 * 1024 * 1024, 1234);
  const base = chunks(chunker, data);

  it('cuts within bounds, around 1 MiB on average, and covers the input exactly', () => {
    const { min, max } = defaultChunkParams;
    expect(Buffer.concat(base).equals(data)).toBe(true);
    base.slice(0, -1).forEach((c) => expect(c.length).toBeGreaterThanOrEqual(min));
    base.forEach((c) => expect(c.length).toBeLessThanOrEqual(max));
    const mean = data.length / base.length;
    expect(mean).toBeGreaterThan(700 * 1024);
    expect(mean).toBeLessThan(1500 * 1024);
  });

  it('keeps most boundaries after insertions and deletions', () => {
    const edited = Buffer.concat([data.subarray(0, 5_000_003), Buffer.from('inserted bytes!'), data.subarray(5_000_003, 12_000_000), data.subarray(12_001_017, 20_000_000), randomBytes(333), data.subarray(20_000_000)]);
    const after = chunks(chunker, edited);
    expect(Buffer.concat(after).equals(edited)).toBe(true);
    // Three edits in ~24 chunks: at most about two chunks each are new.
    expect(reused(base, after)).toBeGreaterThan(0.7);
    const prepend = chunks(chunker, Buffer.concat([Buffer.from('x'), data]));
    expect(reused(base, prepend)).toBeGreaterThan(0.9);
  });

  it('cuts differently under another seed', () => {
    const other = chunks(new Chunker(randomBytes(32)), data);
    const cuts = (list: Buffer[]) => {
      let at = 0;
      return new Set(list.map((c) => (at += c.length)));
    };
    const a = cuts(base);
    const shared = [...cuts(other)].filter((c) => a.has(c) && c !== data.length);
    expect(shared.length).toBeLessThanOrEqual(1);
  });

  it('cuts as soon as a boundary is visible, else asks for more input', () => {
    const first = base[0]!.length;
    expect(chunker.next(data, 0, first + 10, false)).toBe(first);
    expect(chunker.next(data, 0, first - 1, false)).toBe(-1);
    expect(chunker.next(data, 0, defaultChunkParams.min, false)).toBe(-1);
    expect(chunker.next(data, 0, defaultChunkParams.max, false)).toBe(first);
    const zeros = Buffer.alloc(defaultChunkParams.max + 10);
    expect(chunker.next(zeros, 0, defaultChunkParams.max - 1, false)).toBe(-1);
    expect(chunker.next(zeros, 0, zeros.length, false)).toBe(defaultChunkParams.max);
    expect(chunker.next(data, 10, 10, true)).toBe(0);
    expect(chunker.next(data, 0, 1000, true)).toBe(1000);
  });
});

describe('chunking inside vaults', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('gives the same chunks whatever the input piece sizes, and two vaults share no ids', async () => {
    const data = pseudoRandom(6 * 1024 * 1024, 77);
    const keysA = await newVault(`${tmp.dir}/a`);
    const keysB = await newVault(`${tmp.dir}/b`);
    const a = await reopen(`${tmp.dir}/a`, keysA);
    const b = await reopen(`${tmp.dir}/b`, keysB);
    const w1 = await a.createSnapshot({ host: 'h' });
    await w1.addStream({ name: 'x', kind: 'stdin' }, pieces(data, 1000));
    const s1 = await w1.commit();
    const w2 = await a.createSnapshot({ host: 'h' });
    await w2.addStream({ name: 'x', kind: 'stdin' }, pieces(data, 3 * 1024 * 1024 + 7));
    const s2 = await w2.commit();
    expect(s2.items[0]!.meta).toEqual(s1.items[0]!.meta);
    expect(s2.stats.blobsNew).toBe(0);
    await backupBuffer(b, 'x', data);
    const idsA = allIds(await a.refreshIndex());
    const idsB = allIds(await b.refreshIndex());
    expect(idsA.size).toBeGreaterThan(3);
    expect([...idsB].filter((id) => idsA.has(id))).toEqual([]);
    await a.close();
    await b.close();
  });
});
