import { posix } from 'node:path';
import { LifeboatError } from '../api/errors';
import type { HostConnection } from '../hosts/host-service';
import { type ListedEntry, ListingParser, listingArgv } from '../sync/remote-listing';
import { shortId } from '../vault/format';
import type { Snapshot } from '../vault/snapshots';
import { bindTargetPath } from './bind-sink';
import { planFiles, planPreview } from './file-preview';
import { replaceDirectory } from './in-place';
import { localDirPreview, restoreToLocalDir } from './local-dir';
import { RemoteTree } from './remote-tree';
import { type RootShell, rootShell } from './remote-shell';
import { itemArchive, outsideLinksNote, unsupportedTarget } from './restore-files-common';
import type { RestoreContext, RestorePreview, RestoreReport, RestoreSink } from './restore-sink';
import { safetySnapshotOfFiles } from './safety-snapshot';
import { emptyTarReport, plannedEntries, treeTarFromVault } from './tree-tar';

const modes = ['in-place', 'path', 'local-dir'] as const;

/**
 * Installs staged files at their places: for each NUL-separated relative path on stdin, the
 * staged copy ($1/rel, mode and owner exact from the archive) is copied next to the
 * destination ($2/rel) under a temporary name and renamed over it, so every file is replaced
 * atomically and a symlink at the destination is replaced, never followed.
 */
const installScript = `set -e
xargs -0 -r sh -c '
S=$1 R=\${2%/}; shift 2
for rel do
  dst="$R/$rel"; dir=$(dirname -- "$dst")
  mkdir -p -- "$dir"
  tmp="$dir/.lifeboat-new.$$"
  rm -f -- "$tmp"
  cp -p -P -- "$S/$rel" "$tmp"
  mv -f -T -- "$tmp" "$dst"
done' sh "$1" "$2"`;

/** Lists those of the NUL-separated paths on stdin that exist below $1, in find's -printf format $2. */
const statScript = `cd -- "$1" || exit 3
xargs -0 -r sh -c '
F=$1; shift
for rel do
  if [ -e "./$rel" ] || [ -L "./$rel" ]; then find "./$rel" -maxdepth 0 -printf "$F"; fi
done' sh "$2"`;

/** Removes the NUL-separated paths on stdin below $1 (files a failed restore created). */
const unlinkScript = `cd -- "$1" || exit 3
xargs -0 -r rm -f --`;

function nulList(paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((p) => `${p}\0`).join(''));
}

/** The directory the item's paths are relative to (the secrets source records `root: /`). */
function secretsRoot(ctx: RestoreContext): string {
  const root = ctx.item.info.root ?? '/';
  if (!root.startsWith('/')) throw new LifeboatError('bad-input', `item "${ctx.item.name}" records a relative root`, 'restore it with --to-path PATH or --to-dir LOCALDIR');
  return root;
}

async function liveStat(shell: RootShell, root: string, rels: readonly string[]): Promise<ListedEntry[]> {
  const proc = await shell.read(statScript, [root, listingArgv()[3] as string], nulList(rels));
  const parser = new ListingParser();
  const out: ListedEntry[] = [];
  for await (const chunk of proc.stdout) out.push(...parser.push(chunk as Buffer));
  const exit = await proc.done;
  if (exit.code !== 0) throw new LifeboatError('remote-failed', `checking the current files failed: ${exit.stderr.trim().slice(0, 300)}`);
  parser.end();
  return out;
}

