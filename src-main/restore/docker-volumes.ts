import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import { DockerDemux } from '../hosts/docker-spawn';
import { tailCollector } from '../hosts/remote-process';

/** Where a helper container mounts the volume it works on. */
export const helperMount = '/lifeboat-target';

/** Labels every volume and container Lifeboat creates carries (so they can be found and cleaned). */
export function lifeboatLabels(extra: Record<string, string>): Record<string, string> {
  return { 'org.lifeboat.created-by': 'lifeboat', ...extra };
}

function status(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** The volume's mountpoint on the host, or undefined when it does not exist. */
export async function volumeMountpoint(docker: Docker, name: string): Promise<string | undefined> {
  try {
    const info = (await docker.getVolume(name).inspect()) as { Mountpoint?: string };
    return info.Mountpoint ?? '';
  } catch (err) {
    if (status(err) === 404) return undefined;
    throw err;
  }
}

/** Creates a new, labelled volume; `already-exists` if the name is taken. */
export async function createVolume(docker: Docker, name: string, labels: Record<string, string>): Promise<void> {
  if ((await volumeMountpoint(docker, name)) !== undefined) {
    throw new LifeboatError('already-exists', `volume "${name}" already exists`, 'a restore never writes into an existing volume unless you ask for --in-place; pick another name with --to-volume');
  }
  await docker.createVolume({ Name: name, Labels: lifeboatLabels(labels) });
}

/** Removes a volume (used for restores that failed half-way and for drills' scratch volumes). */
export async function removeVolume(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove({ force: true } as never);
  } catch (err) {
    if (status(err) !== 404) throw err;
  }
}

/** A container that uses a volume or a host path, and whether it was running. */
export interface Dependent {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly running: boolean;
}

/** Containers that mount the volume `name`, or a bind mount at or around host `path`. */
export async function dependents(docker: Docker, what: { volume?: string; path?: string }): Promise<Dependent[]> {
  const all = await docker.listContainers({ all: true, ...(what.volume ? { filters: { volume: [what.volume] } } : {}) });
  const within = (a: string, b: string) => a === b || a.startsWith(`${b.replace(/\/+$/, '')}/`);
  return all
    .filter((c) => (what.volume ? true : (c.Mounts ?? []).some((m) => m.Type === 'bind' && what.path !== undefined && (within(m.Source, what.path) || within(what.path, m.Source)))))
    .map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''), image: c.Image, running: c.State === 'running' }));
}

/** Stops the running ones; returns those it stopped (to start again). */
export async function stopAll(docker: Docker, list: readonly Dependent[], log: (m: string) => void): Promise<Dependent[]> {
  const stopped: Dependent[] = [];
  for (const d of list.filter((x) => x.running)) {
    log(`stopping ${d.name}`);
    try {
      await docker.getContainer(d.id).stop({ t: 20 });
    } catch (err) {
      if (status(err) !== 304) throw err;
    }
    stopped.push(d);
  }
  return stopped;
}

/** Starts containers again; returns warnings for those that would not start. */
export async function startAll(docker: Docker, list: readonly Dependent[], log: (m: string) => void): Promise<string[]> {
  const warnings: string[] = [];
  for (const d of list) {
    log(`starting ${d.name}`);
    try {
      await docker.getContainer(d.id).start();
    } catch (err) {
      if (status(err) === 304) continue;
      warnings.push(`container ${d.name} did not start again: ${(err as Error).message}; start it with "docker start ${d.name}"`);
    }
  }
  return warnings;
}

/** Images worth trying for a helper container: those of containers using the volume first, then any local image. */
export async function helperImages(docker: Docker, volume?: string): Promise<string[]> {
  const users = volume ? await docker.listContainers({ all: true, filters: { volume: [volume] } }) : [];
  const images = (await docker.listImages()).map((i) => i.RepoTags?.find((t) => t !== '<none>:<none>') ?? i.Id);
  return [...new Set([...users.map((c) => c.Image), ...images])];
}

/** A created (never started) container with `volume` mounted at helperMount: the daemon unpacks into it. */
async function withParkedContainer<T>(docker: Docker, image: string, volume: string, fn: (c: Docker.Container) => Promise<T>): Promise<T> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['true'],
    Labels: lifeboatLabels({ 'org.lifeboat.role': 'restore-helper' }),
    NetworkDisabled: true,
    HostConfig: { NetworkMode: 'none', Binds: [`${volume}:${helperMount}`] },
  });
  try {
    return await fn(container);
  } finally {
    await container.remove({ force: true, v: false }).catch(() => undefined);
  }
}

/**
 * Unpacks an archive into a volume through the Docker API's archive endpoint (the daemon
 * extracts it, chrooted into the container's filesystem), for hosts reached only through
 * the Docker API. The archive is a validated one from `treeTar`.
 */
export async function putArchiveIntoVolume(docker: Docker, image: string, volume: string, archive: Readable): Promise<void> {
  await withParkedContainer(docker, image, volume, async (container) => {
    let failure: unknown;
    archive.once('error', (e) => (failure ??= e));
    try {
      const response = await container.putArchive(archive as unknown as NodeJS.ReadableStream, { path: helperMount, noOverwriteDirNonDir: true });
      const body = response as unknown as Readable | undefined;
      if (body && typeof body.resume === 'function') body.resume();
    } catch (err) {
      throw failure ?? new LifeboatError('remote-failed', `the Docker daemon refused the archive: ${(err as Error).message}`, 'check free space on the server and that the image exists');
    }
    if (failure) throw failure;
  });
}

/**
 * Runs a constant shell script in a scratch container (no network) that mounts `volume`
 * read-only at helperMount; returns its stdout. Exit 127 means the image lacks a tool.
 */
export async function runInScratch(docker: Docker, image: string, volume: string, script: string, signal?: AbortSignal): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['sh', '-c', script, 'lifeboat'],
    Cmd: [],
    Labels: lifeboatLabels({ 'org.lifeboat.role': 'drill-scratch' }),
    NetworkDisabled: true,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: { NetworkMode: 'none', Binds: [`${volume}:${helperMount}:ro`] },
  });
  const onAbort = () => void container.kill().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    const stderr = tailCollector();
    const out: Buffer[] = [];
    const demux = new DockerDemux((c) => stderr.push(c));
    demux.on('data', (c: Buffer) => out.push(c));
    const ended = new Promise<void>((resolve) => {
      demux.on('end', () => resolve());
      demux.on('error', () => resolve());
      stream.on('close', () => resolve());
    });
    stream.pipe(demux);
    await container.start();
    const result = (await container.wait()) as { StatusCode?: number };
    await ended;
    if (signal?.aborted) throw new LifeboatError('cancelled', 'the drill was cancelled');
    return { code: result.StatusCode ?? -1, stdout: Buffer.concat(out), stderr: stderr.text() };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await container.remove({ force: true, v: false }).catch(() => undefined);
  }
}
