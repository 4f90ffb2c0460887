import { type Hash, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { LifeboatError } from '../api/errors';
import type { BlobOpener } from '../vault/crypto-pool';
import { type FilePiece, readTreeEntries, treeFilePieces } from '../vault/item-reader';
import type { Snapshot, SnapshotItem, TreeEntry } from '../vault/snapshots';
import { BlobRing } from '../vault/blob-ring';
import { LocalStorage } from '../vault/storage';
import type { Vault } from '../vault/vault';
import type { RootAttributes } from './remote-tree';
import { type ReadAheadLimits, type Step, readAhead } from './read-ahead';
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
  /** A file's content as pieces in order, each read when the archive's read-ahead reaches it. */
  pieces(entry: TreeEntry): Iterable<FilePiece>;
}

/**
 * A tree item of a snapshot as a TreeSource; call inside a read lock (see `treeTarFromVault`).
 * With an opener, file chunks are decrypted and verified on its worker threads.
 */
export function vaultTreeSource(vault: Vault, snapshot: Snapshot, item: SnapshotItem, signal?: AbortSignal, opener?: BlobOpener): TreeSource {
  const deps = vault.readDeps(signal, opener);
  return {
    entries: () => readTreeEntries(vault.readDeps(signal), snapshot, item),
    pieces: (entry) => treeFilePieces(deps, entry, `item "${item.name}"`),
  };
}

/** File chunks read ahead of the archive's output: at most this many bytes and reads (plus one chunk). */
const AHEAD: ReadAheadLimits = { bytes: 24 * 2 ** 20, reads: 64, steps: 4096 };

/** What the archive does when a step's turn comes, besides writing its bytes. */
type Mark = { readonly start: GuardedEntry } | { readonly piece: true } | { readonly end: GuardedEntry };

/**
 * The archive as steps: headers, file pieces (read ahead by `readAhead`, across files) and a
 * marker at the end of each file. Every entry is checked by the guard before any step of it.
 */
async function* steps(source: TreeSource, guard: TreeGuard, options: TreeTarOptions): AsyncGenerator<Step<Mark>> {
  const root = options.root;
  if (root) yield { bytes: tarHeader({ path: '.', type: 'dir', mode: root.mode, uid: root.uid, gid: root.gid, mtimeMs: root.mtimeMs ?? 0, ...(root.mtimeNs ? { mtimeNs: root.mtimeNs } : {}), size: 0 }) };
  for await (const entry of source.entries()) {
    if (options.signal?.aborted) throw new LifeboatError('cancelled', 'the restore was cancelled');
    let guarded: GuardedEntry | undefined;
    try {
      guarded = guard.check(entry);
    } catch (err) {
      throw refusalError(err);
    }
    if (!guarded) continue;
    const { outPath } = guarded;
    yield { bytes: tarHeader({ path: outPath, type: entry.type as 'file' | 'dir' | 'symlink', mode: entry.mode, uid: entry.uid, gid: entry.gid, mtimeMs: entry.mtime, ...(entry.mtimeNs ? { mtimeNs: entry.mtimeNs } : {}), size: entry.size, ...(entry.link !== undefined ? { linkpath: entry.link } : {}) }), meta: { start: guarded } };
    if (entry.type !== 'file') continue;
    for (const piece of source.pieces(entry)) yield { length: piece.length, read: () => piece.read(), ...(piece.release ? { release: piece.release } : {}), meta: { piece: true } };
    yield { meta: { end: guarded } };
  }
}

/**
 * Generates a POSIX tar archive of a tree, entry by entry, every entry checked by a TreeGuard
 * before its header is produced: the archive can only contain relative, normalised paths,
 * directories, regular files and symlinks, nothing below a symlink, no duplicates. A file
 * whose content does not add up to its recorded size stops the archive (`corrupt`), so the
 * stream can never desynchronise. File chunks are read ahead (across files) within a fixed
 * budget (`AHEAD`), so memory stays bounded and the vault's workers never wait for the writer.
 */
