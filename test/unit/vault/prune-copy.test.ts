import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Catalog } from '../../../src-main/vault/catalog';
import { checkVault } from '../../../src-main/vault/check';
import { copyVault } from '../../../src-main/vault/copy';
import { pruneVault } from '../../../src-main/vault/prune';
import { LocalStorage } from '../../../src-main/vault/storage';
import { openVault } from '../../../src-main/vault/vault';
import { FailingStorage } from './failing-storage';
import { backupBuffer, collect, newVault, pseudoRandom, reopen, tempDir } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n, 12));

describe('prune', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('keeps what the policy says, frees the rest, previews first', async () => {
    const dir = `${tmp.dir}/p1`;
    const keys = await newVault(dir);
    const vault = await reopen(dir, keys);
    const data = new Map<string, Buffer>();
    for (let d = 0; d < 6; d++) {
      const bytes = Buffer.concat([pseudoRandom(600_000, 100), pseudoRandom(900_000, d + 1)]);
      const s = await backupBuffer(vault, 'db', bytes, { time: day(d) });
      data.set(s.id, bytes);
    }
    const preview = await pruneVault(vault, { policy: { last: 2 }, dryRun: true, utc: true });
    expect(preview.removedSnapshots).toHaveLength(4);
    expect(await vault.readAllSnapshots()).toHaveLength(6);
    const result = await pruneVault(vault, { policy: { last: 2 }, utc: true });
    expect(result.removedSnapshots.sort()).toEqual(preview.removedSnapshots.sort());
    expect(result.bytes.freed).toBeGreaterThan(3_000_000);
    const left = await vault.readAllSnapshots();
    expect(left.map((s) => s.time)).toEqual([day(4).toISOString(), day(5).toISOString()]);
    for (const s of left) expect((await collect(vault.readItem(s, 'db'))).equals(data.get(s.id) as Buffer)).toBe(true);
    const report = await checkVault(vault, { readData: true });
    expect(report.problems).toEqual([]);
    await vault.close();
  });

  it('refuses a policy without rules', async () => {
    const dir = `${tmp.dir}/p2`;
    const vault = await reopen(dir, await newVault(dir));
    await expect(pruneVault(vault, { policy: {} })).rejects.toMatchObject({ code: 'bad-input' });
    await vault.close();
  });

  it('never loses data when backups race prunes, repeatedly', async () => {
    const dir = `${tmp.dir}/race`;
    const keys = await newVault(dir);
    const writer = await reopen(dir, keys, { lockWaitMs: 60_000 });
    const pruner = await reopen(dir, keys, { lockWaitMs: 60_000 });
    const shared = pseudoRandom(500_000, 9);
    const written = new Map<string, Buffer>();
    const backups = (async () => {
      for (let i = 0; i < 8; i++) {
        const bytes = Buffer.concat([shared, pseudoRandom(400_000, 1000 + i)]);
        const s = await backupBuffer(writer, 'db', bytes, { time: day(i) });
        written.set(s.id, bytes);
      }
    })();
    const prunes = (async () => {
      for (let i = 0; i < 8; i++) {
        await pruneVault(pruner, { policy: { last: 3 }, utc: true, repackThreshold: 0.01 });
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await Promise.all([backups, prunes]);
    await pruneVault(pruner, { policy: { last: 3 }, utc: true, repackThreshold: 0.01 });
    const left = await writer.readAllSnapshots();
    expect(left.map((s) => s.time)).toEqual([day(5), day(6), day(7)].map((d) => d.toISOString()));
    for (const s of left) expect((await collect(writer.readItem(s, 'db'))).equals(written.get(s.id) as Buffer)).toBe(true);
    expect((await checkVault(writer, { readData: true })).problems.filter((p) => p.level === 'error')).toEqual([]);
    await writer.close();
    await pruner.close();
  }, 60_000);
});

describe('copy', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('replicates, transfers only what is missing, resumes after a failure, refuses other vaults', async () => {
    const dir = `${tmp.dir}/src`;
    const usb = `${tmp.dir}/usb`;
    const keys = await newVault(dir);
    const vault = await reopen(dir, keys);
    const a = pseudoRandom(1_500_000, 1);
    const s1 = await backupBuffer(vault, 'a', a);
    const first = await copyVault(vault, { target: usb });
    expect(first.created).toBe(true);
    expect(first.copied.snapshots).toBe(1);
    const b = pseudoRandom(1_000_000, 2);
    const s2 = await backupBuffer(vault, 'b', b);

    // A copy interrupted by a full disk is resumed by running it again.
    const broken = await copyVault(vault, { target: new FailingStorage(new LocalStorage(usb), 2) }).catch((e: unknown) => e);
    expect(broken).toMatchObject({ code: 'disk-full' });
    const second = await copyVault(vault, { target: usb });
    expect(second.created).toBe(false);
    expect(second.copied.snapshots).toBe(1);
    expect(second.skipped).toBeGreaterThan(0);
    const again = await copyVault(vault, { target: usb });
    expect(again.bytes).toBe(0);

    const copy = await openVault({ dir: usb, keys, lockWaitMs: 5000 });
    expect((await copy.readAllSnapshots()).map((s) => s.id).sort()).toEqual([s1.id, s2.id].sort());
    expect((await collect(copy.readItem(s1, 'a'))).equals(a)).toBe(true);
    expect((await collect(copy.readItem(s2, 'b'))).equals(b)).toBe(true);
    expect((await checkVault(copy, { readData: true })).ok).toBe(true);
    await copy.close();

    const other = `${tmp.dir}/other`;
    await newVault(other);
    await expect(copyVault(vault, { target: other })).rejects.toMatchObject({ code: 'conflict' });
    await vault.close();
  });
});

describe('catalog', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('is a cache: deleting it and rebuilding gives the same snapshot list', async () => {
    const dir = `${tmp.dir}/v`;
    const file = join(tmp.dir, 'catalog.sqlite');
    const keys = await newVault(dir);
    let catalog = Catalog.open(file);
    let vault = await openVault({ dir, keys, catalog });
    for (let i = 0; i < 4; i++) await backupBuffer(vault, `item${i % 2}`, pseudoRandom(300_000, i), { time: day(i), tags: i % 2 ? ['odd'] : [] });
    const before = await vault.listSnapshots();
    expect(before).toHaveLength(4);
    await vault.close();
    catalog.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });

    catalog = Catalog.open(file);
    vault = await openVault({ dir, keys, catalog });
    expect(catalog.list(vault)).toEqual([]);
    const rebuilt = await catalog.rebuild(vault);
    expect(rebuilt).toEqual(before);
    expect(await vault.readAllSnapshots()).toEqual(before);
    await pruneVault(vault, { policy: { last: 1 }, utc: true });
    expect((await vault.listSnapshots()).map((s) => s.id)).toEqual((await vault.readAllSnapshots()).map((s) => s.id));
    await vault.close();
    catalog.close();
  });
});
