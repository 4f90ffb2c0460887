import type { Inventory, Item } from '../api/discovery-contract';
import { LifeboatError } from '../api/errors';
import { createVolumeSource } from '../backup/volume-source';
import type { HostConnection } from '../hosts/host-service';
import { tarMembers } from '../sync/tar-ingest';
import { shortId } from '../vault/format';
import type { TreeWriter } from '../vault/snapshot-writer';
import type { Snapshot, TreeEntry } from '../vault/snapshots';
import type { Vault } from '../vault/vault';
import type { RootShell } from './remote-shell';
import type { RestoreContext } from './restore-sink';

/** Reads the listed members (NUL-separated on stdin) of directory $1 as a POSIX tar stream. */
const packMembersScript = `cd -- "$1" || exit 3
exec tar -c -f - --format=posix --numeric-owner --null --verbatim-files-from --no-recursion -T -`;

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

/** Stores a tar stream's members into a tree item; hard links reuse their target's chunks. */
async function storeTar(tree: TreeWriter, input: NodeJS.ReadableStream, signal: AbortSignal): Promise<void> {
  const files = new Map<string, TreeEntry>();
  for await (const m of tarMembers(input as never, signal)) {
    if (m.path === '') continue;
    const base = { path: m.path, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtimeMs };
    if (m.type === 'file') files.set(m.path, await tree.addFile(base, m.body));
    else if (m.type === 'dir') await tree.addEntry({ ...base, type: 'dir', size: 0 });
    else if (m.type === 'symlink') await tree.addEntry({ ...base, type: 'symlink', size: 0, link: m.linkpath ?? '' });
    else if (m.type === 'hardlink') {
      const target = files.get(m.linkpath ?? '');
      if (!target) throw new LifeboatError('remote-failed', `hard link ${m.path} points to a file that was not read first`);
      await tree.addEntry({ ...base, type: 'file', size: target.size, chunks: target.chunks ?? [] });
    } else await tree.addEntry({ ...base, type: 'other', size: 0 });
  }
}

/**
 * Saves single files (secrets) a restore is about to overwrite: the listed members of `root`
 * (relative paths, each existing) are read with one GNU tar as root and stored as a tree item
 * in a snapshot tagged `safety`.
 */
export async function safetySnapshotOfFiles(ctx: RestoreContext, host: HostConnection, shell: RootShell, root: string, members: readonly string[]): Promise<Snapshot> {
  return safetyWrite(ctx.vault, host.host.name, label(ctx), ctx.job.signal, async (writer) => {
    const tree = writer.addTree({ name: ctx.item.name, kind: ctx.item.kind, info: { safetyOf: root }, signal: ctx.job.signal });
    const proc = await shell.read(packMembersScript, [root], Buffer.from(members.map((m) => `${m}\0`).join('')));
    try {
      await storeTar(tree, proc.stdout, ctx.job.signal);
    } catch (err) {
      await proc.kill();
      throw err;
    }
    const exit = await proc.done;
    if (exit.code !== 0) throw new LifeboatError('remote-failed', `reading the files for the safety snapshot failed (exit ${String(exit.code)}): ${exit.stderr.trim().slice(0, 400)}`, 'nothing was changed; fix the cause and run the restore again');
    await tree.close();
  });
}
