import { BlobIndex } from './blob-index';
import { Dirs, SealedKind, isHexId, packPath, sealedPath, throwIfAborted } from './format';
import { type BlobEntry, type PackRecord, listIndexFiles, readIndexFile, writeIndexFile } from './index-files';
import { storeChunk } from './ingest';
import { type ReadDeps, readMeta } from './item-reader';
import { metaLines, streamChunkRefs } from './meta-stream';
import { PackSink } from './pack-sink';
import { type RetentionDecision, type RetentionPolicy, applyRetention } from './retention';
import { type Snapshot, listSnapshotIds, readSnapshot, treeEntrySchema } from './snapshots';
import type { Vault } from './vault';

/** Options of `pruneVault`. */
export interface PruneOptions {
  readonly policy: RetentionPolicy;
  /** Decide and report, change nothing. */
  readonly dryRun?: boolean;
  /** Bucket snapshots by UTC instead of local time (tests). */
  readonly utc?: boolean;
  /** Rewrite packs whose garbage is at least this fraction of their bytes (default 0.2). */
  readonly repackThreshold?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (phase: string, done: number, total?: number) => void;
}

/** What prune decided and (unless dry-run) did. */
export interface PruneResult {
  readonly dryRun: boolean;
  readonly decisions: RetentionDecision[];
  readonly removedSnapshots: string[];
  readonly packs: { total: number; deleted: number; repacked: number; kept: number };
  readonly bytes: { before: number; freed: number; repacked: number };
}

const LOC0 = { packId: '', type: 0, counter: 0, offset: 0, length: 0, rawLength: 0 };

/** Ids of every blob a snapshot needs: its meta blobs and the data blobs they list. */
async function markUsed(deps: ReadDeps, snapshot: Snapshot, used: BlobIndex): Promise<void> {
  for (const item of snapshot.items) {
    for (const id of item.meta) used.add(Buffer.from(id, 'hex'), LOC0);
    const who = `item "${item.name}" of snapshot ${snapshot.id.slice(0, 8)}`;
    if (item.type === 'stream') {
      for await (const ref of streamChunkRefs(readMeta(deps, snapshot, item), who)) used.add(ref.id, LOC0);
    } else {
      for await (const line of metaLines(readMeta(deps, snapshot, item), who)) {
        for (const id of treeEntrySchema.parse(JSON.parse(line)).chunks ?? []) used.add(Buffer.from(id, 'hex'), LOC0);
      }
    }
  }
}

/**
 * Applies a retention policy under the exclusive lock: forgets snapshots, then frees the space
 * only they used. Order (each step durable before the next): snapshot files, new packs for
 * live blobs of mostly-empty packs, the new index, old index files, unreferenced packs.
 */
export async function pruneVault(vault: Vault, options: PruneOptions): Promise<PruneResult> {
  const lock = await vault.lock(true, 'prune', options.signal);
  try {
    return await runPrune(vault, options, Date.now());
  } finally {
    await lock.release();
  }
}

