import { LifeboatError } from '../api/errors';
import type { HostConnection } from '../hosts/host-service';
import { shortId } from '../vault/format';
import { createVolume, dependents, helperImages, putArchiveIntoVolume, removeVolume, volumeMountpoint } from './docker-volumes';
import { planFiles, planPreview } from './file-preview';
import { replaceDirectory } from './in-place';
import { localDirPreview, restoreToLocalDir } from './local-dir';
import { RemoteTree } from './remote-tree';
import { rootShell } from './remote-shell';
import { itemArchive, itemVolume, outsideLinksNote, serverArchive, stamp, unsupportedTarget } from './restore-files-common';
import type { RestoreContext, RestorePreview, RestoreReport, RestoreSink } from './restore-sink';
import { type TreeTarReport, plannedEntries } from './tree-tar';

const volumeName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** The connection a server-side restore needs, or a clear error. */
export function requireHost(ctx: RestoreContext): HostConnection {
  if (!ctx.host) throw new LifeboatError('bad-input', `restoring ${ctx.item.name} needs a connection to its server`, 'name the host with --host, or restore to this machine with --to-dir LOCALDIR');
  return ctx.host;
}

/** The name of the volume a new-volume restore creates. */
export function newVolumeName(ctx: RestoreContext): string {
  const name = ctx.target.volume ?? `${itemVolume(ctx.item)}-restored-${stamp()}`;
  if (!volumeName.test(name)) throw new LifeboatError('bad-input', `"${name.slice(0, 100)}" is not a valid volume name`, 'use letters, digits, "_", "." and "-", starting with a letter or digit');
  return name;
}

function hasRootFiles(host: HostConnection): boolean {
  return Boolean(host.exec && host.spawn && host.probe && host.probe.fileAccess !== 'none');
}

/** Unpacks the item (validated archive) into a volume that was just created empty. */
export async function fillNewVolume(ctx: RestoreContext, host: HostConnection, name: string, fileHashes?: Map<string, string>): Promise<TreeTarReport> {
  const label = `Restoring ${ctx.item.name} into volume ${name}`;
  if (hasRootFiles(host)) {
    const mountpoint = await volumeMountpoint(host.docker, name);
    if (!mountpoint) throw new LifeboatError('remote-failed', `volume ${name} has no mountpoint on the host`, 'only the "local" volume driver is supported for restores over SSH');
    const { archive, report } = serverArchive(ctx, label, fileHashes);
    await new RemoteTree(rootShell(host, ctx.job.signal)).extract(mountpoint, archive);
    return report;
  }
  const image = (await helperImages(host.docker, itemVolume(ctx.item)))[0];
  if (!image) throw new LifeboatError('unsupported', `the Docker host has no image to park a helper container on`, 'pull or build any small image (for example busybox) on the server');
  const { archive, report } = itemArchive(ctx, 'keep', label, fileHashes);
  await putArchiveIntoVolume(host.docker, image, name, archive);
  return report;
}

async function restoreNewVolume(ctx: RestoreContext): Promise<RestoreReport> {
  const host = requireHost(ctx);
  const name = newVolumeName(ctx);
  await createVolume(host.docker, name, { 'org.lifeboat.restored-from': ctx.snapshot.id, 'org.lifeboat.item': ctx.item.name.slice(0, 500), 'org.lifeboat.restored-at': new Date().toISOString() });
  ctx.job.log('info', `created volume ${name}`);
  try {
    const report = await fillNewVolume(ctx, host, name);
    return {
      summary: `restored ${report.files} files, ${report.dirs} folders and ${report.symlinks} links into the new volume ${name}`,
      location: `volume ${name}`,
      warnings: [...report.warnings, ...outsideLinksNote(report.outsideLinks), `to use it, mount volume "${name}" in place of "${itemVolume(ctx.item)}" (or restore again with --in-place)`],
    };
  } catch (err) {
    ctx.job.log('warn', `removing the half-restored volume ${name}`);
    await removeVolume(host.docker, name).catch(() => undefined);
    throw err;
  }
}

async function inPlaceDir(ctx: RestoreContext): Promise<{ host: HostConnection; dir: string; volume: string }> {
  const host = requireHost(ctx);
  const volume = ctx.target.volume ?? itemVolume(ctx.item);
  const dir = await volumeMountpoint(host.docker, volume);
  if (!dir) throw new LifeboatError('not-found', `volume "${volume}" does not exist on ${host.host.name}`, 'restore into a new volume instead (leave out --in-place)');
  return { host, dir, volume };
}

async function preview(ctx: RestoreContext): Promise<RestorePreview> {
  if (ctx.target.mode === 'local-dir') return localDirPreview(ctx);
  const planned = await plannedEntries(ctx.vault, ctx.snapshot, ctx.item, { outsideLinks: 'keep', ...(ctx.target.subtree ? { subtree: ctx.target.subtree } : {}), signal: ctx.job.signal });
  const warnings = [...planned.warnings, ...outsideLinksNote(planned.outsideLinks)];
  if (ctx.target.mode === 'new-volume') {
    const host = requireHost(ctx);
    const name = newVolumeName(ctx);
    if ((await volumeMountpoint(host.docker, name)) !== undefined) warnings.push(`volume "${name}" already exists: the restore would refuse it; pick another name`);
    return planPreview(planFiles(planned.entries, [], false), `into a new volume ${name} on ${host.host.name}`, warnings);
  }
  if (ctx.target.mode !== 'in-place') throw unsupportedTarget(ctx, ['new-volume', 'in-place', 'local-dir']);
  const { host, dir, volume } = await inPlaceDir(ctx);
  const live = await new RemoteTree(rootShell(host, ctx.job.signal)).list(dir);
  const users = (await dependents(host.docker, { volume })).filter((d) => d.running);
  if (users.length > 0) warnings.push(`these containers will be stopped during the restore and started again: ${users.map((d) => d.name).join(', ')}`);
  warnings.push(`the current content is saved first as a snapshot tagged "safety"; if anything fails it is put back`);
  return planPreview(planFiles(planned.entries, live, true), `volume ${volume} in place on ${host.host.name} (snapshot ${shortId(ctx.snapshot.id)})`, warnings);
}

async function restore(ctx: RestoreContext): Promise<RestoreReport> {
  switch (ctx.target.mode) {
    case 'local-dir':
      return restoreToLocalDir(ctx);
    case 'new-volume':
      return restoreNewVolume(ctx);
    case 'in-place': {
      const { host, dir, volume } = await inPlaceDir(ctx);
      return replaceDirectory(ctx, { dir, dependents: await dependents(host.docker, { volume }), what: `volume ${volume}`, safety: { volume } });
    }
    default:
      throw unsupportedTarget(ctx, ['new-volume', 'in-place', 'local-dir']);
  }
}

/** Volumes: into a new volume (the default), in place (safety snapshot, swap), or files to this machine. */
export const volumeSink: RestoreSink = { kinds: ['volume'], preview, restore };
