import { LifeboatError } from '../api/errors';
import { hex, parseHexId } from '../vault/format';
import { readTreeEntries } from '../vault/item-reader';
import type { ByteReader } from '../vault/ingest';
import type { FilesIngest } from '../vault/ingest-loop';
import type { ItemOptions, SnapshotWriter } from '../vault/snapshot-writer';
import type { Snapshot, SnapshotItem, TreeEntry } from '../vault/snapshots';
import type { Vault } from '../vault/vault';
import { type ShellAccess, canDelta } from './access-ladder';
import { defaultBlockSize } from './block-delta';
import { type Ingest, deltaFetch } from './delta-fetch';
import { TarFileStore } from './ingest-pipeline';
import { planPull } from './quick-check';
import type { ListedEntry } from './remote-listing';
import { WireCounter, listRemote, startTar } from './remote-tree';
import { type BodySink, type Flow, receiveTar } from './tar-ingest';
import { StreamHasher, encodeBlocks, listedToTree, treeToPrevious } from './tree-entries';

/** Phases a pull reports: the listing, the tar of changed files, the block deltas. */
export type PullPhase = 'listing' | 'transfer' | 'delta';

/** Collaborators of a pull; the source passes its own (tests drive it directly). */
export interface PullContext {
  readonly snapshot: SnapshotWriter;
  readonly vault: Vault;
  /** Item options for ingest: name, kind, signal, and `onBytes` (content bytes stored). */
  readonly item: ItemOptions;
  readonly previous?: { readonly snapshot: Snapshot; readonly item: SnapshotItem };
  readonly signal?: AbortSignal;
  /** A new phase starts, with its byte total when known. */
  readonly phase?: (phase: PullPhase, bytesTotal?: number) => void;
}

/** Tuning; the defaults suit databases and images over a home uplink. */
export interface PullOptions {
  /** Changed files at least this large go through the block delta (default 16 MiB). */
  readonly deltaThreshold?: number;
  readonly blockSize?: number;
  /** Tar rounds for files that change while being read (default 3). */
  readonly maxRounds?: number;
}

/** Numbers of one pull, for the item's info, the job summary and the benchmarks. */
export interface PullStats {
  files: number;
  reused: number;
  fetched: number;
  fetchedBytes: number;
  delta: number;
  deltaBlocks: number;
  deltaBlocksFetched: number;
  wireReceived: number;
  wireSent: number;
}

/** The tree's root directory itself (stored in the item's info: tree paths cannot be empty). */
export interface RootMeta {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs: number;
  readonly mtimeNs?: string;
}

/** A pulled tree: entries ready for `TreeWriter.addEntry` (content already stored), in order. */
export interface PulledTree {
  readonly entries: TreeEntry[];
  readonly root?: RootMeta;
  readonly warnings: string[];
  readonly stats: PullStats;
}

interface Stored {
  readonly chunks: string[];
  readonly size: number;
  readonly blocks?: TreeEntry['blocks'];
  /** The listing entry the content belongs to (a newer one when it was fetched again). */
  readonly listed?: ListedEntry;
}

/** Files at least this large keep block hashes and use the delta when they change. */
export const defaultDeltaThreshold = 16 * 1024 * 1024;

/** Stores streams through the snapshot writer (no item is open until the tree is written). */
export function ingestInto(ctx: PullContext): Ingest {
  return async (source) => {
    const chunks: string[] = [];
    const size = await ctx.snapshot.ingest(source, ctx.item, (id) => chunks.push(hex(id)));
    return { chunks, size };
  };
}

/**
 * How a tar member's body is stored: resolves once the body has been read (its memory is free
 * and the tar can move on), with the promise of what was stored. Through one ingest loop for
 * the whole tar (`loopIngest`) reading ends long before storing does.
 */
export type MemberIngest = (body: ByteReader) => Promise<{ readonly stored: Promise<{ chunks: string[]; size: number }> }>;

