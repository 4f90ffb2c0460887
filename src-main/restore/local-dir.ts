import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { LifeboatError } from '../api/errors';
import { planFiles, planPreview } from './file-preview';
import { itemArchive } from './restore-files-common';
import type { RestoreContext, RestorePreview, RestoreReport } from './restore-sink';
import { safeExtract } from './safe-extract';
import { plannedEntries } from './tree-tar';

/** Backslashes are ordinary name characters everywhere but Windows. */
const posixNames = process.platform !== 'win32';

function targetDir(ctx: RestoreContext): string {
  const dir = ctx.target.localDir;
  if (!dir) throw new LifeboatError('bad-input', 'restoring files to this machine needs a folder', 'give it with --to-dir LOCALDIR');
  return isAbsolute(dir) ? dir : resolve(dir);
}

function topLevel(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) out.add(p.split('/')[0] as string);
  return out;
}

function clashes(dir: string, names: Iterable<string>): string[] {
  return [...names].filter((n) => {
    try {
      lstatSync(join(dir, n));
      return true;
    } catch {
      return false;
    }
  });
}

/** What `--to-dir` would create; names that already exist there are reported (the restore refuses them). */
export async function localDirPreview(ctx: RestoreContext): Promise<RestorePreview> {
  const dir = targetDir(ctx);
  const planned = await plannedEntries(ctx.vault, ctx.snapshot, ctx.item, { outsideLinks: 'skip', allowBackslash: posixNames, ...(ctx.target.subtree ? { subtree: ctx.target.subtree } : {}), signal: ctx.job.signal });
  const taken = existsSync(dir) ? clashes(dir, topLevel(planned.entries.map((e) => e.outPath))) : [];
  const warnings = [...planned.warnings, ...taken.map((n) => `${join(dir, n)} already exists: the restore would refuse to overwrite it; choose an empty folder`)];
  return planPreview(planFiles(planned.entries, [], false), `into ${dir} on this machine`, warnings);
}

/**
 * Files (an item, or one file or folder of it) to a folder on this machine: unpacked by
 * safe-extract.ts into a fresh staging folder inside the target (so the final renames stay on
 * one filesystem), then each top-level name is moved into place. Nothing that exists is ever
 * overwritten; links that would point outside the folder are skipped with a warning; owners
 * are not changed (the files belong to whoever runs Lifeboat).
 */
export async function restoreToLocalDir(ctx: RestoreContext): Promise<RestoreReport> {
  const dir = targetDir(ctx);
  mkdirSync(dir, { recursive: true });
  const staging = join(dir, `.lifeboat-restore-${randomBytes(6).toString('hex')}`);
  const { archive, report } = itemArchive(ctx, 'skip', `Restoring ${ctx.item.name} into ${dir}`);
  try {
    await safeExtract(archive, staging, { signal: ctx.job.signal, allowBackslash: posixNames });
    const names = readdirSync(staging);
    const taken = clashes(dir, names);
    if (taken.length > 0) throw new LifeboatError('conflict', `${join(dir, taken[0] as string)} already exists${taken.length > 1 ? ` (and ${taken.length - 1} more)` : ''}`, 'nothing was changed; restore into an empty or new folder');
    for (const name of names) renameSync(join(staging, name), join(dir, name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return {
    summary: `restored ${report.files} files, ${report.dirs} folders and ${report.symlinks} links (${report.bytes} bytes) into ${dir}`,
    location: dir,
    warnings: report.warnings,
  };
}