async function runPrune(vault: Vault, options: PruneOptions, lockedAt: number): Promise<PruneResult> {
  const { storage, master } = vault;
  const progress = options.onProgress ?? (() => undefined);
  progress('plan', 0);
  const snapshots: Snapshot[] = [];
  for (const id of await listSnapshotIds(storage)) snapshots.push(await readSnapshot(storage, master, id));
  const decisions = applyRetention(snapshots, options.policy, { utc: options.utc ?? false });
  const removeIds = new Set(decisions.filter((d) => !d.keep).map((d) => d.id));

  const indexFiles = await listIndexFiles(storage);
  const index = new BlobIndex();
  const byPack = new Map<string, Map<number, BlobEntry>>();
  for (const file of indexFiles) {
    for (const p of await readIndexFile(storage, master, file)) {
      const entries = byPack.get(p.packId) ?? new Map<number, BlobEntry>();
      for (const b of p.blobs) {
        entries.set(b.counter, b);
        index.add(b.id, { packId: p.packId, ...b });
      }
      byPack.set(p.packId, entries);
    }
  }
  const used = new BlobIndex();
  const deps: ReadDeps = { packs: vault.packs, index, ...(options.signal ? { signal: options.signal } : {}) };
  for (const s of snapshots) {
    throwIfAborted(options.signal, 'prune');
    if (!removeIds.has(s.id)) await markUsed(deps, s, used);
  }

  const live = (packId: string, e: BlobEntry) => used.has(e.id) && index.get(e.id)?.packId === packId && index.get(e.id)?.counter === e.counter;
  const threshold = options.repackThreshold ?? 0.2;
  const toDelete: string[] = [];
  const toRepack: string[] = [];
  const toKeep: PackRecord[] = [];
  let before = 0;
  let freed = 0;
  let repackBytes = 0;
  for (const [packId, entries] of byPack) {
    let total = 0;
    let liveBytes = 0;
    for (const e of entries.values()) {
      total += e.length;
      if (live(packId, e)) liveBytes += e.length;
    }
    before += total;
    if (liveBytes === 0) {
      toDelete.push(packId);
      freed += total;
    } else if ((total - liveBytes) / total >= threshold) {
      toRepack.push(packId);
      freed += total - liveBytes;
      repackBytes += liveBytes;
    } else {
      toKeep.push({ packId, blobs: [...entries.values()] });
    }
  }
  const unindexed: string[] = [];
  for (const dir of await storage.list(Dirs.data)) {
    for (const name of await storage.list(`${Dirs.data}/${dir}`)) if (isHexId(name) && !byPack.has(name)) unindexed.push(name);
  }
  const result = (): PruneResult => ({
    dryRun: options.dryRun ?? false,
    decisions,
    removedSnapshots: [...removeIds],
    packs: { total: byPack.size + unindexed.length, deleted: toDelete.length + unindexed.length, repacked: toRepack.length, kept: toKeep.length },
    bytes: { before, freed, repacked: repackBytes },
  });
  if (options.dryRun) return result();

  // 1. Forget snapshots (the only step that loses anything, and the one the user asked for).
  await storage.remove([...removeIds].map((id) => sealedPath(SealedKind.snapshot, id)));
  vault.catalog?.remove(vault, [...removeIds]);

  // 2. Live blobs of mostly-empty packs move to new packs (decrypted, verified, sealed anew).
  const sink = new PackSink(storage, master, new BlobIndex());
  let moved = 0;
  try {
    for (const packId of toRepack) {
      for (const e of byPack.get(packId)?.values() ?? []) {
        throwIfAborted(options.signal, 'prune');
        if (!live(packId, e)) continue;
        const data = await vault.packs.readBlob(e.id, { packId, ...e });
        sink.reserve(e.id, data.length);
        await storeChunk(sink, e.type, e.id, data);
        moved += e.length;
        progress('repack', moved, repackBytes);
      }
    }
    // 3. The new index: repacked blobs (written by flush), then every kept pack.
    await sink.flush();
  } catch (err) {
    await sink.abort();
    throw err;
  }
  if (toKeep.length > 0) await writeIndexFile(storage, master, toKeep);

  // 4. Old index files, then 5. packs nothing references any more, and leftovers in tmp/.
  progress('delete', 0);
  await storage.remove(indexFiles.map((f) => `${Dirs.index}/${f}`));
  await storage.remove([...toDelete, ...toRepack, ...unindexed].map(packPath));
  // Leftovers of crashed writers predate our lock; newer temp files belong to processes that
  // are just now trying to take a lock (they will see ours and back off) and must stay.
  const leftovers: string[] = [];
  for (const name of await storage.list(Dirs.tmp)) {
    const at = await storage.modified(`${Dirs.tmp}/${name}`);
    if (at !== undefined && at < lockedAt - 2000) leftovers.push(`${Dirs.tmp}/${name}`);
  }
  await storage.remove(leftovers);
  await vault.refreshIndex();
  return result();
}
