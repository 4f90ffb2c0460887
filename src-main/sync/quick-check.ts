import type { ListedEntry } from './remote-listing';

/**
 * What the previous snapshot knows of a path: its listing fields (content is referenced
 * elsewhere). `mtimePrecision: 'ms'` marks an entry whose stored time is whole milliseconds
 * (no exact nanoseconds recorded): it is then compared at that precision.
 */
export type PreviousEntry = ListedEntry & { readonly mtimePrecision?: 'ns' | 'ms' };

/**
 * True when a listed mtime equals the stored one at the stored precision. Comparing exact
 * nanoseconds with milliseconds would never match and would silently re-transfer everything.
 */
export function sameMtime(previous: PreviousEntry, current: ListedEntry): boolean {
  if (previous.mtimePrecision !== 'ms') return previous.mtimeNs === current.mtimeNs;
  return BigInt(previous.mtimeNs) / 1_000_000n === BigInt(current.mtimeNs) / 1_000_000n;
}

/** The decision for one regular file. */
export type FileDecision = 'reuse' | 'fetch' | 'delta';

/** The plan of a pull: which files travel, which reuse the previous snapshot's content. */
export interface PullPlan {
  /** Files whose content is taken from the previous snapshot (size and mtime equal). */
  readonly reuse: ListedEntry[];
  /** New or changed files fetched whole in one tar stream. */
  readonly fetch: ListedEntry[];
  /** Large changed files fetched by block delta against their previous version. */
  readonly delta: Array<{ current: ListedEntry; previous: PreviousEntry }>;
  /** Everything that is not a regular file: stored from the listing alone. */
  readonly metadataOnly: ListedEntry[];
  /** Paths present before and gone now. */
  readonly deleted: string[];
  readonly bytesToFetch: number;
}

/** Tuning of the plan; the defaults suit databases and images over a home uplink. */
export interface QuickCheckOptions {
  /** Changed files at least this large use the block delta (default 16 MiB). */
  readonly deltaThreshold?: number;
}

/**
 * rsync's quick check: a regular file whose type, size and mtime match the previous snapshot
 * is unchanged and is never transferred; its metadata (mode, owner) still comes from the new
 * listing so a chmod shows up without moving content.
 */
export function planPull(current: Iterable<ListedEntry>, previous: Iterable<PreviousEntry>, options: QuickCheckOptions = {}): PullPlan {
  const threshold = options.deltaThreshold ?? 16 * 1024 * 1024;
  const before = new Map<string, PreviousEntry>();
  for (const entry of previous) before.set(entry.path, entry);
  const reuse: ListedEntry[] = [];
  const fetch: ListedEntry[] = [];
  const delta: PullPlan['delta'] = [];
  const metadataOnly: ListedEntry[] = [];
  const seen = new Set<string>();
  let bytesToFetch = 0;
  for (const entry of current) {
    seen.add(entry.path);
    if (entry.type !== 'file') {
      metadataOnly.push(entry);
      continue;
    }
    const old = before.get(entry.path);
    if (old && old.type === 'file' && old.size === entry.size && sameMtime(old, entry)) {
      reuse.push(entry);
    } else if (old && old.type === 'file' && entry.size >= threshold && old.size > 0) {
      delta.push({ current: entry, previous: old });
    } else {
      fetch.push(entry);
      bytesToFetch += entry.size;
    }
  }
  const deleted = [...before.keys()].filter((path) => !seen.has(path));
  return { reuse, fetch, delta, metadataOnly, deleted, bytesToFetch };
}