/** The deepest directory holding every path (the staging area goes there, on the same filesystem). */
function commonDir(root: string, rels: readonly string[]): string {
  const dirs = rels.map((r) => posix.dirname(posix.join(root, r)).split('/'));
  const first = dirs[0] ?? root.split('/');
  let n = first.length;
  for (const d of dirs) {
    let i = 0;
    while (i < n && d[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join('/') || '/';
}

async function installFrom(ctx: RestoreContext, shell: RootShell, root: string, snapshot: Snapshot, rels: readonly string[], fromSafety: boolean): Promise<void> {
  const remote = new RemoteTree(shell);
  const staged = await remote.staging(commonDir(root, rels));
  try {
    const archive = fromSafety ? treeTarFromVault(ctx.vault, snapshot, snapshot.items[0] as never, { outsideLinks: 'keep', signal: ctx.job.signal }, emptyTarReport()) : itemArchive(ctx, 'keep', `Restoring ${ctx.item.name}`).archive;
    await remote.extract(staged, archive);
    await shell.run(installScript, [staged, root], { what: 'putting the files in place', stdin: nulList(rels) });
  } finally {
    await remote.remove(staged).catch(() => undefined);
  }
}

async function inPlace(ctx: RestoreContext, host: HostConnection): Promise<RestoreReport> {
  const shell = rootShell(host, ctx.job.signal);
  const root = secretsRoot(ctx);
  const planned = await plannedEntries(ctx.vault, ctx.snapshot, ctx.item, { outsideLinks: 'keep', ...(ctx.target.subtree ? { subtree: ctx.target.subtree } : {}), signal: ctx.job.signal });
  const rels = planned.entries.filter((e) => e.entry.type === 'file' || e.entry.type === 'symlink').map((e) => e.outPath);
  if (rels.length === 0) throw new LifeboatError('not-found', `item "${ctx.item.name}" holds no files`);
  const existing = (await liveStat(shell, root, rels)).filter((l) => l.type === 'file' || l.type === 'symlink').map((l) => l.path);
  let safety: Snapshot | undefined;
  if (existing.length > 0) {
    ctx.job.meter.setPhase('safety', 'Safety copy of the files to be overwritten', { item: ctx.item.name });
    safety = await safetySnapshotOfFiles(ctx, host, root, existing);
  }
  try {
    await installFrom(ctx, shell, root, ctx.snapshot, rels, false);
  } catch (err) {
    ctx.job.log('warn', 'restore failed; putting the previous files back');
    const created = rels.filter((r) => !existing.includes(r));
    if (created.length > 0) await shell.run(unlinkScript, [root], { what: 'removing files the failed restore created', stdin: nulList(created) }).catch(() => undefined);
    if (safety) await installFrom(ctx, shell, root, safety, existing, true);
    throw err;
  }
  return {
    summary: `restored ${rels.length} file(s) to their paths on ${host.host.name} with their original modes and owners (${existing.length} replaced)`,
    location: rels.length === 1 ? posix.join(root, rels[0] as string) : `${rels.length} files under ${commonDir(root, rels)}`,
    ...(safety ? { safetyCopy: `snapshot ${shortId(safety.id)} (tag safety, ${existing.length} file(s))` } : {}),
    warnings: [...planned.warnings, ...outsideLinksNote(planned.outsideLinks)],
  };
}

async function preview(ctx: RestoreContext): Promise<RestorePreview> {
  if (ctx.target.mode === 'local-dir') return localDirPreview(ctx);
  if (ctx.target.mode !== 'in-place' && ctx.target.mode !== 'path') throw unsupportedTarget(ctx, modes);
  const host = ctx.host;
  if (!host) throw new LifeboatError('bad-input', 'restoring secrets to the server needs a connection to it', 'name the host with --host, or use --to-dir LOCALDIR');
  const shell = rootShell(host, ctx.job.signal);
  const planned = await plannedEntries(ctx.vault, ctx.snapshot, ctx.item, { outsideLinks: 'keep', ...(ctx.target.subtree ? { subtree: ctx.target.subtree } : {}), signal: ctx.job.signal });
  const warnings = [...planned.warnings, ...outsideLinksNote(planned.outsideLinks)];
  if (ctx.target.mode === 'path') {
    const dir = bindTargetPath(ctx);
    return planPreview(planFiles(planned.entries, await new RemoteTree(shell).list(dir), true), `${dir} on ${host.host.name}`, warnings);
  }
  const root = secretsRoot(ctx);
  const files = planned.entries.filter((e) => e.entry.type === 'file' || e.entry.type === 'symlink');
  const live = await liveStat(shell, root, files.map((e) => e.outPath));
  if (live.length > 0) warnings.push(`the ${live.length} file(s) that exist are saved first as a snapshot tagged "safety"`);
  const absolute = (p: string) => posix.join(root, p);
  const plan = planFiles(files.map((f) => ({ ...f, outPath: absolute(f.outPath) })), live.map((l) => ({ ...l, path: absolute(l.path) })), false);
  return planPreview(plan, `files to their paths on ${host.host.name}`, warnings);
}

async function restore(ctx: RestoreContext): Promise<RestoreReport> {
  if (ctx.target.mode === 'local-dir') return restoreToLocalDir(ctx);
  const host = ctx.host;
  if (!host) throw new LifeboatError('bad-input', 'restoring secrets to the server needs a connection to it', 'name the host with --host, or use --to-dir LOCALDIR');
  if (ctx.target.mode === 'in-place') return inPlace(ctx, host);
  if (ctx.target.mode !== 'path') throw unsupportedTarget(ctx, modes);
  const dir = bindTargetPath(ctx);
  if ((await new RemoteTree(rootShell(host, ctx.job.signal)).list(dir)).length > 0) throw new LifeboatError('conflict', `${dir} on ${host.host.name} is not empty`, 'choose a new or empty path with --to-path');
  return replaceDirectory(ctx, { dir, dependents: [], what: dir, root: { mode: 0o700, uid: 0, gid: 0 } });
}

/** Secrets (.env, compose files, keys): to their paths with their modes (safety copy first), to another path, or to this machine. */
export const secretsSink: RestoreSink = { kinds: ['secrets'], defaultMode: 'in-place', preview, restore };
