import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ByteReader } from '../../../src-main/vault/ingest';
import type { VaultKeys } from '../../../src-main/vault/vault';
import { newVault, pieces, pseudoRandom, reopen, tempDir, textLike } from './helpers';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** A reader that hands out a buffer in pieces of `step` bytes (like a network body). */
function reader(data: Buffer, step: number): ByteReader {
  let at = 0;
  return {
    readInto: async (buf, offset, length) => {
      const n = Math.min(length, step, data.length - at);
      data.copy(buf, offset, at, at + n);
      at += n;
      return n;
    },
  };
}

describe('one ingest loop for many files', () => {
  const tmp = tempDir();
  let keys: VaultKeys;
  beforeAll(async () => {
    keys = await newVault(tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  // Empty, tiny, around the chunker's minimum, several chunks, and larger than a 12 MiB segment
  // (so files start mid-segment and cross segment boundaries), random and compressible.
  const files = [
    Buffer.alloc(0),
    pseudoRandom(1, 1),
    textLike(70_000),
    pseudoRandom(262_143, 2),
    pseudoRandom(262_145, 3),
    pseudoRandom(3_500_000, 4),
    textLike(2_000_000),
    pseudoRandom(13_000_000, 5),
    Buffer.alloc(5_000_000),
    pseudoRandom(900_000, 6),
    pseudoRandom(3_500_000, 4),
    ...Array.from({ length: 40 }, (_, i) => (i % 2 ? textLike(1000 + i * 3000) : pseudoRandom(1000 + i * 5000, 100 + i))),
  ];

  it('cuts every file exactly as one ingest per file does, and stores nothing twice', async () => {
    const a = await reopen(tmp.dir, keys, { workers: 2 });
    const perFile: string[][] = [];
    const w1 = await a.createSnapshot({ host: 'lab' });
    for (const f of files) {
      const ids: string[] = [];
      const size = await w1.ingest(pieces(f, 100_000), { name: 'x', kind: 'test' }, (id, length) => ids.push(`${id.toString('hex')}:${length}`));
      expect(size).toBe(f.length);
      perFile.push(ids);
    }
    await w1.abort();
    await a.close();

    const b = await reopen(tmp.dir, keys, { workers: 2 });
    const w2 = await b.createSnapshot({ host: 'lab' });
    const loop = w2.ingestFiles({ name: 'y', kind: 'test' });
    const handles = files.map((f, i) => {
      const ids: string[] = [];
      const h = loop.add(i % 3 === 0 ? pieces(f, 65_536) : reader(f, i % 3 === 1 ? 1 << 30 : 40_000), (id, length) => ids.push(`${id.toString('hex')}:${length}`));
      return { ids, h };
    });
    await loop.close();
    for (const [i, { ids, h }] of handles.entries()) {
      expect(await h.read).toBe(files[i]?.length);
      expect(await h.done).toBe(files[i]?.length);
      expect(ids).toEqual(perFile[i]);
    }
    const distinct = new Set(perFile.flat().map((s) => s.split(':')[0]));
    // One more item (its one chunk already stored) so the snapshot can commit: one new meta blob.
    await w2.addStream({ name: 'y', kind: 'test' }, pieces(files[2] as Buffer));
    const snap = await w2.commit();
    expect(snap.stats.blobsNew).toBe(distinct.size + 1);
    await b.close();
  });

  it('fails every pending file when a source fails, and frees its segment', async () => {
    const v = await reopen(tmp.dir, keys, { workers: 2 });
    const w = await v.createSnapshot({ host: 'lab' });
    const loop = w.ingestFiles({ name: 'z', kind: 'test' });
    const ok = loop.add(pieces(pseudoRandom(2_000_000, 9)), () => undefined);
    const bad = loop.add({ readInto: async () => Promise.reject(new Error('network down')) }, () => undefined);
    const after = loop.add(pieces(textLike(10_000)), () => undefined);
    await expect(loop.close()).rejects.toThrow('network down');
    expect(await ok.read).toBe(2_000_000);
    await expect(bad.done).rejects.toThrow('network down');
    await expect(after.done).rejects.toThrow('network down');
    // Every segment is free again: a plain ingest still runs.
    const n = await w.ingest(pieces(pseudoRandom(30_000_000, 11)), { name: 'q', kind: 'test' }, () => undefined);
    expect(n).toBe(30_000_000);
    await w.abort();
    await v.close();
  });
});
