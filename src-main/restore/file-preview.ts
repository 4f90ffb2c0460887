import { formatBytes } from '../api/format';
import type { ListedEntry } from '../sync/remote-listing';
import type { TreeEntry } from '../vault/snapshots';
import type { RestorePreview } from './restore-sink';

/** A snapshot entry at its path in the target. */
export interface PlannedEntry {
  readonly outPath: string;
  readonly entry: TreeEntry;
}

/** Counts and bytes of one kind of change. */
export interface ChangeCount {
  count: number;
  bytes: number;
}

/** One path whose snapshot and live versions differ (what differs, in words). */
export interface FileDifference {
  readonly path: string;
  readonly snapshot: string;
  readonly live: string;
}

/** What restoring a tree onto a live directory would do. */
export interface FilePlan {
  readonly create: ChangeCount;
  /** Paths present on both sides (replaced by the snapshot's version). */
  readonly overwrite: ChangeCount;
  /** Of those, how many differ from live (size, time, mode, owner, type or link). */
  readonly differ: ChangeCount;
  readonly delete: ChangeCount;
  readonly creates: string[];
  readonly overwrites: string[];
  readonly deletes: string[];
  readonly differences: FileDifference[];
}

/** How many paths each list keeps (the counts always cover everything). */
export const LIST_LIMIT = 500;

function describe(type: string, size: number, mtimeMs: number, mode: number, uid: number, gid: number, link?: string): string {
  const perms = (mode & 0o7777).toString(8).padStart(4, '0');
  const when = new Date(Math.floor(mtimeMs)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  if (type === 'symlink') return `link → ${link ?? ''}`;
  if (type === 'dir') return `dir ${perms} ${uid}:${gid}`;
  return `${type} ${formatBytes(size)} ${perms} ${uid}:${gid} ${when}`;
}

/** ms since the epoch from find's exact nanoseconds. */
function liveMs(l: ListedEntry): number {
  return Number(BigInt(l.mtimeNs) / 1_000_000n);
}

/** True when a live entry equals the snapshot's (dirs: mode and owner only; their times move with every change inside). */
export function sameAsLive(e: TreeEntry, l: ListedEntry): boolean {
  if (e.type !== l.type) return false;
  if ((e.mode & 0o7777) !== (l.mode & 0o7777) || e.uid !== l.uid || e.gid !== l.gid) return false;
  if (e.type === 'symlink') return (e.link ?? '') === (l.linkTarget ?? '');
  if (e.type === 'dir') return true;
  return e.size === l.size && Math.floor(e.mtime) === liveMs(l);
}

function add(list: string[], count: ChangeCount, path: string, bytes: number): void {
  count.count++;
  count.bytes += bytes;
  if (list.length < LIST_LIMIT) list.push(path);
}

/**
 * Compares the entries a restore would write with a listing of the live target. `replace`
 * means the target directory is replaced as a whole (live paths missing from the snapshot are
 * deleted); otherwise only the snapshot's paths are written and nothing is deleted.
 */
export function planFiles(planned: Iterable<PlannedEntry>, live: Iterable<ListedEntry>, replace: boolean): FilePlan {
  const liveByPath = new Map<string, ListedEntry>();
  for (const l of live) liveByPath.set(l.path, l);
  const plan: FilePlan = { create: { count: 0, bytes: 0 }, overwrite: { count: 0, bytes: 0 }, differ: { count: 0, bytes: 0 }, delete: { count: 0, bytes: 0 }, creates: [], overwrites: [], deletes: [], differences: [] };
  const seen = new Set<string>();
  for (const { outPath, entry } of planned) {
    seen.add(outPath);
    const bytes = entry.type === 'file' ? entry.size : 0;
    const l = liveByPath.get(outPath);
    if (!l) {
      add(plan.creates, plan.create, outPath, bytes);
      continue;
    }
    add(plan.overwrites, plan.overwrite, outPath, bytes);
    if (!sameAsLive(entry, l)) {
      plan.differ.count++;
      plan.differ.bytes += bytes;
      if (plan.differences.length < LIST_LIMIT) {
        plan.differences.push({
          path: outPath,
          snapshot: describe(entry.type, entry.size, entry.mtime, entry.mode, entry.uid, entry.gid, entry.link),
          live: describe(l.type, l.size, liveMs(l), l.mode, l.uid, l.gid, l.linkTarget),
        });
      }
    }
  }
  if (replace) {
    for (const l of liveByPath.values()) if (!seen.has(l.path)) add(plan.deletes, plan.delete, l.path, l.type === 'file' ? l.size : 0);
  }
  return plan;
}

function more(list: string[], total: number): string[] {
  return total > list.length ? [...list, `…and ${total - list.length} more`] : list;
}

/** The wizard's and `--dry-run`'s form of a plan. */
export function planPreview(plan: FilePlan, where: string, warnings: string[] = []): RestorePreview {
  const c = (n: ChangeCount, verb: string) => `${n.count} ${verb} (${formatBytes(n.bytes)})`;
  const parts = [c(plan.create, 'to create'), `${c(plan.overwrite, 'to overwrite')}, ${plan.differ.count} of them differ from live`, c(plan.delete, 'to delete')];
  return {
    summary: `${where}: ${parts.join('; ')}`,
    creates: more(plan.creates, plan.create.count),
    overwrites: more(plan.overwrites, plan.overwrite.count),
    deletes: more(plan.deletes, plan.delete.count),
    details: plan.differences.map((d) => ({ name: d.path, snapshot: d.snapshot, live: d.live, differs: true })),
    warnings,
  };
}
