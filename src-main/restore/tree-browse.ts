import { LifeboatError } from '../api/errors';
import { readTreeEntries } from '../vault/item-reader';
import { shortId } from '../vault/format';
import type { Snapshot, SnapshotItem, TreeEntry } from '../vault/snapshots';
import type { Vault } from '../vault/vault';
import { safeEntryPath } from './archive-policy';

/** A tree entry as listings show it (no chunk ids, no block hashes). */
export interface ListedTreeEntry {
  readonly path: string;
  readonly type: TreeEntry['type'];
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly link?: string;
  /** A folder the tree has no entry of its own for (only its contents were saved, e.g. secrets). */
  readonly implicit?: boolean;
}

/** A listing of a tree item or part of it. */
export interface TreeListing {
  readonly entries: ListedTreeEntry[];
  /** Entries that matched, including those beyond the limit. */
  readonly total: number;
  /** Bytes of the files that matched. */
  readonly bytes: number;
  readonly truncated: boolean;
}

/** The tree item named `name` in a snapshot, or a clear error (a stream item is not a folder). */
export function treeItemOf(vault: Vault, snapshot: Snapshot, name: string): SnapshotItem {
  const item = vault.item(snapshot, name);
  if (item.type !== 'tree') throw new LifeboatError('bad-input', `item "${name}" of snapshot ${shortId(snapshot.id)} is a stream (a dump), not a file tree`, `write it out whole with "lifeboat cat ${shortId(snapshot.id)} ${name}"`);
  return item;
}

function normalise(path: string | undefined): string {
  if (path === undefined) return '';
  try {
    return safeEntryPath(path.replace(/\/+$/, ''), undefined, { allowBackslash: true });
  } catch (err) {
    throw new LifeboatError('bad-input', `"${path.slice(0, 200)}" is not a path inside the item (${(err as Error).message})`, 'use a relative path as "lifeboat ls" prints it');
  }
}

/**
 * Lists a tree item, the folder `path` inside it (its direct children, or everything below it
 * with `recursive`), or the single entry at `path` when that is not a folder.
 */
export async function listTree(vault: Vault, snapshot: Snapshot, item: SnapshotItem, options: { path?: string; recursive?: boolean; limit?: number; signal?: AbortSignal } = {}): Promise<TreeListing> {
  const base = normalise(options.path);
  const limit = options.limit ?? 10_000;
  const entries: ListedTreeEntry[] = [];
  let total = 0;
  let bytes = 0;
  let self: TreeEntry | undefined;
  const shown = new Set<string>();
  const implicit = new Set<string>();
  const add = (e: ListedTreeEntry) => {
    total++;
    shown.add(e.path);
    if (e.type === 'file') bytes += e.size;
    if (entries.length < limit) entries.push(e);
  };
  await vault.withReadLock('list', async () => {
    for await (const e of readTreeEntries(vault.readDeps(options.signal), snapshot, item)) {
      if (e.path === base) self = e;
      const inside = base === '' || e.path.startsWith(`${base}/`);
      if (!inside) continue;
      const rest = base === '' ? e.path : e.path.slice(base.length + 1);
      if (!options.recursive && rest.includes('/')) {
        implicit.add(`${base === '' ? '' : `${base}/`}${rest.slice(0, rest.indexOf('/'))}`);
        continue;
      }
      add(listed(e));
    }
  }, options.signal);
  for (const path of implicit) if (!shown.has(path)) add({ path, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0, implicit: true });
  if (base !== '' && total === 0) {
    if (self) return { entries: [listed(self)], total: 1, bytes: self.type === 'file' ? self.size : 0, truncated: false };
    throw new LifeboatError('not-found', `item "${item.name}" of snapshot ${shortId(snapshot.id)} has no "${base}"`, `list it with "lifeboat ls ${shortId(snapshot.id)} ${item.name}"`);
  }
  return { entries, total, bytes, truncated: total > entries.length };
}

function listed(e: TreeEntry): ListedTreeEntry {
  return { path: e.path, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, size: e.size, mtime: e.mtime, ...(e.link !== undefined ? { link: e.link } : {}) };
}

/** The file entry at `path` of a tree item (call inside a read lock), or `not-found`/`bad-input`. */
export async function findTreeFile(vault: Vault, snapshot: Snapshot, item: SnapshotItem, path: string, signal?: AbortSignal): Promise<TreeEntry> {
  const wanted = normalise(path);
  for await (const e of readTreeEntries(vault.readDeps(signal), snapshot, item)) {
    if (e.path !== wanted) continue;
    if (e.type !== 'file') throw new LifeboatError('bad-input', `"${wanted}" in item "${item.name}" is a ${e.type === 'dir' ? 'folder' : e.type}, not a file`, e.type === 'dir' ? `list it with "lifeboat ls ${shortId(snapshot.id)} ${item.name} ${wanted}", or restore it with --to-dir` : 'only regular files can be written out');
    return e;
  }
  throw new LifeboatError('not-found', `item "${item.name}" of snapshot ${shortId(snapshot.id)} has no file "${wanted}"`, `list it with "lifeboat ls ${shortId(snapshot.id)} ${item.name}"`);
}

/** The content of one file of a tree item, verified, under a shared lock held while it is read. */
export async function* readTreePath(vault: Vault, snapshot: Snapshot, item: SnapshotItem, path: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const lock = await vault.lock(false, 'read', signal);
  try {
    await vault.refreshIndex();
    const entry = await findTreeFile(vault, snapshot, item, path, signal);
    let n = 0;
    for await (const chunk of vault.readTreeFile(entry, item.name, signal)) {
      n += chunk.length;
      yield chunk;
    }
    if (n !== entry.size) throw new LifeboatError('corrupt', `"${entry.path}" has ${n} bytes in the vault, its entry says ${entry.size}`, 'run "lifeboat check --read-data"');
  } finally {
    await lock.release();
  }
}
