import { closeSync, openSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { checkVault } from '../../../src-main/vault/check';
import { PACK_HEADER, PackWriter } from '../../../src-main/vault/pack-writer';
import { type AtomicWriter, LocalStorage, type VaultStorage } from '../../../src-main/vault/storage';
import { backupBuffer, collect, newVault, pieces, pseudoRandom, reopen, tempDir, textLike } from './helpers';

vi.setConfig({ testTimeout: 120_000 });

/**
 * Local storage that counts the bytes the main thread writes, and can hand out a descriptor of
 * /dev/full instead of the pack's own (every write through it fails with ENOSPC).
 */
class WatchedStorage extends LocalStorage {
  mainBytes = 0;
  readonly fullFds: number[] = [];

  constructor(
    dir: string,
    /** Files created from now on get a /dev/full descriptor. */
    public devFull = false,
  ) {
    super(dir);
  }

  override async create(): Promise<AtomicWriter> {
    const inner = await super.create();
    const count = (chunks: readonly Uint8Array[]) => {
      for (const c of chunks) this.mainBytes += c.byteLength;
    };
    let fd = inner.fd;
    if (this.devFull) {
      fd = openSync('/dev/full', 'w');
      this.fullFds.push(fd);
    }
    return {
      get bytes() {
        return inner.bytes;
      },
      ...(fd === undefined ? {} : { fd }),
      write: (chunks) => {
        count(chunks);
        return inner.write(chunks);
      },
      writeAt: (chunks, position) => {
        count(chunks);
        return (inner.writeAt as NonNullable<AtomicWriter['writeAt']>)(chunks, position);
      },
      read: (into, position) => inner.read(into, position),
      commit: (path) => inner.commit(path),
      abort: () => inner.abort(),
    };
  }
}

describe('crypto workers write data blobs into packs themselves', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const data = Buffer.concat([pseudoRandom(12_000_000, 11), textLike(6_000_000, 12), pseudoRandom(6_000_000, 11)]);

  /** A fresh vault on a watched storage, the data backed up with `workers` crypto workers. */
  async function backUp(name: string, workers: number) {
    const dir = `${tmp.dir}/${name}`;
    const storage = new WatchedStorage(dir);
    const keys = await newVault(dir, storage);
    const vault = await reopen(dir, keys, { storage, workers });
    const snapshot = await backupBuffer(vault, 'mixed', data);
    expect((await collect(vault.readItem(snapshot, 'mixed'))).equals(data)).toBe(true);
    return { storage, vault, snapshot };
  }

  it('keeps the ciphertext off the main thread, and the vault reads back equal and checks clean', async () => {
    const { storage, vault, snapshot } = await backUp('placed', 2);
    const packBytes = snapshot.stats.storedNew;
    // The main thread wrote headers, trailers and metadata only: far below the data's size.
    expect(packBytes).toBeGreaterThan(12_000_000);
    expect(storage.mainBytes).toBeLessThan(packBytes / 20);
    const report = await checkVault(vault, { readData: true });
    expect(report.problems).toEqual([]);
    await vault.close();
  });

  it('without workers (or a descriptor) the main thread writes every pack, with the same result', async () => {
    const { storage, vault, snapshot } = await backUp('inline', 0);
    expect(storage.mainBytes).toBeGreaterThan(snapshot.stats.storedNew);
    await vault.close();
  });

  it('a worker whose pack write fails (disk full) fails the backup with what to do, keeps nothing, and the vault stays usable', async () => {
    const dir = `${tmp.dir}/full`;
    const keys = await newVault(dir);
    const full = new WatchedStorage(dir, true);
    const vault = await reopen(dir, keys, { storage: full, workers: 2 });
    const failed = await backupBuffer(vault, 'doomed', data).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toMatchObject({ code: 'disk-full', hint: expect.stringContaining('free some space') });
    expect(await vault.readAllSnapshots()).toEqual([]);
    expect(readdirSync(`${dir}/tmp`)).toEqual([]);
    await vault.close();
    for (const fd of full.fullFds) closeSync(fd);

    const again = await reopen(dir, keys, { workers: 2 });
    const snapshot = await backupBuffer(again, 'fine', data);
    expect((await collect(again.readItem(snapshot, 'fine'))).equals(data)).toBe(true);
    const report = await checkVault(again, { readData: true });
    expect(report.problems.filter((p) => p.level === 'error')).toEqual([]);
    await again.close();
  });

  it('a disk-full write in a later item fails the commit as well, and leaves nothing in tmp/', async () => {
    const dir = `${tmp.dir}/full-later`;
    const keys = await newVault(dir);
    const storage = new WatchedStorage(dir);
    const vault = await reopen(dir, keys, { storage, workers: 2 });
    const writer = await vault.createSnapshot({ host: 'lab' });
    await writer.addStream({ name: 'a', kind: 'stdin' }, pieces(pseudoRandom(300_000, 21)));
    // The packs item a opened still work; the ones item b rotates into (16 MiB each) cannot be written.
    storage.devFull = true;
    const failedItem = await writer.addStream({ name: 'b', kind: 'stdin' }, pieces(pseudoRandom(40_000_000, 22))).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failedItem).toMatchObject({ code: 'disk-full' });
    const failedCommit = await writer.commit().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failedCommit).toMatchObject({ code: 'disk-full' });
    expect(readdirSync(`${dir}/tmp`)).toEqual([]);
    expect(await vault.readAllSnapshots()).toEqual([]);
    await vault.close();
    for (const fd of storage.fullFds) closeSync(fd);
  });

  it('a pack is written one way: appended here or placed by a worker, never both', () => {
    const storage = { create: () => new Promise<AtomicWriter>(() => undefined) } as unknown as VaultStorage;
    const keys = { encKey: Buffer.alloc(32, 1), idKey: Buffer.alloc(32, 2), chunkSeed: Buffer.alloc(32, 3) };
    const pack = new PackWriter(storage, keys);
    const a = pack.slot(10);
    const b = pack.slot(10);
    pack.placed(a, 0, Buffer.alloc(32, 4), 10, PACK_HEADER, 27);
    expect(() => pack.append(b, 0, Buffer.alloc(32, 5), 10, [Buffer.alloc(27)])).toThrow(/cannot mix/);
  });
});
