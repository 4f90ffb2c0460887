import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BlobIndex } from '../../../src-main/vault/blob-index';
import { blobAd, blobIdOf, blobNonce, deriveSubkey, join, open, seal, TRAILER_NONCE } from '../../../src-main/vault/crypto';
import { SealedKind } from '../../../src-main/vault/format';
import { calibrateScrypt, validateScrypt } from '../../../src-main/vault/kdf';
import { acquireLock, isStale, listLocks } from '../../../src-main/vault/locks';
import { decodeSealed, encodeSealed } from '../../../src-main/vault/sealed';
import { LocalStorage } from '../../../src-main/vault/storage';
import { generateMasterKeys } from '../../../src-main/vault/keys';
import { PASS, newVault, reopen, tempDir } from './helpers';
import { openVault } from '../../../src-main/vault/vault';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe('crypto', () => {
  const keys = generateMasterKeys();
  const id = randomBytes(32);

  it('binds a blob to its pack key, counter, type and id', () => {
    const key = deriveSubkey(keys.encKey, randomBytes(32), 'pack');
    const data = randomBytes(200_000);
    const sealed = join(seal(key, blobNonce(7), blobAd(0, id), [Buffer.of(0), data]));
    expect(join(open(key, blobNonce(7), blobAd(0, id), sealed) ?? []).subarray(1).equals(data)).toBe(true);
    expect(open(key, blobNonce(8), blobAd(0, id), sealed)).toBeUndefined();
    expect(open(key, blobNonce(7), blobAd(1, id), sealed)).toBeUndefined();
    expect(open(key, blobNonce(7), blobAd(0, randomBytes(32)), sealed)).toBeUndefined();
    expect(open(deriveSubkey(keys.encKey, randomBytes(32), 'pack'), blobNonce(7), blobAd(0, id), sealed)).toBeUndefined();
    expect(open(key, TRAILER_NONCE, blobAd(0, id), sealed)).toBeUndefined();
  });

  it('derives distinct subkeys per file and purpose, and distinct nonces per counter', () => {
    const fileId = randomBytes(32);
    expect(deriveSubkey(keys.encKey, fileId, 'pack').equals(deriveSubkey(keys.encKey, fileId, 'index'))).toBe(false);
    expect(blobNonce(1).equals(blobNonce(2 ** 32 + 1))).toBe(false);
    expect(blobNonce(0).equals(TRAILER_NONCE)).toBe(false);
  });

  it('keys ids with the vault key', () => {
    const data = Buffer.from('same data');
    expect(blobIdOf(keys.idKey, data).equals(blobIdOf(generateMasterKeys().idKey, data))).toBe(false);
    expect(blobIdOf(keys.idKey, [data.subarray(0, 3), data.subarray(3)]).equals(blobIdOf(keys.idKey, data))).toBe(true);
  });

  it('seals files so that kind, id and key all matter', async () => {
    const fileId = randomBytes(32);
    const bytes = Buffer.concat(await encodeSealed(keys, SealedKind.snapshot, fileId, Buffer.from('{"a":1}'.repeat(100))));
    expect((await decodeSealed(keys, SealedKind.snapshot, fileId, bytes)).toString()).toBe('{"a":1}'.repeat(100));
    await expect(decodeSealed(keys, SealedKind.index, fileId, bytes)).rejects.toMatchObject({ code: 'corrupt' });
    await expect(decodeSealed(keys, SealedKind.snapshot, randomBytes(32), bytes)).rejects.toMatchObject({ code: 'corrupt' });
    await expect(decodeSealed(generateMasterKeys(), SealedKind.snapshot, fileId, bytes)).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('refuses scrypt parameters below 64 MiB', () => {
    expect(() => validateScrypt({ N: 2 ** 15, r: 8, p: 1 }, 'k')).toThrow(/unsupported scrypt/);
    expect(() => validateScrypt({ N: 2 ** 16, r: 4, p: 1 }, 'k')).toThrow(/unsupported scrypt/);
    expect(() => calibrateScrypt(12)).toThrow(/between 16/);
    expect(calibrateScrypt(16)).toMatchObject({ N: 65536, r: 8, p: 1 });
    const slow = calibrateScrypt(undefined, (() => {
      let t = 0;
      return () => (t += 1000);
    })());
    expect(slow.N).toBe(2 ** 16);
  });
});

describe('blob index', () => {
  it('finds every id after growing, and keeps the first location of a duplicate', () => {
    const index = new BlobIndex();
    const ids = Array.from({ length: 5000 }, () => randomBytes(32));
    ids.forEach((id, i) => expect(index.add(id, { packId: `p${i % 7}`, type: i % 2, counter: i, offset: i * 10, length: 100 + i, rawLength: 200 + i })).toBe(true));
    expect(index.size).toBe(5000);
    ids.forEach((id, i) => expect(index.get(id)).toEqual({ packId: `p${i % 7}`, type: i % 2, counter: i, offset: i * 10, length: 100 + i, rawLength: 200 + i }));
    expect(index.add(ids[3]!, { packId: 'other', type: 0, counter: 0, offset: 0, length: 0, rawLength: 0 })).toBe(false);
    expect(index.get(ids[3]!)?.packId).toBe('p3');
    expect(index.has(randomBytes(32))).toBe(false);
    expect(index.packIds().sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });
});

describe('locks and passphrases', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('shares with readers, excludes prune, and clears locks of dead processes', async () => {
    const dir = `${tmp.dir}/v`;
    const keys = await newVault(dir);
    const storage = new LocalStorage(dir);
    const shared = await acquireLock(storage, keys.master, { exclusive: false, operation: 'backup' });
    const other = await acquireLock(storage, keys.master, { exclusive: false, operation: 'read' });
    const err = await acquireLock(storage, keys.master, { exclusive: true, operation: 'prune', waitMs: 200 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'vault-locked' });
    expect((err as Error).message).toMatch(/shared lock for "(backup|read)" by pid \d+/);
    await shared.release();
    await other.release();
    const exclusive = await acquireLock(storage, keys.master, { exclusive: true, operation: 'prune' });
    await expect(acquireLock(storage, keys.master, { exclusive: false, operation: 'backup', waitMs: 100 })).rejects.toMatchObject({ code: 'vault-locked' });
    await exclusive.release();
    expect(await listLocks(storage, keys.master)).toEqual([]);

    const now = Date.now();
    const info = { host: 'h', pid: 1, exclusive: true, operation: 'prune', created: new Date(now).toISOString(), refreshed: new Date(now).toISOString() };
    expect(isStale({ ...info, pid: 2 ** 22 + 12345 }, now, 'h')).toBe(true);
    expect(isStale({ ...info, pid: process.pid }, now, 'h')).toBe(false);
    expect(isStale({ ...info, pid: process.pid, refreshed: new Date(now - 31 * 60_000).toISOString() }, now, 'h')).toBe(true);
    expect(isStale({ ...info, host: 'elsewhere', pid: 2 ** 22 + 12345 }, now, 'h')).toBe(false);
  });

  it('changes the passphrase without touching data', async () => {
    const dir = `${tmp.dir}/p`;
    const keys = await newVault(dir);
    const vault = await reopen(dir, keys);
    await vault.changePassphrase('another one', 16);
    await vault.close();
    await expect(openVault({ dir, passphrase: PASS })).rejects.toMatchObject({ code: 'wrong-passphrase' });
    const again = await openVault({ dir, passphrase: 'another one' });
    expect(again.master.idKey.equals(keys.master.idKey)).toBe(true);
    await again.close();
  });
});
