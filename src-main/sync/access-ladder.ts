import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import { containerSpawn } from '../hosts/docker-spawn';
import type { HostConnection } from '../hosts/host-service';
import { parseProbeOutput, pullToolsScript } from '../hosts/probe';
import type { RemoteProcess, SpawnOptions } from '../hosts/remote-process';
import { shellCommand } from './shell-quote';

/** The ways to read a tree, best first (docs/volume-pull.md). */
export const rungs = ['host', 'host-sudo', 'container', 'archive'] as const;
/** One rung of the ladder. */
export type Rung = (typeof rungs)[number];

/** A shell next to the files: the quick check, one tar of what changed, block delta. */
export interface ShellAccess {
  readonly rung: 'host' | 'host-sudo' | 'container';
  /** The tree's root as the shell sees it (host path, or the mount point inside the container). */
  readonly root: string;
  readonly container?: string;
  readonly tools: ReadonlySet<string>;
  /** Runs a constant `sh -c` script with server-supplied values only as positional arguments. */
  run(script: string, args: readonly string[], options?: SpawnOptions): Promise<RemoteProcess>;
}

/** Docker's archive endpoint: the whole tree as one tar stream, every time. */
export interface ArchiveAccess {
  readonly rung: 'archive';
  readonly container: string;
  /** The mount point inside the container. */
  readonly root: string;
  open(signal?: AbortSignal): Promise<Readable>;
}

/** How a tree is read. */
export type TreeAccess = ShellAccess | ArchiveAccess;

/** What to read: a named volume, or a bind mount's source path on the host. */
export type TreeTarget = { readonly kind: 'volume'; readonly volume: string } | { readonly kind: 'bind'; readonly path: string };

/** Options of `chooseAccess`. */
export interface LadderOptions {
  readonly force?: Rung;
  readonly signal?: AbortSignal;
  /** Rungs not to try (a second choice after the host path turned out unreachable). */
  readonly exclude?: readonly Rung[];
  /** Notes carried over from an earlier choice. */
  readonly skipped?: readonly string[];
  /**
   * `false` skips entering the host path before choosing it (one exec less per pull); the
   * caller then handles `not-found` from the listing with `unreachableNote` and a second choice.
   */
  readonly verifyHost?: boolean;
}

/** Why the host rung was passed over when its path cannot be entered. */
export function unreachableNote(access: { readonly rung: Rung; readonly root: string }): string {
  return `${access.rung}: ${access.root} cannot be entered${access.rung === 'host-sudo' ? ' with sudo -n' : ''} (is Docker running in a VM?)`;
}

/** A chosen rung and why the better ones were passed over. */
export interface AccessChoice {
  readonly access: TreeAccess;
  readonly skipped: string[];
}

interface Candidate {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  readonly destination: string;
}

const hostTools = new WeakMap<HostConnection, Promise<Set<string>>>();
const containerTools = new WeakMap<HostConnection, Map<string, Promise<Set<string>>>>();

async function collect(proc: RemoteProcess): Promise<{ text: string; code: number | null }> {
  const parts: Buffer[] = [];
  for await (const chunk of proc.stdout as AsyncIterable<Buffer>) parts.push(chunk);
  const exit = await proc.done;
  return { text: Buffer.concat(parts).toString('utf8'), code: exit.code };
}

/** Tools of the host: from the remembered probe when it knows the GNU flavours, else asked once per connection. */
function toolsOfHost(conn: HostConnection, signal?: AbortSignal): Promise<Set<string>> {
  const known = conn.probe?.tools ?? [];
  if (known.includes('gnufind')) return Promise.resolve(new Set(known));
  let pending = hostTools.get(conn);
  if (!pending) {
    const exec = conn.exec;
    pending = exec
      ? exec(pullToolsScript, { timeoutMs: 15_000, ...(signal ? { signal } : {}) }).then((r) => new Set([...known, ...parseProbeOutput(r.stdout.toString('utf8')).tools]))
      : Promise.resolve(new Set<string>());
    hostTools.set(conn, pending);
  }
  return pending;
}

/** Tools inside a container (as root), asked once per connection and container. */
function toolsOfContainer(conn: HostConnection, container: string, signal?: AbortSignal): Promise<Set<string>> {
  let byId = containerTools.get(conn);
  if (!byId) containerTools.set(conn, (byId = new Map()));
  let pending = byId.get(container);
  if (!pending) {
    pending = containerSpawn(conn.docker, container, ['sh', '-c', pullToolsScript], { user: '0', ...(signal ? { signal } : {}) })
      .then(collect)
      .then((r) => new Set(parseProbeOutput(r.text).tools))
      .catch(() => new Set<string>());
    byId.set(container, pending);
  }
  return pending;
}

async function candidates(docker: Docker, target: TreeTarget): Promise<Candidate[]> {
  const list = await docker.listContainers({ all: true });
  const out: Candidate[] = [];
  for (const c of list) {
    for (const m of c.Mounts ?? []) {
      const hit = target.kind === 'volume' ? m.Type === 'volume' && m.Name === target.volume : m.Type === 'bind' && m.Source === target.path;
      if (hit) out.push({ id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''), running: c.State === 'running', destination: m.Destination });
    }
  }
  return out.sort((a, b) => Number(b.running) - Number(a.running) || a.name.localeCompare(b.name));
}

