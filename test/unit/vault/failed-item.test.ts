import { afterAll, describe, expect, it, vi } from 'vitest';
import { LifeboatError } from '../../../src-main/api/errors';
import { checkVault } from '../../../src-main/vault/check';
import { collect, newVault, pieces, pseudoRandom, reopen, tempDir, textLike } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** A source that yields some data and then fails, like a dump whose tool died halfway. */
async function* failingAfter(data: Buffer, message: string): AsyncGenerator<Buffer> {
  yield* pieces(data);
  throw new LifeboatError('remote-failed', message);
}

describe('a snapshot writer after an item failed', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('keeps working after addStream threw: the failed item is left out, the others commit', async () => {
    const keys = await newVault(tmp.dir + '/a');
    const vault = await reopen(tmp.dir + '/a', keys);
    const good = textLike(3_000_000, 11);
    const later = pseudoRandom(2_500_000, 12);
    try {
      const writer = await vault.createSnapshot({ host: 'lab' });
      await writer.addStream({ name: 'first', kind: 'postgres' }, pieces(good));
      await expect(writer.addStream({ name: 'broken', kind: 'postgres' }, failingAfter(pseudoRandom(5_000_000, 13), 'pg_dump died'))).rejects.toThrow('pg_dump died');
      await writer.addStream({ name: 'later', kind: 'postgres' }, pieces(later));
      const snapshot = await writer.commit();
      expect(snapshot.items.map((i) => i.name)).toEqual(['first', 'later']);
      expect((await collect(vault.readItem(snapshot, 'first'))).equals(good)).toBe(true);
      expect((await collect(vault.readItem(snapshot, 'later'))).equals(later)).toBe(true);
      const report = await checkVault(vault, { readData: true });
      expect(report.problems.filter((p) => p.level === 'error')).toEqual([]);
    } finally {
      await vault.close();
    }
  });

  it('keeps working after a tree item failed: abandonItem frees the writer', async () => {
    const keys = await newVault(tmp.dir + '/b');
    const vault = await reopen(tmp.dir + '/b', keys);
    const content = textLike(400_000, 21);
    try {
      const writer = await vault.createSnapshot({ host: 'lab' });
      const tree = writer.addTree({ name: 'secrets', kind: 'secrets' });
      await tree.addEntry({ path: 'conf', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 });
      await expect(tree.addFile({ path: 'conf/.env', mode: 0o600, uid: 0, gid: 0, mtime: 0 }, failingAfter(content, 'cat failed'))).rejects.toThrow('cat failed');
      writer.abandonItem();
      await expect(tree.addEntry({ path: 'x', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 })).rejects.toThrow(/closed/);
      await writer.addStream({ name: 'after', kind: 'postgres' }, pieces(content));
      // a failed name may be used again by a retry in the same run
      const retry = writer.addTree({ name: 'secrets', kind: 'secrets' });
      await retry.addFile({ path: '.env', mode: 0o600, uid: 0, gid: 0, mtime: 0 }, pieces(content));
      await retry.close();
      writer.abandonItem(); // nothing open: a no-op
      const snapshot = await writer.commit();
      expect(snapshot.items.map((i) => i.name)).toEqual(['after', 'secrets']);
      expect(snapshot.items[1]?.entries).toBe(1);
    } finally {
      await vault.close();
    }
  });
});