export async function* treeTar(source: TreeSource, options: TreeTarOptions, report: TreeTarReport): AsyncGenerator<Buffer> {
  const guard = new TreeGuard(options);
  let file: { entry: TreeEntry; written: number; hash?: Hash } | undefined;
  for await (const step of readAhead(steps(source, guard, options), AHEAD)) {
    const mark = step.meta;
    if (mark && 'start' in mark) {
      const type = mark.start.entry.type;
      if (type === 'dir') report.dirs++;
      else if (type === 'symlink') report.symlinks++;
      else file = { entry: mark.start.entry, written: 0, ...(options.fileHashes ? { hash: createHash('sha256') } : {}) };
    }
    if (step.bytes) yield step.bytes;
    else if (step.data && file) {
      const chunk = await step.data;
      file.written += chunk.length;
      if (file.written > file.entry.size) throw sizeMismatch(file.entry, 'more');
      file.hash?.update(chunk);
      options.onBytes?.(chunk.length);
      try {
        yield chunk;
      } finally {
        step.release?.(chunk);
      }
    } else if (mark && 'end' in mark && file) {
      if (file.written !== file.entry.size) throw sizeMismatch(file.entry, file.written > file.entry.size ? 'more' : 'fewer');
      report.files++;
      report.bytes += file.written;
      if (file.hash) options.fileHashes?.set(mark.end.outPath, file.hash.digest('hex'));
      const pad = padding(file.written);
      if (pad > 0) yield Buffer.alloc(pad);
      file = undefined;
    }
  }
  report.warnings.push(...guard.allWarnings());
  report.outsideLinks = guard.outsideLinksKept;
  if (options.subtree && !guard.matched) throw new LifeboatError('not-found', `the item has no file or folder "${options.subtree}"`, 'list its content with "lifeboat ls SNAPSHOT ITEM"');
  yield tarEnd();
}

function sizeMismatch(entry: TreeEntry, which: 'more' | 'fewer'): LifeboatError {
  return new LifeboatError('corrupt', `"${entry.path}" has ${which} bytes in the vault than its recorded size (${entry.size})`, 'run "lifeboat check --read-data"');
}

/** An empty report to fill. */
export function emptyTarReport(): TreeTarReport {
  return { files: 0, dirs: 0, symlinks: 0, bytes: 0, outsideLinks: 0, warnings: [] };
}

/** Whether the archive's chunks are the consumer's to keep, or lent until it asks for the next. */
type Lending = 'own' | 'lend';

function requireTree(item: SnapshotItem): void {
  if (item.type !== 'tree') throw new LifeboatError('bad-input', `item "${item.name}" is a stream (a dump), not a file tree`, 'restore it with its database sink, or write it out with "lifeboat cat"');
}

async function* lockedTar(vault: Vault, snapshot: Snapshot, item: SnapshotItem, options: TreeTarOptions, report: TreeTarReport, lending: Lending): AsyncGenerator<Buffer> {
  const lock = await vault.lock(false, 'restore', options.signal);
  // Decryption and verification run on worker threads, so this thread is free for SSH; lent
  // archives also read the packs there, straight into a shared ring (no buffer per chunk here).
  const ring = lending === 'lend' && vault.storage instanceof LocalStorage ? new BlobRing(vault.storage.root, vault.master) : undefined;
  const opener = ring ? undefined : vault.openers();
  try {
    await vault.refreshIndex();
    const source = vaultTreeSource(vault, snapshot, item, options.signal, opener);
    yield* treeTar(ring ? { ...source, pieces: (entry) => treeFilePieces({ ...vault.readDeps(options.signal), ring }, entry, `item "${item.name}"`) } : source, options, report);
  } finally {
    await ring?.close();
    await opener?.close().catch(() => undefined);
    await lock.release();
  }
}

/**
 * The archive of a tree item as a Readable, holding a shared vault lock for as long as it is
 * being read (released when it ends, fails or is destroyed).
 */
export function treeTarFromVault(vault: Vault, snapshot: Snapshot, item: SnapshotItem, options: TreeTarOptions, report: TreeTarReport): Readable {
  requireTree(item);
  return Readable.from(lockedTar(vault, snapshot, item, options, report, 'own'), { objectMode: false, highWaterMark: 4 * 1024 * 1024 });
}

/**
 * The same archive for a consumer that is done with each chunk before it asks for the next
 * (SSH writes, which copy every chunk into packets): file chunks are views of the vault
 * reader's shared ring and are reused once the next chunk is requested — never buffer them.
 * Holds the vault lock until the iteration ends or is stopped.
 */
export function lentTreeTar(vault: Vault, snapshot: Snapshot, item: SnapshotItem, options: TreeTarOptions, report: TreeTarReport): AsyncGenerator<Buffer> {
  requireTree(item);
  return lockedTar(vault, snapshot, item, options, report, 'lend');
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