/** A member stored by its own ingest (archive pulls): read and stored are one wait. */
export function wholeIngest(ingest: Ingest): MemberIngest {
  return async (body) => {
    const stored = await ingest(body);
    return { stored: Promise.resolve(stored) };
  };
}

/** Members stored back to back through one ingest loop (the tar of a tree pull). */
export function loopIngest(files: FilesIngest): MemberIngest {
  return async (body) => {
    const chunks: string[] = [];
    const handle = files.add(body, (id) => chunks.push(hex(id)));
    await handle.read;
    return { stored: handle.done.then((size) => ({ chunks, size })) };
  };
}

/**
 * Stores a tar member's body through `files` (held and stored in the background when small,
 * streamed when large), with block hashes when it is large enough for a later delta.
 */
export function storeMember(files: TarFileStore, ingest: MemberIngest, size: number, flow: Flow, threshold: number, blockSize: number): { sink: BodySink; done: Promise<Stored> } {
  const unwrap = <T>(started: Promise<{ later: Promise<T> }>): Promise<T> => {
    const done = started.then((r) => r.later);
    done.catch(() => undefined);
    return done;
  };
  if (size < threshold) {
    const { sink, done } = files.file(size, flow, async (body) => ({ later: (await ingest(body)).stored }));
    return { sink, done: unwrap(done) };
  }
  const hasher = new StreamHasher(blockSize);
  const store = async (body: ByteReader): Promise<{ later: Promise<Stored> }> => {
    const { stored } = await ingest(body);
    const blocks = { size: blockSize, sha256: encodeBlocks(hasher.digest().blocks) };
    return { later: stored.then((s) => ({ ...s, blocks })) };
  };
  const { sink, done } = files.file(size, flow, store, (chunk) => hasher.update(chunk));
  return { sink, done: unwrap(done) };
}

async function previousEntries(ctx: PullContext): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const prev = ctx.previous;
  if (!prev || prev.item.type !== 'tree') return out;
  for await (const e of readTreeEntries(ctx.vault.readDeps(ctx.signal), prev.snapshot, prev.item)) out.set(e.path, e);
  return out;
}

/** True when every chunk of a stored file is still in the vault and the lengths add up. */
function reusable(snapshot: SnapshotWriter, entry: TreeEntry): boolean {
  let total = 0;
  for (const id of entry.chunks ?? []) {
    const length = snapshot.blobLength(parseHexId(id, entry.path));
    if (length === undefined) return false;
    total += length;
  }
  return total === entry.size;
}

function emptyStats(): PullStats {
  return { files: 0, reused: 0, fetched: 0, fetchedBytes: 0, delta: 0, deltaBlocks: 0, deltaBlocksFetched: 0, wireReceived: 0, wireSent: 0 };
}

interface RoundResult {
  readonly got: Map<string, Stored & { read: number }>;
  readonly suspicious: boolean;
}

