import { LifeboatError } from '../api/errors';
import { BlobIndex } from './blob-index';
import { BlobType, Dirs, hex, isHexId, packPath, shortId, throwIfAborted } from './format';
import { type PackRecord, addPacks, listIndexFiles, readIndexFile } from './index-files';
import { ordered, readMeta, type ReadDeps } from './item-reader';
import { listLocks } from './locks';
import { metaLines, streamChunkRefs } from './meta-stream';
import { type Snapshot, type SnapshotItem, listSnapshotIds, readSnapshot, treeEntrySchema } from './snapshots';
import type { Vault } from './vault';

/** One finding of `check`. */
export interface CheckProblem {
  readonly level: 'error' | 'warning';
  /** What is affected, e.g. `blob 3fa4…` or `snapshot 1a2b3c4d`. */
  readonly object: string;
  /** The file it lives in, relative to the vault. */
  readonly file?: string;
  readonly message: string;
}

/** The result of `check`; `ok` is false when there is any error. */
export interface CheckReport {
  readonly ok: boolean;
  readonly readData: boolean;
  readonly problems: CheckProblem[];
  readonly stats: { snapshots: number; indexFiles: number; packs: number; blobs: number; bytesRead: number };
}

/** Options of `checkVault`. */
export interface CheckOptions {
  readonly readData?: boolean;
  readonly signal?: AbortSignal;
  /** Bytes of pack data verified so far, out of the total (read-data only). */
  readonly onProgress?: (phase: string, done: number, total?: number) => void;
}

function problemOf(err: unknown, object: string, file?: string): CheckProblem {
  const message = err instanceof Error ? err.message : String(err);
  return { level: 'error', object, ...(file ? { file } : {}), message };
}

/**
 * Verifies the vault's structure (and with `readData` every byte of every blob). Problems are
 * collected rather than thrown, each naming the object and its file, so one damaged pack does
 * not hide another.
 */
export async function checkVault(vault: Vault, options: CheckOptions = {}): Promise<CheckReport> {
  // The lock only: check loads index files itself, so a damaged one is reported, not thrown.
  const lock = await vault.lock(false, 'check', options.signal);
  try {
    return await runCheck(vault, options);
  } finally {
    await lock.release();
  }
}

async function runCheck(vault: Vault, options: CheckOptions): Promise<CheckReport> {
  const { storage, master } = vault;
  const problems: CheckProblem[] = [];
  const error = (p: Omit<CheckProblem, 'level'>) => problems.push({ level: 'error', ...p });
  const warn = (p: Omit<CheckProblem, 'level'>) => problems.push({ level: 'warning', ...p });
  let bytesRead = 0;

  options.onProgress?.('index', 0);
  const index = new BlobIndex();
  const byPack = new Map<string, PackRecord['blobs'][number][]>();
  const indexFiles = await listIndexFiles(storage);
  for (const id of indexFiles) {
    try {
      const packs = await readIndexFile(storage, master, id);
      addPacks(index, packs);
      for (const p of packs) byPack.set(p.packId, [...(byPack.get(p.packId) ?? []), ...p.blobs]);
    } catch (err) {
      problems.push(problemOf(err, `index file ${shortId(id)}`, `${Dirs.index}/${id}`));
    }
  }

  options.onProgress?.('packs', 0, byPack.size);
  const onDisk = new Set<string>();
  for (const dir of await storage.list(Dirs.data)) for (const name of await storage.list(`${Dirs.data}/${dir}`)) if (isHexId(name) && name.startsWith(dir)) onDisk.add(name);
  const trailers: TrailerEntries = new Map();
  let done = 0;
  for (const [packId, entries] of byPack) {
    throwIfAborted(options.signal, 'check');
    options.onProgress?.('packs', done++, byPack.size);
    if (!onDisk.has(packId)) {
      error({ object: `pack ${shortId(packId)}`, file: packPath(packId), message: `missing: ${entries.length} indexed blobs are lost` });
      continue;
    }
    try {
      const { entries: actual } = await vault.packs.readTrailer(packId);
      trailers.set(packId, actual);
      const byCounter = new Map(actual.map((e) => [e.counter, e]));
      for (const e of entries) {
        const t = byCounter.get(e.counter);
        if (!t || !t.id.equals(e.id) || t.type !== e.type || t.offset !== e.offset || t.length !== e.length || t.rawLength !== e.rawLength) {
          error({ object: `blob ${hex(e.id)}`, file: packPath(packId), message: 'the index and the pack trailer disagree about this blob' });
        }
      }
    } catch (err) {
      problems.push(problemOf(err, `pack ${shortId(packId)}`, packPath(packId)));
    }
  }
  for (const packId of onDisk) if (!byPack.has(packId)) warn({ object: `pack ${shortId(packId)}`, file: packPath(packId), message: 'not in any index (left by an interrupted backup; prune removes it)' });

  options.onProgress?.('snapshots', 0);
  const deps: ReadDeps = { packs: vault.packs, index, ...(options.signal ? { signal: options.signal } : {}) };
  const snapshotIds = await listSnapshotIds(storage);
  for (const id of snapshotIds) {
    throwIfAborted(options.signal, 'check');
    let snapshot: Snapshot;
    try {
      snapshot = await readSnapshot(storage, master, id);
    } catch (err) {
      problems.push(problemOf(err, `snapshot ${shortId(id)}`, `${Dirs.snapshots}/${id}`));
      continue;
    }
    for (const item of snapshot.items) {
      try {
        await checkItem(deps, snapshot, item);
      } catch (err) {
        problems.push(problemOf(err, `snapshot ${shortId(id)} item "${item.name}"`, `${Dirs.snapshots}/${id}`));
      }
    }
  }

  if (options.readData) bytesRead = await readAllData(vault, trailers, options, problems);

  for (const lock of await listLocks(storage, master)) if (lock.stale) warn({ object: `lock ${shortId(lock.id)}`, file: `${Dirs.locks}/${lock.id}`, message: 'stale (its process is gone); the next writer removes it' });
  const tmp = await storage.list(Dirs.tmp);
  if (tmp.length > 0) warn({ object: 'tmp', file: Dirs.tmp, message: `${tmp.length} unfinished file(s) from an interrupted write; prune removes them` });

  return {
    ok: !problems.some((p) => p.level === 'error'),
    readData: options.readData ?? false,
    problems,
    stats: { snapshots: snapshotIds.length, indexFiles: indexFiles.length, packs: onDisk.size, blobs: index.size, bytesRead },
  };
}

