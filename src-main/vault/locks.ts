import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { LifeboatError } from '../api/errors';
import type { MasterKeys } from './crypto';
import { Dirs, SealedKind, isHexId, sealedPath, shortId } from './format';
import { readSealed, writeSealed } from './sealed';
import type { VaultStorage } from './storage';

const lockSchema = z.object({
  host: z.string(),
  pid: z.number().int(),
  exclusive: z.boolean(),
  operation: z.string(),
  created: z.string(),
  refreshed: z.string(),
});

/** What a lock file says about its holder. */
export type LockInfo = z.infer<typeof lockSchema>;

/** A lock older than this without a refresh is stale, wherever it was made. */
export const STALE_AFTER_MS = 30 * 60 * 1000;
/** Holders rewrite their lock this often. */
const REFRESH_EVERY_MS = 5 * 60 * 1000;

/** True if a process with this pid exists on this machine. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock can be ignored and removed: its process died, or it stopped refreshing. */
export function isStale(info: LockInfo, now: number, host: string = hostname()): boolean {
  if (info.host === host && !pidAlive(info.pid)) return true;
  const refreshed = Date.parse(info.refreshed);
  return !Number.isFinite(refreshed) || now - refreshed > STALE_AFTER_MS;
}

/** A lock file as found in `locks/`. */
export interface FoundLock {
  readonly id: string;
  /** Undefined when the file could not be read (it is then treated as stale). */
  readonly info: LockInfo | undefined;
  readonly stale: boolean;
}

/** Every lock in the vault, with a staleness verdict. */
export async function listLocks(storage: VaultStorage, keys: MasterKeys, now: number = Date.now()): Promise<FoundLock[]> {
  const out: FoundLock[] = [];
  for (const id of (await storage.list(Dirs.locks)).filter(isHexId)) {
    try {
      const info = lockSchema.parse(JSON.parse((await readSealed(storage, keys, SealedKind.lock, id)).toString('utf8')));
      out.push({ id, info, stale: isStale(info, now) });
    } catch (err) {
      if (err instanceof LifeboatError && err.code === 'not-found') continue;
      out.push({ id, info: undefined, stale: true });
    }
  }
  return out;
}

/** A held lock; `release` deletes it (and stops refreshing). */
export interface VaultLock {
  readonly exclusive: boolean;
  release(): Promise<void>;
}

/** How to take a lock. */
export interface LockOptions {
  readonly exclusive: boolean;
  /** Shown to whoever finds the vault locked, e.g. `backup` or `prune`. */
  readonly operation: string;
  /** How long to keep retrying while another process holds a conflicting lock. */
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
}

function describe(lock: FoundLock): string {
  const i = lock.info;
  return i ? `${i.exclusive ? 'an exclusive' : 'a shared'} lock for "${i.operation}" by pid ${i.pid} on ${i.host} since ${i.created}` : `lock ${shortId(lock.id)}`;
}

/**
 * Takes a shared or exclusive lock: write ours, then look; back off if a live conflicting lock
 * exists. Because every contender writes before it looks, two cannot both proceed.
 */
export async function acquireLock(storage: VaultStorage, keys: MasterKeys, options: LockOptions): Promise<VaultLock> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  const created = new Date().toISOString();
  const write = () =>
    writeSealed(storage, keys, SealedKind.lock, Buffer.from(JSON.stringify({ host: hostname(), pid: process.pid, exclusive: options.exclusive, operation: options.operation, created, refreshed: new Date().toISOString() } satisfies LockInfo)));
  await storage.mkdir(Dirs.locks);
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw new LifeboatError('cancelled', `${options.operation} was cancelled while waiting for the vault lock`);
    let own = await write();
    const others = (await listLocks(storage, keys)).filter((l) => l.id !== own);
    const stale = others.filter((l) => l.stale);
    if (stale.length > 0) await storage.remove(stale.map((l) => sealedPath(SealedKind.lock, l.id)));
    const conflict = others.find((l) => !l.stale && (options.exclusive || l.info?.exclusive));
    if (!conflict) {
      let released = false;
      let refreshing: Promise<void> = Promise.resolve();
      const timer = setInterval(() => {
        refreshing = refreshing.then(async () => {
          if (released) return;
          const next = await write();
          const old = own;
          own = next;
          await storage.remove([sealedPath(SealedKind.lock, old)]);
        }).catch(() => undefined);
      }, REFRESH_EVERY_MS);
      timer.unref();
      return {
        exclusive: options.exclusive,
        release: async () => {
          if (released) return;
          released = true;
          clearInterval(timer);
          await refreshing;
          await storage.remove([sealedPath(SealedKind.lock, own)]);
        },
      };
    }
    await storage.remove([sealedPath(SealedKind.lock, own)]);
    if (Date.now() >= deadline) {
      throw new LifeboatError(
        'vault-locked',
        `the vault is busy: ${describe(conflict)}`,
        options.exclusive ? 'wait for the other Lifeboat command to finish and try again' : 'a prune is running; wait for it to finish and try again',
      );
    }
    await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
  }
}
