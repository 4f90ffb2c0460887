import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import type { RestoreContext, RestoreTarget } from '../../../src-main/restore/restore-sink';
import type { Snapshot, SnapshotItem } from '../../../src-main/vault/snapshots';
import type { Vault } from '../../../src-main/vault/vault';
import { labInfo } from '../../helpers/lab';
import { labUrl, makeService, tempHomes } from '../hosts/hosts-helpers';
import { docker, newVault, testJob } from '../sync/pull-helpers';

/** A lab connection as root and a fresh vault in a temp dir; `close` removes everything. */
export async function restoreLab(): Promise<{ conn: HostConnection; vault: Vault; dir: string; close(): Promise<void> }> {
  const homes = tempHomes();
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-restore-'));
  const service = makeService(homes);
  await service.add('lab', labUrl(), { identityFile: labInfo().ssh.identityFile, fingerprints: [labInfo().ssh.hostKeyFingerprint] });
  const conn = await service.open('lab', {});
  const vault = await newVault(join(dir, 'vault'));
  return {
    conn,
    vault,
    dir,
    async close() {
      await vault.close();
      conn.close();
      homes.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
