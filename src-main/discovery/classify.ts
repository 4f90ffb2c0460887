import type { ContainerInfo, Mount } from '../api/discovery-contract';
import type { ContainerInspect, ProcessList } from './docker-types';

/** Stack name used for containers and volumes outside any compose project. */
export const standaloneStack = '_';

/** Where a container belongs: its compose project (from labels) or `_`. */
export interface StackRef {
  readonly name: string;
  readonly compose: boolean;
  readonly service?: string;
  readonly workingDir?: string;
  readonly configFiles: readonly string[];
}

/** Compose labels → stack; one-off `compose run` containers still count for their project. */
export function stackOf(c: ContainerInspect): StackRef {
  const labels = c.Config?.Labels ?? {};
  const project = labels['com.docker.compose.project'];
  if (!project) return { name: standaloneStack, compose: false, configFiles: [] };
  const files = (labels['com.docker.compose.project.config_files'] ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  const workingDir = labels['com.docker.compose.project.working_dir'];
  const service = labels['com.docker.compose.service'];
  return { name: project, compose: true, configFiles: files, ...(workingDir ? { workingDir } : {}), ...(service ? { service } : {}) };
}

/** `/wiki-db-1` → `wiki-db-1`. */
export function containerName(c: ContainerInspect): string {
  return c.Name.replace(/^\//, '');
}

/** Env variable names only; values never leave this function's caller. */
export function envNames(c: ContainerInspect): string[] {
  return (c.Config?.Env ?? []).map((e) => e.split('=', 1)[0] ?? '').filter((n) => n.length > 0);
}

/** Reads one env value (for non-secret settings such as PGDATA); never use for output. */
export function envValue(c: ContainerInspect, name: string): string | undefined {
  const entry = (c.Config?.Env ?? []).find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

const secretLabel = /pass|secret|token|key|auth|users|credential/i;

/** Labels with secret-looking values masked (e.g. traefik basic-auth users). */
export function safeLabels(c: ContainerInspect): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.Config?.Labels ?? {})) out[k] = secretLabel.test(k) ? '<hidden>' : v;
  return out;
}

/** Mounts in discovery's shape. */
export function mountsOf(c: ContainerInspect): Mount[] {
  return (c.Mounts ?? []).map((m) => ({
    type: m.Type === 'volume' || m.Type === 'bind' || m.Type === 'tmpfs' ? m.Type : 'other',
    ...(m.Name ? { name: m.Name } : {}),
    source: m.Source,
    destination: m.Destination,
    rw: m.RW !== false,
  }));
}

const postgresImage = /(^|[/:_-])(postgres|postgis|timescaledb|pgvector|supabase\/postgres)([/:_-]|$)/i;
const mysqlImage = /(^|[/:_-])(mysql|mariadb|percona)([/:_-]|$)/i;

function words(c: ContainerInspect): string[] {
  const ep = c.Config?.Entrypoint;
  return [...(typeof ep === 'string' ? [ep] : ep ?? []), ...(c.Config?.Cmd ?? []), c.Path ?? '', ...(c.Args ?? [])].map((w) => w.split('/').pop() ?? w);
}

/**
 * Which database server a container runs, from its image, env and processes (any one is
 * enough, processes win): the same signals an operator would look at.
 */
export function databaseKind(c: ContainerInspect, processes: ProcessList = []): 'postgres' | 'mysql' | undefined {
  const procs = processes.map((p) => (p.split(/\s+/)[0] ?? '').split('/').pop() ?? '');
  if (procs.some((p) => p === 'postgres' || p === 'postmaster')) return 'postgres';
  if (procs.some((p) => p === 'mysqld' || p === 'mariadbd')) return 'mysql';
  const image = c.Config?.Image ?? '';
  const env = envNames(c);
  const cmd = words(c);
  if (postgresImage.test(image) || cmd.includes('postgres') || env.includes('PGDATA') || env.some((n) => n.startsWith('POSTGRES_'))) return 'postgres';
  if (mysqlImage.test(image) || cmd.includes('mysqld') || cmd.includes('mariadbd') || env.some((n) => n.startsWith('MYSQL_') || n.startsWith('MARIADB_'))) {
    // An app with MYSQL_HOST etc. is a client, not a server: require a server hint besides env.
    if (mysqlImage.test(image) || cmd.includes('mysqld') || cmd.includes('mariadbd') || env.some((n) => /^(MYSQL|MARIADB)_(ROOT_PASSWORD|ALLOW_EMPTY|RANDOM_ROOT)/.test(n))) return 'mysql';
  }
  return undefined;
}

/** The data directory a database server writes (PGDATA, or the image defaults). */
export function dataDirectory(c: ContainerInspect, kind: 'postgres' | 'mysql'): string {
  if (kind === 'postgres') return envValue(c, 'PGDATA') ?? '/var/lib/postgresql/data';
  return '/var/lib/mysql';
}

function isWithin(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return path === dir || path.startsWith(d);
}

/** The mount holding a database's data directory: a dump covers it, raw copies skip it by default. */
export function dataMount(c: ContainerInspect, kind: 'postgres' | 'mysql'): Mount | undefined {
  const dir = dataDirectory(c, kind);
  const candidates = mountsOf(c).filter((m) => (m.type === 'volume' || m.type === 'bind') && isWithin(dir, m.destination));
  return candidates.sort((a, b) => b.destination.length - a.destination.length)[0];
}

const systemBindSources = ['/var/run/docker.sock', '/run/docker.sock', '/etc/localtime', '/etc/timezone', '/etc/hosts', '/etc/resolv.conf', '/etc/machine-id'];
const systemBindTrees = ['/proc', '/sys', '/dev', '/run/udev', '/lib/modules', '/usr/lib/modules', '/var/run/dbus', '/run/dbus'];

/** Bind mounts of the operating system (sockets, clocks, /proc…) are not user data. */
export function isSystemBind(source: string): boolean {
  if (source === '/' || systemBindSources.includes(source)) return true;
  return systemBindTrees.some((t) => isWithin(source, t));
}

/** A container in the inventory's shape. */
export function containerInfo(c: ContainerInspect, database?: 'postgres' | 'mysql'): ContainerInfo {
  const stack = stackOf(c);
  return {
    id: c.Id.slice(0, 12),
    name: containerName(c),
    image: c.Config?.Image ?? '',
    state: c.State?.Status ?? 'unknown',
    ...(stack.service ? { service: stack.service } : {}),
    labels: safeLabels(c),
    envNames: envNames(c),
    mounts: mountsOf(c),
    ...(database ? { database } : {}),
  };
}