async function hostRoot(docker: Docker, target: TreeTarget): Promise<string> {
  if (target.kind === 'bind') return target.path;
  try {
    const info = (await docker.getVolume(target.volume).inspect()) as { Mountpoint?: string };
    if (!info.Mountpoint) throw new Error('no mountpoint');
    return info.Mountpoint;
  } catch (err) {
    throw new LifeboatError('not-found', `volume ${target.volume} is not on this host: ${(err as Error).message}`, 'run discovery again; the volume may have been removed');
  }
}

function hostShell(conn: HostConnection, rung: 'host' | 'host-sudo', root: string, tools: Set<string>): ShellAccess {
  const spawn = conn.spawn;
  if (!spawn) throw new LifeboatError('unsupported', 'this host has no SSH shell');
  return {
    rung,
    root,
    tools,
    run: (script, args, options) => spawn(shellCommand([...(rung === 'host-sudo' ? ['sudo', '-n', '--'] : []), 'sh', '-c', script, 'sh', ...args]), options),
  };
}

function containerShell(conn: HostConnection, c: Candidate, tools: Set<string>): ShellAccess {
  return {
    rung: 'container',
    root: c.destination,
    container: c.name,
    tools,
    run: (script, args, options) => containerSpawn(conn.docker, c.id, ['sh', '-c', script, 'sh', ...args], { ...options, user: '0' }),
  };
}

function archive(conn: HostConnection, c: Candidate): ArchiveAccess {
  return {
    rung: 'archive',
    container: c.name,
    root: c.destination,
    open: async (signal) => (await conn.docker.getContainer(c.id).getArchive({ path: c.destination, ...(signal ? { abortSignal: signal } : {}) } as never)) as unknown as Readable,
  };
}

/** The tools a shell rung needs: GNU find (for -printf) and GNU tar (for --null -T -). */
export function canPull(tools: ReadonlySet<string>): boolean {
  return tools.has('gnufind') && tools.has('gnutar');
}

/** The block delta additionally needs `split --filter`, `sha256sum` and `dd`. */
export function canDelta(tools: ReadonlySet<string>): boolean {
  return tools.has('gnusplit') && tools.has('sha256sum') && tools.has('dd');
}

async function reachable(access: ShellAccess, signal?: AbortSignal): Promise<boolean> {
  const proc = await access.run('cd -- "$1"', [access.root], signal ? { signal } : {});
  return (await collect(proc)).code === 0;
}

/**
 * Picks the best way to read a volume or bind mount: host paths over SSH as root or with
 * `sudo -n`; else a running container that mounts it and has GNU find and tar; else Docker's
 * archive endpoint on any container that mounts it (running or not). `force` takes exactly
 * that rung or fails saying why (tests, and people who know better).
 */
export async function chooseAccess(conn: HostConnection, target: TreeTarget, options: LadderOptions = {}): Promise<AccessChoice> {
  const { force, signal } = options;
  const skipped: string[] = [...(options.skipped ?? [])];
  const excluded = new Set(options.exclude ?? []);
  const wanted = (r: Rung) => !excluded.has(r) && (force === undefined || force === r);
  const what = target.kind === 'volume' ? `volume ${target.volume}` : `bind mount ${target.path}`;

  const fileAccess = conn.probe?.fileAccess ?? 'none';
  const hostRung: 'host' | 'host-sudo' | undefined = force === 'host-sudo' || (force !== 'host' && fileAccess === 'sudo') ? 'host-sudo' : force === 'host' || fileAccess === 'root' ? 'host' : undefined;
  if (hostRung && wanted(hostRung)) {
    if (!conn.spawn) skipped.push('host: no SSH shell (Docker API only)');
    else {
      const tools = await toolsOfHost(conn, signal);
      if (!canPull(tools)) skipped.push('host: GNU find and tar are not both installed');
      else {
        const access = hostShell(conn, hostRung, await hostRoot(conn.docker, target), tools);
        if (options.verifyHost === false || (await reachable(access, signal))) return { access, skipped };
        skipped.push(unreachableNote(access));
      }
    }
  } else if (!excluded.has('host') && (wanted('host') || wanted('host-sudo'))) {
    skipped.push(`host: ${conn.probe?.user ?? 'the SSH user'} is neither root nor allowed passwordless sudo`);
  }

  const users = await candidates(conn.docker, target);
  if (wanted('container')) {
    const running = users.filter((u) => u.running);
    if (running.length === 0) skipped.push('container: no running container mounts it');
    for (const c of running) {
      const tools = await toolsOfContainer(conn, c.id, signal);
      if (canPull(tools)) return { access: containerShell(conn, c, tools), skipped };
      skipped.push(`container ${c.name}: no GNU find/tar inside (busybox?)`);
    }
  }
  if (wanted('archive')) {
    const first = users[0];
    if (first) return { access: archive(conn, first), skipped };
    skipped.push('archive: no container mounts it');
  }
  throw new LifeboatError(
    'unsupported',
    `no way to read ${what}${force ? ` through the ${force} rung` : ''}: ${skipped.join('; ')}`,
    target.kind === 'volume'
      ? 'connect as root or allow passwordless sudo, or attach the volume to a container (even a stopped one) so Docker can archive it'
      : 'connect as root or allow passwordless sudo so Lifeboat can read the host path',
  );
}
