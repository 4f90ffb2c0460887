import { cpSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkVault } from '../../../src-main/vault/check';
import { LocalStorage } from '../../../src-main/vault/storage';
import type { Snapshot } from '../../../src-main/vault/snapshots';
import type { VaultKeys } from '../../../src-main/vault/vault';
import { FailingStorage } from './failing-storage';
import { backupBuffer, collect, newVault, pieces, pseudoRandom, reopen, tempDir, textLike } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe('a storage that fails each write in turn', () => {
  const tmp = tempDir();
  const base = `${tmp.dir}/base`;
  let keys: VaultKeys;
  let first: Snapshot;
  const old = pseudoRandom(2_000_000, 1);
  const itemA = pseudoRandom(3_000_000, 2);
  const itemB = textLike(1_500_000, 3);

  beforeAll(async () => {
    keys = await newVault(base);
    const vault = await reopen(base, keys);
    first = await backupBuffer(vault, 'old', old);
    await vault.close();
  });
  afterAll(() => tmp.cleanup());

  async function attempt(dir: string, failAt: number) {
    const storage = new FailingStorage(new LocalStorage(dir), failAt);
    const vault = await reopen(dir, keys, { storage });
    try {
      const writer = await vault.createSnapshot({ host: 'lab' });
      try {
        await writer.addStream({ name: 'a', kind: 'stdin' }, pieces(itemA));
        await writer.addStream({ name: 'b', kind: 'stdin' }, pieces(itemB));
        await writer.commit();
      } catch (err) {
        await writer.abort();
        throw err;
      }
      return { error: undefined, storage };
    } catch (err) {
      return { error: err, storage };
    } finally {
      await vault.close();
    }
  }

  it('leaves every snapshot whole or absent, and says the disk is full', async () => {
    const probe = `${tmp.dir}/probe`;
    cpSync(base, probe, { recursive: true });
    const clean = await attempt(probe, Infinity);
    expect(clean.error).toBeUndefined();
    const total = clean.storage.ops;
    expect(total).toBeGreaterThan(5);
    for (let k = 1; k <= total; k++) {
      const dir = `${tmp.dir}/fail-${k}`;
      cpSync(base, dir, { recursive: true });
      const { error, storage } = await attempt(dir, k);
      // Write batching depends on timing, so a run may need fewer operations than the probe.
      if (!storage.failed) expect(error).toBeUndefined();
      const vault = await reopen(dir, keys);
      const snapshots = await vault.readAllSnapshots();
      if (error) {
        expect(error).toMatchObject({ code: 'disk-full' });
        expect(snapshots.map((s) => s.id)).toEqual([first.id]);
        expect(readdirSync(`${dir}/tmp`)).toEqual([]);
      } else {
        // The failure hit after the snapshot was durable (releasing the lock): it is whole.
        expect(snapshots).toHaveLength(2);
      }
      const report = await checkVault(vault, { readData: k % 3 === 0 });
      expect(report.problems.filter((p) => p.level === 'error')).toEqual([]);
      expect((await collect(vault.readItem(snapshots[0]!, 'old'))).equals(old)).toBe(true);
      if (snapshots[1]) {
        expect((await collect(vault.readItem(snapshots[1], 'a'))).equals(itemA)).toBe(true);
        expect((await collect(vault.readItem(snapshots[1], 'b'))).equals(itemB)).toBe(true);
      }
      await vault.close();
    }
  }, 120_000);
});