async function tarRound(access: ShellAccess, files: readonly ListedEntry[], openFiles: () => FilesIngest, wire: WireCounter, options: Required<PullOptions>, warnings: string[], signal?: AbortSignal): Promise<RoundResult> {
  const want = new Set(files.map((f) => f.path));
  const pending = new Map<string, Promise<Stored & { read: number }>>();
  // One ingest loop for the whole tar: files back to back, a forced cut at each file's end;
  // every body streams into it as it arrives (nothing is held until complete).
  const store = new TarFileStore(0);
  const proc = await startTar(access, files.map((f) => f.path), wire, signal, files.reduce((n, f) => n + f.size, 0));
  const loop = openFiles();
  const ingest = loopIngest(loop);
  try {
    await receiveTar(
      proc.stdout,
      (m, flow) => {
        const target = m.linkpath !== undefined ? pending.get(m.linkpath) : undefined;
        if (!want.has(m.path)) {
          warnings.push(`${m.path}: tar sent a file that was not asked for; ignored`);
        } else if (m.type === 'file') {
          const read = m.size;
          const { sink, done } = storeMember(store, ingest, m.size, flow, options.deltaThreshold, options.blockSize);
          const stored = done.then((s) => ({ ...s, read }));
          stored.catch(() => undefined);
          pending.set(m.path, stored);
          return sink;
        } else if (m.type === 'hardlink' && target) {
          pending.set(m.path, target);
        } else {
          warnings.push(`${m.path}: became a ${m.type} while being read; left out this time`);
        }
        return undefined;
      },
      { ...(signal ? { signal } : {}), onBytes: (n) => (wire.received += n) },
    );
    await store.drain();
    await loop.close();
  } catch (err) {
    await proc.kill();
    await store.drain().catch(() => undefined);
    await loop.abort(err);
    throw err;
  }
  const got = new Map<string, Stored & { read: number }>();
  for (const [path, p] of pending) got.set(path, await p);
  const exit = await proc.done;
  if (signal?.aborted) throw new LifeboatError('cancelled', 'the transfer was cancelled');
  if (exit.code !== 0 && exit.code !== 1) {
    throw new LifeboatError('remote-failed', `tar on the server failed (exit ${exit.code ?? exit.signal}): ${exit.stderr.slice(-300)}`, 'check the server (disk, memory, permissions) and run the backup again');
  }
  return { got, suspicious: exit.code !== 0 || exit.stderr.trim() !== '' };
}

/**
 * Fetches files with tar, in rounds: when tar reports trouble (a file changed, shrank or
 * vanished while being read), a fresh listing shows which files moved on since they were
 * listed; those are fetched again. After the last round a file that kept changing is kept
 * with a warning (a growing log is still a valid prefix), unless it shrank below what tar
 * read (tar pads with zeros): then it is left out with a warning, never stored padded.
 */
async function fetchByTar(access: ShellAccess, files: ListedEntry[], results: Map<string, Stored>, openFiles: () => FilesIngest, wire: WireCounter, options: Required<PullOptions>, warnings: string[], signal?: AbortSignal): Promise<void> {
  let pending = files;
  for (let round = 1; pending.length > 0; round++) {
    const { got, suspicious } = await tarRound(access, pending, openFiles, wire, options, warnings, signal);
    for (const f of pending) {
      const s = got.get(f.path);
      if (s) results.set(f.path, { ...s, listed: f });
    }
    if (!suspicious) {
      for (const f of pending) if (!got.has(f.path)) warnings.push(`${f.path}: vanished before it could be read; left out`);
      return;
    }
    const now = new Map((await listRemote(access, wire, signal)).entries.map((e) => [e.path, e]));
    const next: ListedEntry[] = [];
    const last = round >= options.maxRounds;
    for (const f of pending) {
      const cur = now.get(f.path);
      const s = got.get(f.path);
      if (!s) {
        if (cur?.type === 'file' && !last) next.push(cur);
        else warnings.push(`${f.path}: vanished before it could be read; left out`);
        continue;
      }
      // Gone or replaced after it was read, or untouched since the listing: the copy is consistent.
      if (!cur || cur.type !== 'file' || (cur.size === f.size && cur.mtimeNs === f.mtimeNs)) continue;
      if (!last) {
        results.delete(f.path);
        next.push(cur);
      } else if (cur.size < s.read) {
        results.delete(f.path);
        warnings.push(`${f.path}: kept shrinking while being read; left out this time`);
      } else {
        warnings.push(`${f.path}: kept changing while being read; the copy may be inconsistent`);
      }
    }
    pending = next;
  }
}

/**
 * The rsync-style pull of a tree through a shell next to it: one listing, the quick check
 * against the previous snapshot (unchanged files reuse their chunks and never travel), one
 * streamed tar of new and changed files, and block deltas for large changed files. Content
 * goes into the vault as it arrives; the entries come back in listing order for the caller
 * to write as one tree item.
 */
