import type { HostConnection } from '../../../src-main/hosts/host-service';
import type { RestoreContext, RestoreTarget } from '../../../src-main/restore/restore-sink';
import type { Snapshot, SnapshotItem } from '../../../src-main/vault/snapshots';
import type { Vault } from '../../../src-main/vault/vault';
import { type LabSession, docker, openLabSession, testJob } from '../../helpers/volume-pull';

/** A lab connection as root and a fresh vault in a temp dir; `close` removes everything. */
export function restoreLab(): Promise<LabSession> {
  return openLabSession('restore');
}

/** A restore context for a sink called directly. */
export function restoreCtx(conn: HostConnection | undefined, vault: Vault, snapshot: Snapshot, item: SnapshotItem, target: RestoreTarget, signal?: AbortSignal): RestoreContext & { job: ReturnType<typeof testJob> } {
  return { ...(conn ? { host: conn } : {}), vault, snapshot, item, target, job: testJob(signal) };
}

/** The host directory of a volume. */
export function mountpointOf(volume: string): string {
  return docker('volume', 'inspect', volume, '--format', '{{.Mountpoint}}');
}

/** Removes lab volumes by name, ignoring ones already gone. */
export function removeVolumes(...names: string[]): void {
  for (const n of names) {
    try {
      docker('volume', 'rm', '-f', n);
    } catch {
      /* already gone */
    }
  }
}