type TrailerEntries = Map<string, { offset: number; length: number; type: number; id: Buffer; counter: number; rawLength: number }[]>;

/** `--read-data`: decrypts, decompresses and re-hashes every blob of every pack (on workers). */
async function readAllData(vault: Vault, trailers: TrailerEntries, options: CheckOptions, problems: CheckProblem[]): Promise<number> {
  const total = [...trailers.values()].reduce((n, list) => n + list.reduce((m, e) => m + e.length, 0), 0);
  let bytesRead = 0;
  const opener = vault.openers();
  try {
    for (const [packId, entries] of trailers) {
      const verify = async (e: (typeof entries)[number]) => {
        throwIfAborted(options.signal, 'check');
        try {
          const { bytes, key } = await vault.packs.readRange(packId, e.offset, e.length, `blob ${hex(e.id)}`);
          await opener.open(e.id, { packId, ...e }, key, bytes);
          return undefined;
        } catch (err) {
          return problemOf(err, `blob ${hex(e.id)}`, packPath(packId));
        } finally {
          bytesRead += e.length;
          options.onProgress?.('read-data', bytesRead, total);
        }
      };
      const list = (async function* () {
        yield* entries;
      })();
      for await (const failure of ordered(list, verify, 4)) if (failure) problems.push(failure);
    }
  } finally {
    await opener.close();
  }
  return bytesRead;
}

/** Checks that every blob an item names is indexed and that sizes and counts add up. */
async function checkItem(deps: ReadDeps, snapshot: Snapshot, item: SnapshotItem): Promise<void> {
  const who = `item "${item.name}" of snapshot ${shortId(snapshot.id)}`;
  const need = (id: Buffer, type: number) => {
    const loc = deps.index.get(id);
    if (!loc) throw new LifeboatError('not-found', `blob ${hex(id)} of ${who} is not in any index`);
    if (loc.type !== type) throw new LifeboatError('corrupt', `blob ${hex(id)} of ${who} has the wrong type`);
    return loc.rawLength;
  };
  let size = 0;
  let chunks = 0;
  if (item.type === 'stream') {
    for await (const ref of streamChunkRefs(readMeta(deps, snapshot, item), who)) {
      if (need(ref.id, BlobType.data) !== ref.length) throw new LifeboatError('corrupt', `blob ${hex(ref.id)} of ${who} has a different length than its listing`);
      size += ref.length;
      chunks++;
    }
  } else {
    for await (const line of metaLines(readMeta(deps, snapshot, item), who)) {
      const entry = treeEntrySchema.parse(JSON.parse(line));
      let fileSize = 0;
      for (const id of entry.chunks ?? []) {
        fileSize += need(Buffer.from(id, 'hex'), BlobType.data);
        chunks++;
      }
      if (entry.type === 'file') {
        if (fileSize !== entry.size) throw new LifeboatError('corrupt', `${who}: "${entry.path}" is ${entry.size} bytes but its chunks hold ${fileSize}`);
        size += entry.size;
      }
    }
  }
  if (size !== item.size || chunks !== item.chunks) throw new LifeboatError('corrupt', `${who}: holds ${size} bytes in ${chunks} chunks, the manifest says ${item.size} in ${item.chunks}`);
}
