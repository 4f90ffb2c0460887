import { LifeboatError } from '../api/errors';
import type { SnapshotItem } from '../vault/snapshots';
import type { RestoreContext } from './restore-sink';
import { type TreeTarOptions, type TreeTarReport, emptyTarReport, lentTreeTar, treeTarFromVault } from './tree-tar';
import type { OutsideLinks } from './tree-guard';
import type { Readable } from 'node:stream';
import type { RootAttributes } from './remote-tree';

/** The parts of an item id `<stack>/<kind>:<name>`. */
export function itemParts(item: SnapshotItem): { stack: string; kind: string; name: string } {
  const match = /^([^/]*)\/([a-z]+):(.*)$/s.exec(item.name);
  if (!match) return { stack: '', kind: item.kind, name: item.name };
  return { stack: match[1] as string, kind: match[2] as string, name: match[3] as string };
}

/** The volume a volume item came from (recorded by the source, else from its id). */
export function itemVolume(item: SnapshotItem): string {
  return item.info.volume ?? itemParts(item).name;
}

/** The host path a bind item came from. */
export function itemHostPath(item: SnapshotItem): string {
  const path = item.info.path ?? itemParts(item).name;
  if (!path.startsWith('/')) throw new LifeboatError('bad-input', `item "${item.name}" does not record an absolute host path`, 'restore it with --to-path PATH or --to-dir LOCALDIR');
  return path;
}

/** The root directory's mode, owner and time as the volume source recorded them (info.rootMode…), if it did. */
export function itemRootAttributes(item: SnapshotItem): RootAttributes | undefined {
  const { rootMode, rootUid, rootGid, rootMtime, rootMtimeNs } = item.info;
  if (rootMode === undefined || rootUid === undefined || rootGid === undefined) return undefined;
  const mode = parseInt(rootMode, 8);
  const uid = Number(rootUid);
  const gid = Number(rootGid);
  if (!Number.isInteger(mode) || !Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) return undefined;
  return { mode, uid, gid, ...(rootMtime && Number.isFinite(Number(rootMtime)) ? { mtimeMs: Number(rootMtime) } : {}), ...(rootMtimeNs && /^\d+$/.test(rootMtimeNs) ? { mtimeNs: rootMtimeNs } : {}) };
}

/** Sets the job's phase to restoring an item and returns a byte counter for the archive. */
export function restoreProgress(ctx: RestoreContext, label: string, total: number): (n: number) => void {
  ctx.job.meter.setPhase('restore', label, { item: ctx.item.name, bytesTotal: total });
  ctx.job.report(true);
  return (n) => {
    ctx.job.meter.add(n);
    ctx.job.report();
  };
}

function archiveOptions(ctx: RestoreContext, outsideLinks: OutsideLinks, label: string, fileHashes?: Map<string, string>): TreeTarOptions {
  const onBytes = restoreProgress(ctx, label, ctx.item.size);
  const root = outsideLinks === 'keep' && !ctx.target.subtree ? itemRootAttributes(ctx.item) : undefined;
  return { outsideLinks, allowBackslash: outsideLinks === 'keep' || process.platform !== 'win32', ...(ctx.target.subtree ? { subtree: ctx.target.subtree } : {}), ...(root ? { root } : {}), signal: ctx.job.signal, onBytes, ...(fileHashes ? { fileHashes } : {}) };
}

/** The validated archive of the context's item (or its subtree), with progress. */
export function itemArchive(ctx: RestoreContext, outsideLinks: OutsideLinks, label: string, fileHashes?: Map<string, string>): { archive: Readable; report: TreeTarReport } {
  const report = emptyTarReport();
  return { archive: treeTarFromVault(ctx.vault, ctx.snapshot, ctx.item, archiveOptions(ctx, outsideLinks, label, fileHashes), report), report };
}

/**
 * The same archive for a server (links kept) as lent chunks, for `RemoteTree.extract` over
 * SSH: the fast path, with the vault read on worker threads into a reused ring (`lentTreeTar`).
 */
export function serverArchive(ctx: RestoreContext, label: string, fileHashes?: Map<string, string>): { archive: AsyncIterable<Buffer>; report: TreeTarReport } {
  const report = emptyTarReport();
  return { archive: lentTreeTar(ctx.vault, ctx.snapshot, ctx.item, archiveOptions(ctx, 'keep', label, fileHashes), report), report };
}

/** One sentence about links kept verbatim although they point outside the tree. */
export function outsideLinksNote(n: number): string[] {
  return n > 0 ? [`${n} symlink(s) point outside the tree (absolute or "../"); they are restored as links, and nothing is written through them`] : [];
}

/** A timestamp for default names: 20261121-2243. */
export function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 13);
}

/** `bad-input` for a target mode a sink does not do. */
export function unsupportedTarget(ctx: RestoreContext, modes: readonly string[]): LifeboatError {
  return new LifeboatError('bad-input', `a ${ctx.item.kind} item cannot be restored as "${ctx.target.mode}"`, `choose one of: ${modes.join(', ')}`);
}
