import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { LifeboatError } from '../../api/errors';
import { runInContainer } from '../../databases/container-run';

/** Labels on every container a restore or drill creates, so they can be found and cleaned up. */
export function scratchLabels(role: 'drill' | 'restore-helper', item: string): Record<string, string> {
  return { 'org.lifeboat.created-by': 'lifeboat', 'org.lifeboat.role': role, 'org.lifeboat.item': item.slice(0, 500) };
}

/** What a scratch container is made of. */
export interface ScratchSpec {
  readonly prefix: 'lifeboat-drill' | 'lifeboat-restore';
  readonly image: string;
  readonly labels: Record<string, string>;
  /** `NAME=value` pairs (container config, not argv). */
  readonly env?: readonly string[];
  readonly entrypoint?: readonly string[] | null;
  readonly cmd?: readonly string[] | null;
  readonly user?: string;
  /** `volume:/path` binds. */
  readonly binds?: readonly string[];
}

/** A started scratch container; `remove` is safe to call twice and never throws. */
export interface Scratch {
  readonly name: string;
  remove(): Promise<void>;
}

/** Scratch containers older than this are leftovers of a killed engine (no drill runs a day). */
const staleAfterMs = 24 * 3600 * 1000;

/**
 * Removes scratch containers a killed engine left behind: those this module names
 * (`lifeboat-drill-…`, `lifeboat-restore-…`) with its labels, created more than a day ago.
 * Best effort: failures are ignored.
 */
export async function sweepStaleScratch(docker: Docker, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  try {
    const list = await docker.listContainers({ all: true, filters: { label: ['org.lifeboat.created-by=lifeboat'] } });
    for (const c of list) {
      const name = (c.Names?.[0] ?? '').replace(/^\//, '');
      if (!/^lifeboat-(drill|restore)-[0-9a-f]{10}$/.test(name) || now - c.Created * 1000 < staleAfterMs) continue;
      await docker.getContainer(c.Id).remove({ force: true, v: true });
      removed.push(name);
    }
  } catch {
    /* best effort */
  }
  return removed;
}

/**
 * Starts a throwaway container with no network (`--network none`), a unique name and
 * Lifeboat's labels. Anonymous volumes the image declares are removed with it. Leftovers of
 * earlier runs that a killed engine could not remove are swept first.
 */
export async function startScratch(docker: Docker, spec: ScratchSpec): Promise<Scratch> {
  await sweepStaleScratch(docker);
  const name = `${spec.prefix}-${randomBytes(5).toString('hex')}`;
  const container = await docker.createContainer({
    name,
    Image: spec.image,
    Labels: spec.labels,
    NetworkDisabled: true,
    ...(spec.env ? { Env: [...spec.env] } : {}),
    ...(spec.entrypoint !== undefined ? { Entrypoint: spec.entrypoint === null ? [] : [...spec.entrypoint] } : {}),
    ...(spec.cmd !== undefined ? { Cmd: spec.cmd === null ? [] : [...spec.cmd] } : {}),
    ...(spec.user !== undefined ? { User: spec.user } : {}),
    HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'no' }, ...(spec.binds ? { Binds: [...spec.binds] } : {}) },
  } as Docker.ContainerCreateOptions);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await container.remove({ force: true, v: true }).catch(() => undefined);
  };
  try {
    await container.start();
  } catch (err) {
    await remove();
    throw new LifeboatError('remote-failed', `could not start a scratch container from ${spec.image}: ${(err as Error).message}`, 'check that the image is still on the server ("docker image ls")');
  }
  return { name, remove };
}

/** Runs `argv` in the container every 300 ms until it exits 0; fails after `timeoutMs` with the container's last log lines. */
export async function waitUntil(docker: Docker, container: string, argv: readonly string[], what: string, timeoutMs = 90_000, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = (await docker.getContainer(container).inspect()) as { State?: { Running?: boolean; ExitCode?: number } };
    if (!state.State?.Running) throw new LifeboatError('remote-failed', `${what}: the container ${container} exited (code ${state.State?.ExitCode ?? '?'})${await logTail(docker, container)}`);
    const probe = await runInContainer(docker, container, argv, signal ? { signal } : {}).catch(() => undefined);
    if (probe?.code === 0) return;
    if (Date.now() > deadline) throw new LifeboatError('timeout', `${what}: not ready after ${Math.round(timeoutMs / 1000)} s${await logTail(docker, container)}`, 'the image may need settings Lifeboat does not know; see docs/restore.md');
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function logTail(docker: Docker, container: string): Promise<string> {
  try {
    const buf = (await docker.getContainer(container).logs({ stdout: true, stderr: true, tail: 5 })) as unknown as Buffer;
    // Keep printable text only (the multiplexed log stream has 8-byte binary frame headers).
    const text = [...buf.toString('utf8')].filter((ch) => ch >= ' ' || ch === '\n').join('').replace(/\n+/g, ' | ').trim();
    return text ? `; its log ends: ${text.slice(-400)}` : '';
  } catch {
    return '';
  }
}

/** The facts of an existing container a drill copies (image, env, entrypoint, command, user). */
export interface ContainerTemplate {
  readonly image: string;
  readonly env: string[];
  readonly entrypoint: string[] | null;
  readonly cmd: string[] | null;
  readonly user: string;
}

/** Reads a container's template, or undefined when it is gone. */
export async function containerTemplate(docker: Docker, name: string): Promise<ContainerTemplate | undefined> {
  try {
    const info = (await docker.getContainer(name).inspect()) as { Config?: { Image?: string; Env?: string[]; Entrypoint?: string[] | null; Cmd?: string[] | null; User?: string } };
    const c = info.Config ?? {};
    if (!c.Image) return undefined;
    return { image: c.Image, env: c.Env ?? [], entrypoint: c.Entrypoint ?? null, cmd: c.Cmd ?? null, user: c.User ?? '' };
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}
