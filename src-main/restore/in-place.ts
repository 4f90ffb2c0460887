import { posix } from 'node:path';
import { LifeboatError } from '../api/errors';
import type { HostConnection } from '../hosts/host-service';
import type { ListedEntry } from '../sync/remote-listing';
import { shortId } from '../vault/format';
import type { Snapshot } from '../vault/snapshots';
import { type Dependent, startAll, stopAll } from './docker-volumes';
import { itemRootAttributes, outsideLinksNote, serverArchive } from './restore-files-common';
import type { RestoreContext, RestoreReport } from './restore-sink';
import { RemoteTree, type RootAttributes } from './remote-tree';
import { rootShell } from './remote-shell';
import { safetySnapshotOfTree } from './safety-snapshot';
import { emptyTarReport, lentTreeTar, plannedEntries } from './tree-tar';

/** What to replace and who uses it. */
export interface ReplaceSpec {
  /** Host path of the directory that the snapshot's tree replaces. */
  readonly dir: string;
  /** Containers to stop while it is replaced (started again whatever happens). */
  readonly dependents: readonly Dependent[];
  /** Words for messages: "volume wiki_uploads", "/srv/app/config". */
  readonly what: string;
  /** What to save first as a safety snapshot (in place); absent for a new, empty path. */
  readonly safety?: { volume: string } | { path: string };
  /** Mode and owner of the root directory when nothing is there yet (default 0755 root). */
  readonly root?: RootAttributes;
}

/** Test hooks for failure injection (never set in production code). */
export const replaceFaults: { afterSwap?: (dir: string) => Promise<void> } = {};

/** Checks a restored directory against the entries it should hold (type and size of each, nothing else). */
export function verifyListing(expected: ReadonlyArray<{ outPath: string; entry: { type: string; size: number } }>, live: readonly ListedEntry[]): string | undefined {
  const byPath = new Map(live.map((l) => [l.path, l]));
  for (const { outPath, entry } of expected) {
    const l = byPath.get(outPath);
    if (!l) return `${JSON.stringify(outPath)} is missing`;
    if (l.type !== entry.type || (entry.type === 'file' && l.size !== entry.size)) return `${JSON.stringify(outPath)} is not what the snapshot holds`;
  }
  const wanted = new Set<string>();
  for (const { outPath } of expected) {
    const parts = outPath.split('/');
    for (let i = 1; i <= parts.length; i++) wanted.add(parts.slice(0, i).join('/'));
  }
  const extra = live.filter((l) => !wanted.has(l.path));
  if (extra.length > 0) return `${extra.length} unexpected entries (e.g. ${JSON.stringify(extra[0]?.path)})`;
  return undefined;
}

/**
 * Replaces a directory on the server with the snapshot's tree, never leaving it half-written:
 * dependents stopped → safety snapshot of what is there (tag `safety`) → the tree unpacked
 * into a fresh staging directory next to it → two renames swap it in → the result is listed
 * and checked → the old copy is deleted → dependents started again (in a finally). Any failure
 * before the swap leaves the directory untouched; a failure after it puts the old copy back,
 * and if even that fails, the safety snapshot is restored.
 */
export async function replaceDirectory(ctx: RestoreContext, spec: ReplaceSpec): Promise<RestoreReport> {
  const shell = rootShell(ctx.host, ctx.job.signal);
  const remote = new RemoteTree(shell);
  const host = ctx.host as HostConnection;
  const log = (m: string) => ctx.job.log('info', m);
  const warnings: string[] = [];
  const planned = await plannedEntries(ctx.vault, ctx.snapshot, ctx.item, { outsideLinks: 'keep', ...(ctx.target.subtree ? { subtree: ctx.target.subtree } : {}), signal: ctx.job.signal });
  const stopped = await stopAll(host.docker, spec.dependents, log);
  let safety: Snapshot | undefined;
  try {
    if (spec.safety && (await remote.exists(spec.dir))) {
      ctx.job.meter.setPhase('safety', `Safety snapshot of ${spec.what}`, { item: ctx.item.name });
      log(`taking a safety snapshot of ${spec.what}`);
      safety = await safetySnapshotOfTree(ctx, host, spec.safety);
      log(`safety snapshot ${shortId(safety.id)} holds the previous content`);
    }
    const staged = await remote.staging(posix.dirname(spec.dir));
    const { archive, report } = serverArchive(ctx, `Restoring ${ctx.item.name} into ${spec.what}`);
    try {
      await remote.extract(staged, archive);
    } catch (err) {
      await remote.remove(staged).catch(() => undefined);
      throw err;
    }
    ctx.job.meter.setPhase('swap', `Swapping the restored copy into ${spec.what}`);
    const old = await remote.swap(spec.dir, staged, spec.root ?? (ctx.target.subtree ? undefined : itemRootAttributes(ctx.item)));
    try {
      await replaceFaults.afterSwap?.(spec.dir);
      const problem = verifyListing(planned.entries, await remote.list(spec.dir));
      if (problem) throw new LifeboatError('remote-failed', `the restored ${spec.what} does not match the snapshot: ${problem}`, 'the previous content was put back; run "lifeboat check --read-data" and try again');
    } catch (err) {
      log(`putting the previous ${spec.what} back`);
      await rollBack(ctx, remote, spec, old, safety);
      throw err;
    }
    await remote.remove(old).catch((err: Error) => warnings.push(`the previous content is still at ${old} (${err.message}); delete it when you are satisfied`));
    return {
      summary: `restored ${report.files} files, ${report.dirs} folders and ${report.symlinks} links (${report.bytes} bytes) into ${spec.what}`,
      location: spec.dir,
      ...(safety ? { safetyCopy: `snapshot ${shortId(safety.id)} (tag safety, item "${ctx.item.name}")` } : {}),
      warnings: [...warnings, ...report.warnings, ...outsideLinksNote(report.outsideLinks), ...planned.warnings.filter((w) => !report.warnings.includes(w))],
    };
  } finally {
    warnings.push(...(await startAll(host.docker, stopped, log)));
  }
}

/** Puts the previous content back after a failed swap: the kept old copy, else the safety snapshot. */
async function rollBack(ctx: RestoreContext, remote: RemoteTree, spec: ReplaceSpec, old: string, safety: Snapshot | undefined): Promise<void> {
  try {
    await remote.unswap(spec.dir, old);
    return;
  } catch (err) {
    if (!safety) throw new LifeboatError('remote-failed', `could not put the previous ${spec.what} back (${(err as Error).message}); it is at ${old}`, `move it back by hand: mv ${old} ${spec.dir}`);
    ctx.job.log('warn', `the old copy could not be moved back (${(err as Error).message}); restoring the safety snapshot ${shortId(safety.id)}`);
  }
  const item = safety.items[0];
  if (!item) throw new LifeboatError('internal', 'the safety snapshot has no item');
  const staged = await remote.staging(posix.dirname(spec.dir));
  await remote.extract(staged, lentTreeTar(ctx.vault, safety, item, { outsideLinks: 'keep', signal: ctx.job.signal }, emptyTarReport()));
  await remote.swap(spec.dir, staged);
}