export async function pullTree(access: ShellAccess, ctx: PullContext, tuning: PullOptions = {}): Promise<PulledTree> {
  const options: Required<PullOptions> = { deltaThreshold: tuning.deltaThreshold ?? defaultDeltaThreshold, blockSize: tuning.blockSize ?? defaultBlockSize, maxRounds: tuning.maxRounds ?? 3 };
  const { signal } = ctx;
  const wire = new WireCounter();
  const stats = emptyStats();
  const ingest = ingestInto(ctx);
  ctx.phase?.('listing');
  const listing = await listRemote(access, wire, signal);
  const warnings = [...listing.warnings];
  const before = await previousEntries(ctx);
  const plan = planPull(listing.entries, [...before.values()].map(treeToPrevious), { deltaThreshold: options.deltaThreshold });

  const results = new Map<string, Stored>();
  const toFetch = new Set(plan.fetch.map((e) => e.path));
  for (const e of plan.reuse) {
    const old = before.get(e.path) as TreeEntry;
    if (reusable(ctx.snapshot, old)) results.set(e.path, { chunks: old.chunks ?? [], size: old.size, ...(old.blocks ? { blocks: old.blocks } : {}) });
    else toFetch.add(e.path);
  }
  const deltas: { entry: ListedEntry; previous: TreeEntry }[] = [];
  for (const d of plan.delta) {
    const old = before.get(d.current.path) as TreeEntry;
    if (canDelta(access.tools) && reusable(ctx.snapshot, old)) deltas.push({ entry: d.current, previous: old });
    else toFetch.add(d.current.path);
  }
  const fetchList = listing.entries.filter((e) => toFetch.has(e.path));
  stats.files = listing.entries.filter((e) => e.type === 'file').length;
  stats.reused = results.size;

  ctx.phase?.('transfer', fetchList.reduce((n, e) => n + e.size, 0));
  if (fetchList.length > 0) await fetchByTar(access, fetchList, results, () => ctx.snapshot.ingestFiles(ctx.item), wire, options, warnings, signal);
  stats.fetched = fetchList.filter((e) => results.has(e.path)).length;
  stats.fetchedBytes = fetchList.reduce((n, e) => n + (results.get(e.path)?.size ?? 0), 0);

  ctx.phase?.('delta', deltas.reduce((n, d) => n + d.entry.size, 0));
  for (const d of deltas) {
    const out = await deltaFetch({ access, vault: ctx.vault, wire, ingest, path: d.entry.path, previous: d.previous, blockSize: options.blockSize, listed: d.entry, ...(signal ? { signal } : {}) });
    if (!out) {
      warnings.push(`${d.entry.path}: vanished before it could be read; left out`);
      continue;
    }
    if (out.warning) warnings.push(out.warning);
    if (out.how === 'delta') stats.delta++;
    else stats.fetched++;
    stats.deltaBlocks += out.blocksTotal;
    stats.deltaBlocksFetched += out.blocksFetched;
    results.set(d.entry.path, { chunks: out.chunks, size: out.size, blocks: { size: options.blockSize, sha256: encodeBlocks(out.blocks) }, listed: d.entry });
  }

  const entries: TreeEntry[] = [];
  for (const e of listing.entries) {
    if (e.type !== 'file') {
      entries.push(listedToTree(e));
      continue;
    }
    const r = results.get(e.path);
    if (!r) continue;
    const blocks = r.size >= options.deltaThreshold ? r.blocks : undefined;
    entries.push({ ...listedToTree(r.listed ?? e), size: r.size, chunks: r.chunks, ...(blocks ? { blocks } : {}) });
  }
  stats.wireReceived = wire.received;
  stats.wireSent = wire.sent;
  const root = listing.root ? { mode: listing.root.mode, uid: listing.root.uid, gid: listing.root.gid, mtimeMs: Number(BigInt(listing.root.mtimeNs) / 1_000_000n), mtimeNs: listing.root.mtimeNs } : undefined;
  return { entries, ...(root ? { root } : {}), warnings, stats };
}
