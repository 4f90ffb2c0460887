import type { Inventory, Item } from '../api/discovery-contract';
import { posix } from 'node:path';
import { secretsSource } from '../backup/secrets-source';
import { createVolumeSource } from '../backup/volume-source';
import type { HostConnection } from '../hosts/host-service';
import { shortId } from '../vault/format';
import type { Snapshot } from '../vault/snapshots';
import type { Vault } from '../vault/vault';
import type { RestoreContext } from './restore-sink';

function label(ctx: RestoreContext): string {
  return `before restoring ${ctx.item.name} from ${shortId(ctx.snapshot.id)}`;
}

/** Commits one tree item written by `fill` as a snapshot tagged `safety`, or leaves nothing. */
async function safetyWrite(vault: Vault, host: string, labelText: string, signal: AbortSignal, fill: (writer: Awaited<ReturnType<Vault['createSnapshot']>>) => Promise<void>): Promise<Snapshot> {
  const writer = await vault.createSnapshot({ host, tags: ['safety'], label: labelText }, signal);
  try {
    await fill(writer);
    return await writer.commit();
  } catch (err) {
    writer.abandonItem();
    await writer.abort();
    throw err;
  }
}

/**
 * Saves a volume or bind mount that a restore is about to replace, with the backup's own
 * volume source (rsync-style pull): files unchanged since the snapshot being restored reuse
 * its chunks, so only what changed since then crosses the wire. The result is a snapshot
 * tagged `safety` holding one item with the restored item's name; the restore goes ahead only
 * once it is durable.
 */
export async function safetySnapshotOfTree(ctx: RestoreContext, host: HostConnection, target: { volume: string } | { path: string }): Promise<Snapshot> {
  const { stack, kind } = { stack: ctx.item.name.split('/')[0] ?? '_', kind: 'volume' in target ? ('volume' as const) : ('bind' as const) };
  const name = 'volume' in target ? target.volume : target.path;
  const item: Item = { id: ctx.item.name, stack, kind, name, ...('volume' in target ? { volume: target.volume } : { path: target.path }), covered: false, secret: false, notes: [] };
  const previous = ctx.item.type === 'tree' && ctx.item.kind === kind ? { snapshot: ctx.snapshot, item: ctx.item } : undefined;
  return safetyWrite(ctx.vault, host.host.name, label(ctx), ctx.job.signal, async (snapshot) => {
    await createVolumeSource().backup({ host, inventory: {} as Inventory, item, snapshot, vault: ctx.vault, ...(previous ? { previous } : {}), job: ctx.job });
  });
}

/**
 * Saves single files (secrets) a restore is about to overwrite, with the backup's own secrets
 * source (one tar as root): a snapshot tagged `safety` holding one tree item with the restored
 * item's name, paths relative to `/`, modes, owners and times.
 */
export async function safetySnapshotOfFiles(ctx: RestoreContext, host: HostConnection, root: string, members: readonly string[]): Promise<Snapshot> {
  const files = members.map((m) => posix.join(root, m));
  const item: Item = { id: ctx.item.name, stack: ctx.item.name.split('/')[0] ?? '_', kind: 'secrets', name: ctx.item.name, files, covered: false, secret: true, notes: [] };
  return safetyWrite(ctx.vault, host.host.name, label(ctx), ctx.job.signal, async (snapshot) => {
    await secretsSource.backup({ host, inventory: {} as Inventory, item, snapshot, vault: ctx.vault, job: ctx.job });
  });
}
