import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type VaultKeys, initVault, openVault, unlockVault, type Vault } from '../../../src-main/vault/vault';
import type { VaultStorage } from '../../../src-main/vault/storage';

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'lifeboat-vault-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (xorshift32), fast enough for tens of MiB. */
export function pseudoRandom(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let s = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out.writeUInt32LE(s >>> 0, i);
  }
  for (; i < size; i++) out[i] = i & 0xff;
  return out;
}

/** Text-like bytes that compress (log lines with varying numbers). */
export function textLike(size: number, seed = 7): Buffer {
  const words = ['backup', 'vault', 'docker', 'volume', 'postgres', 'snapshot', 'chunk', 'restore', 'compose', 'stack'];
  let s = seed;
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    s = (s * 1103515245 + 12345) >>> 0;
    const line = `${words[s % 10]} ${s % 100000} ${words[(s >>> 8) % 10]} ok\n`;
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

/** Yields a buffer in pieces, like a pipe would. */
export async function* pieces(data: Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, Math.min(data.length, at + size));
}

/** Concatenates an async iterable of buffers. */
export async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of source) out.push(b);
  return Buffer.concat(out);
}

/** The passphrase tests use. */
export const PASS = 'correct horse battery staple';

/** Creates a vault (scrypt pinned to its floor) and returns its keys for fast reopening. */
export async function newVault(dir: string, storage?: VaultStorage): Promise<VaultKeys> {
  await initVault({ dir, passphrase: PASS, kdfLogN: 16, ...(storage ? { storage } : {}) });
  return unlockVault({ dir, passphrase: PASS, ...(storage ? { storage } : {}) });
}

/** Opens a vault with known keys (no KDF); short lock waits. */
export function reopen(dir: string, keys: VaultKeys, options: { storage?: VaultStorage; lockWaitMs?: number; workers?: number } = {}): Promise<Vault> {
  return openVault({ dir, keys, lockWaitMs: options.lockWaitMs ?? 5000, ...options });
}

/** Backs up one buffer as a stream item and commits. */
export async function backupBuffer(vault: Vault, name: string, data: Buffer, options: { time?: Date; tags?: string[]; host?: string } = {}) {
  const writer = await vault.createSnapshot({ host: options.host ?? 'lab', tags: options.tags ?? [], ...(options.time ? { time: options.time } : {}) });
  try {
    await writer.addStream({ name, kind: 'stdin' }, pieces(data));
    return await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
