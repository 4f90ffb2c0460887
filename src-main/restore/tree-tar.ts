import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { LifeboatError } from '../api/errors';
import type { BlobOpener } from '../vault/crypto-pool';
import { readTreeEntries, readTreeFile } from '../vault/item-reader';
import type { Snapshot, SnapshotItem, TreeEntry } from '../vault/snapshots';
import type { Vault } from '../vault/vault';
import type { RootAttributes } from './remote-tree';
import { padding, tarEnd, tarHeader } from './tar-writer';
import { type GuardedEntry, TreeGuard, type TreeGuardOptions, refusalError } from './tree-guard';

/** What went into an archive built from a tree. */
export interface TreeTarReport {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Links kept verbatim although they point outside the tree. */
  outsideLinks: number;
  warnings: string[];
}

/** Options of `treeTar`. */
export interface TreeTarOptions extends TreeGuardOptions {
  readonly signal?: AbortSignal;
  /** File bytes put into the archive so far (for progress). */
  readonly onBytes?: (n: number) => void;
  /** Mode, owner and time of the tree's root directory: written as a `./` member first. */
  readonly root?: RootAttributes;
  /** Filled with the SHA-256 (hex) of every file's content as it passes, by output path (drills). */
  readonly fileHashes?: Map<string, string>;
}

/** Where a tree's entries and file contents come from (the vault, or a test's fake). */
export interface TreeSource {
  entries(): AsyncIterable<TreeEntry>;
  file(entry: TreeEntry): AsyncIterable<Buffer>;
}

/**
 * A tree item of a snapshot as a TreeSource; call inside a read lock (see `treeTarFromVault`).
 * With an opener, file chunks are decrypted and verified on its worker threads.
 */
export function vaultTreeSource(vault: Vault, snapshot: Snapshot, item: SnapshotItem, signal?: AbortSignal, opener?: BlobOpener): TreeSource {
  return {
    entries: () => readTreeEntries(vault.readDeps(signal), snapshot, item),
    file: (entry) => readTreeFile(vault.readDeps(signal, opener), entry, `item "${item.name}"`),
  };
}

/**
 * Generates a POSIX tar archive of a tree, entry by entry, every entry checked by a TreeGuard
 * before its header is produced: the archive can only contain relative, normalised paths,
 * directories, regular files and symlinks, nothing below a symlink, no duplicates. A file
 * whose content does not add up to its recorded size stops the archive (`corrupt`), so the
 * stream can never desynchronise. Nothing is buffered beyond the vault's read-ahead.
 */
export async function* treeTar(source: TreeSource, options: TreeTarOptions, report: TreeTarReport): AsyncGenerator<Buffer> {
  const guard = new TreeGuard(options);
  const root = options.root;
  if (root) yield tarHeader({ path: '.', type: 'dir', mode: root.mode, uid: root.uid, gid: root.gid, mtimeMs: root.mtimeMs ?? 0, ...(root.mtimeNs ? { mtimeNs: root.mtimeNs } : {}), size: 0 });
  for await (const entry of source.entries()) {
    if (options.signal?.aborted) throw new LifeboatError('cancelled', 'the restore was cancelled');
    let guarded: GuardedEntry | undefined;
    try {
      guarded = guard.check(entry);
    } catch (err) {
      throw refusalError(err);
    }
    if (!guarded) continue;
    yield* member(source, guarded, options, report);
  }
  report.warnings.push(...guard.allWarnings());
  report.outsideLinks = guard.outsideLinksKept;
  if (options.subtree && !guard.matched) throw new LifeboatError('not-found', `the item has no file or folder "${options.subtree}"`, 'list its content with "lifeboat ls SNAPSHOT ITEM"');
  yield tarEnd();
}

async function* member(source: TreeSource, { entry, outPath }: GuardedEntry, options: TreeTarOptions, report: TreeTarReport): AsyncGenerator<Buffer> {
  const type = entry.type as 'file' | 'dir' | 'symlink';
  yield tarHeader({ path: outPath, type, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtimeMs: entry.mtime, ...(entry.mtimeNs ? { mtimeNs: entry.mtimeNs } : {}), size: entry.size, ...(entry.link !== undefined ? { linkpath: entry.link } : {}) });
  if (type === 'dir') report.dirs++;
  else if (type === 'symlink') report.symlinks++;
  else {
    report.files++;
    let written = 0;
    const hash = options.fileHashes ? createHash('sha256') : undefined;
    for await (const chunk of source.file(entry)) {
      written += chunk.length;
      if (written > entry.size) break;
      hash?.update(chunk);
      options.onBytes?.(chunk.length);
      yield chunk;
    }
    if (written !== entry.size) {
      throw new LifeboatError('corrupt', `"${entry.path}" has ${written > entry.size ? 'more' : 'fewer'} bytes in the vault than its recorded size (${entry.size})`, 'run "lifeboat check --read-data"');
    }
    report.bytes += written;
    if (hash) options.fileHashes?.set(outPath, hash.digest('hex'));
    const pad = padding(written);
    if (pad > 0) yield Buffer.alloc(pad);
  }
}

/** An empty report to fill. */
export function emptyTarReport(): TreeTarReport {
  return { files: 0, dirs: 0, symlinks: 0, bytes: 0, outsideLinks: 0, warnings: [] };
}

/**
 * The archive of a tree item as a Readable, holding a shared vault lock for as long as it is
 * being read (released when it ends, fails or is destroyed).
 */
export function treeTarFromVault(vault: Vault, snapshot: Snapshot, item: SnapshotItem, options: TreeTarOptions, report: TreeTarReport): Readable {
  if (item.type !== 'tree') throw new LifeboatError('bad-input', `item "${item.name}" is a stream (a dump), not a file tree`, 'restore it with its database sink, or write it out with "lifeboat cat"');
  async function* locked(): AsyncGenerator<Buffer> {
    const lock = await vault.lock(false, 'restore', options.signal);
    // Decryption and verification run on worker threads, so this thread is free for SSH.
    const opener = vault.openers();
    try {
      await vault.refreshIndex();
      yield* treeTar(vaultTreeSource(vault, snapshot, item, options.signal, opener), options, report);
    } finally {
      await opener.close().catch(() => undefined);
      await lock.release();
    }
  }
  return Readable.from(locked(), { objectMode: false, highWaterMark: 4 * 1024 * 1024 });
}

/** The entries a restore would write (checked and re-rooted like the archive), with the guard's warnings. */
export async function plannedEntries(vault: Vault, snapshot: Snapshot, item: SnapshotItem, options: TreeGuardOptions & { signal?: AbortSignal }): Promise<{ entries: GuardedEntry[]; warnings: string[]; outsideLinks: number }> {
  if (item.type !== 'tree') throw new LifeboatError('bad-input', `item "${item.name}" is a stream (a dump), not a file tree`);
  const guard = new TreeGuard(options);
  const entries: GuardedEntry[] = [];
  await vault.withReadLock('restore-preview', async () => {
    for await (const entry of readTreeEntries(vault.readDeps(options.signal), snapshot, item)) {
      try {
        const g = guard.check(entry);
        if (g) entries.push(g);
      } catch (err) {
        throw refusalError(err);
      }
    }
  }, options.signal);
  if (options.subtree && !guard.matched) throw new LifeboatError('not-found', `the item has no file or folder "${options.subtree}"`, 'list its content with "lifeboat ls SNAPSHOT ITEM"');
  return { entries, warnings: guard.allWarnings(), outsideLinks: guard.outsideLinksKept };
}
