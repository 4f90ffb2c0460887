import { posix } from 'node:path';
import { LifeboatError } from '../api/errors';
import { dependents } from './docker-volumes';
import { planFiles, planPreview } from './file-preview';
import { replaceDirectory } from './in-place';
import { localDirPreview, restoreToLocalDir } from './local-dir';
import { RemoteTree } from './remote-tree';
import { rootShell } from './remote-shell';
import { itemHostPath, outsideLinksNote, unsupportedTarget } from './restore-files-common';
import type { RestoreContext, RestorePreview, RestoreReport, RestoreSink } from './restore-sink';
import { plannedEntries } from './tree-tar';
import { requireHost } from './volume-sink';

const modes = ['in-place', 'path', 'local-dir'] as const;

/** The host path a bind restore writes: the original (in place) or `--to-path` (absolute, normalised). */
export function bindTargetPath(ctx: RestoreContext): string {
  if (ctx.target.mode === 'in-place') return itemHostPath(ctx.item);
  const path = ctx.target.path;
  if (!path) throw new LifeboatError('bad-input', 'restoring to another host path needs --to-path PATH');
  if (!path.startsWith('/') || path.includes('\0') || path.split('/').some((p) => p === '..' || p === '.')) {
    throw new LifeboatError('bad-input', `--to-path must be an absolute path without "." or ".." parts, got ${JSON.stringify(path.slice(0, 200))}`);
  }
  const normal = posix.normalize(path).replace(/\/+$/, '');
  if (normal === '' || normal === '/') throw new LifeboatError('bad-input', 'refusing to restore over the root directory');
  return normal;
}

async function preview(ctx: RestoreContext): Promise<RestorePreview> {
  if (ctx.target.mode === 'local-dir') return localDirPreview(ctx);
  if (ctx.target.mode !== 'in-place' && ctx.target.mode !== 'path') throw unsupportedTarget(ctx, modes);
  const host = requireHost(ctx);
  const dir = bindTargetPath(ctx);
  const planned = await plannedEntries(ctx.vault, ctx.snapshot, ctx.item, { outsideLinks: 'keep', ...(ctx.target.subtree ? { subtree: ctx.target.subtree } : {}), signal: ctx.job.signal });
  const live = await new RemoteTree(rootShell(host, ctx.job.signal)).list(dir);
  const warnings = [...planned.warnings, ...outsideLinksNote(planned.outsideLinks)];
  if (ctx.target.mode === 'path' && live.length > 0) warnings.push(`${dir} is not empty: the restore would refuse it; choose a new or empty path (or restore the original in place)`);
  if (ctx.target.mode === 'in-place') {
    const users = (await dependents(host.docker, { path: dir })).filter((d) => d.running);
    if (users.length > 0) warnings.push(`these containers will be stopped during the restore and started again: ${users.map((d) => d.name).join(', ')}`);
    warnings.push('the current content is saved first as a snapshot tagged "safety"; if anything fails it is put back');
  }
  return planPreview(planFiles(planned.entries, live, true), `${dir} on ${host.host.name}`, warnings);
}

async function restore(ctx: RestoreContext): Promise<RestoreReport> {
  if (ctx.target.mode === 'local-dir') return restoreToLocalDir(ctx);
  if (ctx.target.mode !== 'in-place' && ctx.target.mode !== 'path') throw unsupportedTarget(ctx, modes);
  const host = requireHost(ctx);
  const dir = bindTargetPath(ctx);
  if (ctx.target.mode === 'path') {
    const live = await new RemoteTree(rootShell(host, ctx.job.signal)).list(dir);
    if (live.length > 0) throw new LifeboatError('conflict', `${dir} on ${host.host.name} is not empty`, 'choose a new or empty path with --to-path, or restore the original path with --in-place');
    return replaceDirectory(ctx, { dir, dependents: [], what: dir });
  }
  return replaceDirectory(ctx, { dir, dependents: await dependents(host.docker, { path: dir }), what: `bind mount ${dir}`, safety: { path: dir } });
}

/** Bind mounts: back to their host path (in place, safely) or to another path; or files to this machine. */
export const bindSink: RestoreSink = { kinds: ['bind'], defaultMode: 'in-place', preview, restore };
