import type { DrillReport } from '../api/restore-contract';
import type { HostConnection } from '../hosts/host-service';
import type { JobContext } from '../jobs/job-runner';
import type { Snapshot, SnapshotItem } from '../vault/snapshots';
import type { Vault } from '../vault/vault';

/** Where a restore goes; the default for each kind is the safe one (a new database or volume). */
export interface RestoreTarget {
  readonly mode: 'new-database' | 'in-place' | 'new-volume' | 'path' | 'local-dir';
  readonly database?: string;
  readonly volume?: string;
  /** Path on the host (bind mounts) or inside the item (`ls`/`cat` subtree selection). */
  readonly path?: string;
  /** Directory on this machine (files to the laptop). */
  readonly localDir?: string;
  /** Host to restore to, when not the one the snapshot came from. */
  readonly host?: string;
  /** Container to restore into (databases), when not the original one. */
  readonly container?: string;
  /** Only this file or subtree of a tree item. */
  readonly subtree?: string;
}

/** Everything a sink needs to restore (or preview restoring) one item. */
export interface RestoreContext {
  /** Open connection to the target host; absent for restores to this machine. */
  readonly host?: HostConnection;
  readonly vault: Vault;
  readonly snapshot: Snapshot;
  readonly item: SnapshotItem;
  readonly target: RestoreTarget;
  readonly job: JobContext;
}

/** What a restore would do, for `--dry-run` and the wizard's confirmation step. */
export interface RestorePreview {
  readonly summary: string;
  readonly creates: string[];
  readonly overwrites: string[];
  readonly deletes: string[];
  /** Per-file or per-table details: counts, sizes, which differ from live. */
  readonly details: Array<{ name: string; snapshot?: string; live?: string; differs: boolean }>;
  readonly warnings: string[];
}

/** What a finished restore did. */
export interface RestoreReport {
  readonly summary: string;
  /** Where the data now is (database name, volume, path). */
  readonly location: string;
  /** The safety copy taken before an in-place restore, if any. */
  readonly safetyCopy?: string;
  readonly warnings: string[];
}

/**
 * Puts one kind of item back. `restore` must never make things worse: in place it takes a
 * safety copy first and rolls back to it on any failure; unpacking goes through
 * safe-extract.ts into fresh staging.
 */
export interface RestoreSink {
  readonly kinds: readonly string[];
  /** The mode used when the request names none; the safe one for the kind (default `new-database`). */
  readonly defaultMode?: RestoreTarget['mode'];
  preview(ctx: RestoreContext): Promise<RestorePreview>;
  restore(ctx: RestoreContext): Promise<RestoreReport>;
  /** Test-restores into a scratch place, compares, removes the scratch (always); no report store here. */
  drill?(ctx: DrillContext): Promise<DrillOutcome>;
}

/** What a drill gets: the host the item came from (or `--host`), the vault and the item. */
export interface DrillContext {
  readonly host: HostConnection;
  readonly vault: Vault;
  readonly snapshot: Snapshot;
  readonly item: SnapshotItem;
  readonly job: JobContext;
}

/** A drill's findings; the runner adds id, time, snapshot, item, host and duration. */
export type DrillOutcome = Omit<DrillReport, 'id' | 'time' | 'snapshot' | 'item' | 'kind' | 'host' | 'seconds'>;

/** Every restore sink; each kind module appends its own. */
export const restoreSinks: RestoreSink[] = [];

/** The sink for a snapshot item's kind, if any. */
export function sinkFor(kind: string): RestoreSink | undefined {
  return restoreSinks.find((s) => s.kinds.includes(kind));
}
