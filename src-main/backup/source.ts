import type { Inventory, Item, ItemKind } from '../api/discovery-contract';
import type { HostConnection } from '../hosts/host-service';
import type { JobContext } from '../jobs/job-runner';
import type { Snapshot, SnapshotItem } from '../vault/snapshots';
import type { SnapshotWriter } from '../vault/snapshot-writer';
import type { Vault } from '../vault/vault';

/** The previous backup of the same item on the same host, for incremental pulls and anomaly checks. */
export interface PreviousItem {
  readonly snapshot: Snapshot;
  readonly item: SnapshotItem;
}

/** Everything a source needs to save one item. */
export interface SourceContext {
  /** Open connection: Docker API always; `exec`/`spawn` on SSH hosts. */
  readonly host: HostConnection;
  readonly inventory: Inventory;
  readonly item: Item;
  /** The run's snapshot; the source adds exactly one item named `item.id` (stream or tree). */
  readonly snapshot: SnapshotWriter;
  /** Read access to earlier snapshots (chunk reuse, block delta bases). */
  readonly vault: Vault;
  readonly previous?: PreviousItem;
  /** Progress (meter + report), log lines and cancellation (job.signal). */
  readonly job: JobContext;
}

/** What a source reports besides the stored item. */
export interface SourceResult {
  readonly stored: SnapshotItem;
  /** Shown on the snapshot and in the job summary (e.g. "dump is 40% of the last one"). */
  readonly warnings: string[];
  /** Bytes that crossed the wire (for incremental pulls; equals the stored size for dumps). */
  readonly bytesTransferred: number;
}

/**
 * One kind of thing Lifeboat can save. A source streams the item into the snapshot with no
 * temp files on the server, verifies it (exit codes, `pg_restore --list`, integrity checks),
 * and throws a LifeboatError when the copy cannot be trusted: an item that throws is left out
 * of the snapshot, never half-recorded.
 */
export interface BackupSource {
  readonly kinds: readonly ItemKind[];
  backup(ctx: SourceContext): Promise<SourceResult>;
}
