import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LifeboatError } from '../../../src-main/api/errors';
import { checkVault } from '../../../src-main/vault/check';
import type { VaultKeys } from '../../../src-main/vault/vault';
import { backupBuffer, collect, newVault, pieces, pseudoRandom, reopen, tempDir, textLike } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe('vault round trip', () => {
  const tmp = tempDir();
  let keys: VaultKeys;
  beforeAll(async () => {
    keys = await newVault(tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it('stores a mixed stream and reads it back byte-identical', async () => {
    const vault = await reopen(tmp.dir, keys);
    const data = Buffer.concat([pseudoRandom(3_000_000, 3), textLike(2_500_000), Buffer.alloc(1_000_000), pseudoRandom(777, 9)]);
    const snap = await backupBuffer(vault, 'db', data);
    expect(snap.items[0]).toMatchObject({ name: 'db', type: 'stream', size: data.length });
    expect(snap.stats.storedNew).toBeLessThan(data.length);
    const back = await collect(vault.readItem(snap, 'db'));
    expect(back.equals(data)).toBe(true);
    const report = await checkVault(vault, { readData: true });
    expect(report.problems.filter((p) => p.level === 'error')).toEqual([]);
    await vault.close();
  });

  it('deduplicates an unchanged stream completely', async () => {
    const vault = await reopen(tmp.dir, keys);
    const data = pseudoRandom(4_000_000, 42);
    const first = await backupBuffer(vault, 'x', data);
    const second = await backupBuffer(vault, 'x', data);
    expect(first.stats.blobsNew).toBeGreaterThan(1);
    expect(second.stats.blobsNew).toBe(0);
    expect((await collect(vault.readItem(second, 'x'))).equals(data)).toBe(true);
    await vault.close();
  });

  it('reads a file descriptor straight into its buffers', async () => {
    const { openSync, writeFileSync, closeSync } = await import('node:fs');
    const { fdReader } = await import('../../../src-main/vault/ingest');
    const data = Buffer.concat([textLike(3_000_000, 9), pseudoRandom(20_000_000, 8)]);
    writeFileSync(`${tmp.dir}/input.bin`, data);
    const fd = openSync(`${tmp.dir}/input.bin`, 'r');
    const vault = await reopen(tmp.dir, keys);
    const writer = await vault.createSnapshot({ host: 'lab' });
    await writer.addStream({ name: 'file', kind: 'file' }, fdReader(fd));
    const snap = await writer.commit();
    closeSync(fd);
    expect((await collect(vault.readItem(snap, 'file'))).equals(data)).toBe(true);
    await vault.close();
  });

  it('handles empty and tiny streams', async () => {
    const vault = await reopen(tmp.dir, keys);
    const writer = await vault.createSnapshot({ host: 'lab' });
    await writer.addStream({ name: 'empty', kind: 'stdin' }, pieces(Buffer.alloc(0)));
    await writer.addStream({ name: 'tiny', kind: 'stdin' }, pieces(Buffer.from('hi')));
    const snap = await writer.commit();
    expect((await collect(vault.readItem(snap, 'empty'))).length).toBe(0);
    expect((await collect(vault.readItem(snap, 'tiny'))).toString()).toBe('hi');
    await vault.close();
  });

  it('stores file trees, reusing chunks of unchanged files without reading them', async () => {
    const vault = await reopen(tmp.dir, keys);
    const a = pseudoRandom(600_000, 5);
    const b = textLike(10_000);
    const meta = { mode: 0o644, uid: 1000, gid: 1000, mtime: 1_700_000_000_000 };
    let w = await vault.createSnapshot({ host: 'lab' });
    let tree = w.addTree({ name: 'uploads', kind: 'volume' });
    await tree.addEntry({ path: 'conf', type: 'dir', ...meta, mode: 0o755, size: 0 });
    const fa = await tree.addFile({ path: 'conf/a.bin', ...meta }, pieces(a));
    await tree.addFile({ path: 'conf/b.txt', ...meta }, pieces(b));
    await tree.addEntry({ path: 'current', type: 'symlink', ...meta, size: 0, link: 'conf/a.bin' });
    await tree.close();
    const s1 = await w.commit();
    expect(s1.items[0]).toMatchObject({ type: 'tree', entries: 4, size: a.length + b.length });

    w = await vault.createSnapshot({ host: 'lab' });
    tree = w.addTree({ name: 'uploads', kind: 'volume' });
    await tree.addEntry({ ...fa });
    await expect(tree.addEntry({ ...fa, path: 'bad', chunks: ['00'.repeat(32)] })).rejects.toMatchObject({ code: 'not-found' });
    await expect(tree.addEntry({ ...fa, path: 'bad2', size: fa.size + 1 })).rejects.toMatchObject({ code: 'bad-input' });
    await tree.close();
    const s2 = await w.commit();
    expect(s2.stats.blobsNew).toBe(1);
    const entries: import("../../../src-main/vault/snapshots").TreeEntry[] = [];
    for await (const e of vault.readTree(s2, 'uploads')) entries.push(e);
    expect(entries.map((e) => e.path)).toEqual(['conf/a.bin']);
    const content = await vault.withReadLock('t', () => collect(vault.readTreeFile(entries[0]!, 'uploads')));
    expect(content.equals(a)).toBe(true);
    await expect(collect(vault.readItem(s2, 'uploads'))).rejects.toMatchObject({ code: 'bad-input' });
    await vault.close();
  });

  it('refuses a wrong passphrase and a vault from a newer format', async () => {
    const { openVault } = await import('../../../src-main/vault/vault');
    await expect(openVault({ dir: tmp.dir, passphrase: 'nope' })).rejects.toMatchObject({ code: 'wrong-passphrase' });
    const other = tempDir();
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${other.dir}/config`, JSON.stringify({ format: 'lifeboat-vault', version: 99 }));
      const err = await openVault({ dir: other.dir, passphrase: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LifeboatError);
      expect(err).toMatchObject({ code: 'vault-format' });
      expect((err as Error).message).toMatch(/newer Lifeboat/);
      await expect(openVault({ dir: `${other.dir}/none`, passphrase: 'x' })).rejects.toMatchObject({ code: 'not-found' });
    } finally {
      other.cleanup();
    }
  });

  it('gives the same bytes with crypto on this thread and on workers', async () => {
    const data = Buffer.concat([textLike(1_500_000, 3), pseudoRandom(1_500_000, 11)]);
    const a = tempDir();
    const b = tempDir();
    try {
      // Same keys in two places: identical chunking and ids (compression effort may differ: it
      // follows how busy the pipeline is).
      const { cpSync } = await import('node:fs');
      cpSync(tmp.dir, a.dir, { recursive: true });
      cpSync(tmp.dir, b.dir, { recursive: true });
      const inline = await reopen(a.dir, keys, { workers: 0 });
      const pooled = await reopen(b.dir, keys, { workers: 2 });
      const s1 = await backupBuffer(inline, 'i', data);
      const s2 = await backupBuffer(pooled, 'i', data);
      expect(s1.items[0]!.meta).toEqual(s2.items[0]!.meta);
      expect((await collect(inline.readItem(s1, 'i'))).equals(data)).toBe(true);
      expect((await collect(pooled.readItem(s2, 'i'))).equals(data)).toBe(true);
      await inline.close();
      await pooled.close();
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});
