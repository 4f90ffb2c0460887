import { createHash } from 'node:crypto';
import { LifeboatError } from '../api/errors';
import { readConfig } from './config';
import { Dirs, isHexId, packPath, throwIfAborted } from './format';
import { listIndexFiles, readIndexFile } from './index-files';
import { acquireLock } from './locks';
import { listSnapshotIds } from './snapshots';
import { LocalStorage, type VaultStorage } from './storage';
import type { Vault } from './vault';

/** Options of `copyVault`. */
export interface CopyOptions {
  /** The second place: a directory, or (tests) a storage. */
  readonly target: string | VaultStorage;
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: string, done: number, total?: number) => void;
  readonly lockWaitMs?: number;
}

/** What a copy transferred. */
export interface CopyResult {
  readonly target: string;
  /** The target vault was created by this copy. */
  readonly created: boolean;
  readonly copied: { packs: number; indexFiles: number; snapshots: number; keys: number };
  /** Files the target already had. */
  readonly skipped: number;
  readonly bytes: number;
}

const PIECE = 4 * 1024 * 1024;

/** Copies one file: hashed while read, written to the target's tmp/, read back, compared, renamed. */
async function copyFile(source: VaultStorage, target: VaultStorage, path: string, onBytes: (n: number) => void, signal?: AbortSignal): Promise<number> {
  const size = (await source.size(path)) ?? 0;
  const input = await source.openRead(path);
  const writer = await target.create();
  try {
    const sent = createHash('sha256');
    const buf = Buffer.allocUnsafe(PIECE);
    for (let at = 0; at < size; ) {
      throwIfAborted(signal, 'the copy');
      const n = await input.read(buf, 0, Math.min(PIECE, size - at), at);
      if (n === 0) throw new LifeboatError('corrupt', `${path} in ${source.root} ended early while being copied`, 'run "lifeboat check" on the source');
      const piece = Buffer.from(buf.subarray(0, n));
      sent.update(piece);
      await writer.write([piece]);
      at += n;
      onBytes(n);
    }
    const back = createHash('sha256');
    let read = 0;
    for (;;) {
      const n = await writer.read(buf, read);
      if (n === 0) break;
      back.update(buf.subarray(0, n));
      read += n;
    }
    if (read !== size || !back.digest().equals(sent.digest())) {
      throw new LifeboatError('corrupt', `the copy of ${path} in ${target.root} reads back differently`, 'the target disk or its connection is unreliable; check it and run the copy again');
    }
    await writer.commit(path);
    return size;
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await input.close();
  }
}

/**
 * Replicates the vault into a second place, transferring only files the target lacks, in the
 * safe order packs → index → snapshots → keys, each verified before it becomes visible. The
 * target is the same vault (same config and keys); an interrupted copy simply runs again.
 */
export async function copyVault(vault: Vault, options: CopyOptions): Promise<CopyResult> {
  const source = vault.storage;
  const target = typeof options.target === 'string' ? new LocalStorage(options.target) : options.target;
  const progress = options.onProgress ?? (() => undefined);
  return vault.withReadLock(
    'copy',
    async () => {
      let created = false;
      try {
        const config = await readConfig(target);
        if (config.id !== vault.config.id) {
          throw new LifeboatError('conflict', `${target.root} holds a different vault (${config.id.slice(0, 8)}, this one is ${vault.config.id.slice(0, 8)})`, 'copy into an empty directory or into an earlier copy of this vault');
        }
      } catch (err) {
        if (!(err instanceof LifeboatError && err.code === 'not-found')) throw err;
        const foreign = (await target.list('')).filter((n) => !(Object.values(Dirs) as string[]).includes(n) && n !== 'config' && !n.startsWith('.'));
        if (foreign.length > 0) throw new LifeboatError('conflict', `${target.root} is not empty and is not a copy of this vault`, 'choose an empty directory for the copy');
        await target.mkdir('');
        for (const dir of Object.values(Dirs)) await target.mkdir(dir);
        for (const key of (await source.list(Dirs.keys)).filter(isHexId)) await target.writeFile(`${Dirs.keys}/${key}`, await source.readFile(`${Dirs.keys}/${key}`));
        await target.writeFile('config', await source.readFile('config'));
        created = true;
      }
      const lock = await acquireLock(target, vault.master, { exclusive: false, operation: 'copy', waitMs: options.lockWaitMs ?? 30_000, ...(options.signal ? { signal: options.signal } : {}) });
      try {
        const indexFiles = await listIndexFiles(source);
        const packs = new Set<string>();
        for (const f of indexFiles) for (const p of await readIndexFile(source, vault.master, f)) packs.add(p.packId);
        const plan: { kind: 'packs' | 'indexFiles' | 'snapshots' | 'keys'; paths: string[] }[] = [
          { kind: 'packs', paths: [...packs].sort().map(packPath) },
          { kind: 'indexFiles', paths: indexFiles.map((f) => `${Dirs.index}/${f}`) },
          { kind: 'snapshots', paths: (await listSnapshotIds(source)).map((s) => `${Dirs.snapshots}/${s}`) },
          { kind: 'keys', paths: (await source.list(Dirs.keys)).filter(isHexId).map((k) => `${Dirs.keys}/${k}`) },
        ];
        const todo: { kind: (typeof plan)[number]['kind']; path: string; size: number }[] = [];
        let skipped = 0;
        for (const step of plan) {
          for (const path of step.paths) {
            const size = (await source.size(path)) ?? 0;
            if ((await target.size(path)) === size) skipped++;
            else todo.push({ kind: step.kind, path, size });
          }
        }
        const total = todo.reduce((n, t) => n + t.size, 0);
        const copied = { packs: 0, indexFiles: 0, snapshots: 0, keys: 0 };
        let bytes = 0;
        for (const t of todo) {
          await copyFile(source, target, t.path, (n) => progress('copy', (bytes += n), total), options.signal);
          copied[t.kind]++;
        }
        return { target: target.root, created, copied, skipped, bytes };
      } finally {
        await lock.release();
      }
    },
    options.signal,
  );
}
