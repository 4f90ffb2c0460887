import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { posix } from 'node:path';
import type Docker from 'dockerode';
import type { Inventory } from '../api/discovery-contract';
import type { HostConnection } from '../hosts/host-service';
import { shellQuote } from '../hosts/ssh-exec';
import { containerName, databaseKind, dataMount, isSystemBind, mountsOf, stackOf } from './classify';
import { postgresListScript, mysqlListScript, listingError, parseDatabaseList } from './database-listing';
import { containerExec } from './docker-exec';
import type { ContainerInspect, VolumeInspect } from './docker-types';
import { type DatabaseListing, type DiscoveryFacts, type FoundFile, buildStacks } from './inventory';
import { type ScanName, combinedScanArgs, combinedScanScript, composeEnvFiles, fileSizesScript, parseFileContents, parseSizedPaths, parseSqliteHeads, processesByContainer, psScript, splitSections, sqliteScanScript } from './remote-scans';

/** Runs `fn` over items with at most `limit` in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Phases of discovery, for progress reporting. */
export type DiscoveryPhase = 'inspect' | 'databases' | 'files' | 'build';

/** Discovery of one open host: Docker API for the shape, small remote scans for the rest. */
export async function discoverHost(
  conn: HostConnection,
  options: { signal?: AbortSignal; onPhase?: (phase: DiscoveryPhase, label: string) => void } = {},
): Promise<Inventory> {
  const started = Date.now();
  const { docker } = conn;
  const signal = options.signal;
  // Many API calls in flight share the one signal; each adds a listener while it runs.
  if (signal) setMaxListeners(200, signal);
  const warnings: string[] = [...conn.host.warnings.filter((w) => w.startsWith('WARNING'))];
  options.onPhase?.('inspect', 'Reading containers and volumes');
  const abortable = signal ? { abortSignal: signal } : {};
  // The host's process table (one `ps` over SSH) tells which containers run a database server.
  const psOut = conn.exec ? conn.exec(psScript, { timeoutMs: 15_000, ...(signal ? { signal } : {}) }).then((r) => r.stdout, () => Buffer.alloc(0)) : Promise.resolve(Buffer.alloc(0));
  const [version, list, volumeList] = await Promise.all([
    docker.version(abortable as never) as unknown as Promise<{ Version?: string; ApiVersion?: string; Os?: string; Arch?: string }>,
    docker.listContainers({ all: true, ...abortable } as never) as unknown as Promise<{ Id: string }[]>,
    docker.listVolumes(abortable as never) as unknown as Promise<{ Volumes?: VolumeInspect[] | null }>,
  ]);
  const containers = (await mapLimit(list, 8, (c) => docker.getContainer(c.Id).inspect(abortable as never) as unknown as Promise<ContainerInspect>));
  const volumes = volumeList.Volumes ?? [];
  const initPids = new Map(containers.filter((c) => c.State?.Running && c.State.Pid).map((c) => [c.Id, c.State?.Pid ?? 0] as const));
  const processes = processesByContainer((await psOut).toString('utf8'), initPids);

  options.onPhase?.('databases', 'Asking database servers for their databases');
  const dbs = containers.map((c) => ({ c, kind: databaseKind(c, processes.get(c.Id)) })).filter((d) => d.kind && d.c.State?.Running);
  const databases = new Map<string, DatabaseListing>();
  const dbWork = mapLimit(dbs, 4, async ({ c, kind }) => {
    const script = kind === 'postgres' ? postgresListScript : mysqlListScript;
    try {
      const r = await containerExec(docker, c.Id, ['sh', '-c', script], { timeoutMs: 20_000, ...(signal ? { signal } : {}) });
      databases.set(containerName(c), r.exitCode === 0 ? { databases: parseDatabaseList(kind as 'postgres' | 'mysql', r.stdout.toString('utf8')) } : { error: listingError(r.exitCode, r.stderr) });
    } catch (err) {
      databases.set(containerName(c), { error: err instanceof Error ? err.message : String(err) });
    }
  });

  options.onPhase?.('files', 'Looking for SQLite files, secrets and sizes');
  const files = gatherFiles(conn, containers, volumes, warnings, signal);
  const [facts] = await Promise.all([files, dbWork]);

  options.onPhase?.('build', 'Building the inventory');
  const stacks = buildStacks({ containers, volumes, processes, databases, ...facts });
  const items = stacks.flatMap((s) => s.items);
  return {
    host: conn.host.name,
    discoveredAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    docker: { version: version.Version ?? 'unknown', apiVersion: version.ApiVersion ?? 'unknown', os: version.Os ?? 'unknown', arch: version.Arch ?? 'unknown' },
    ...(conn.probe ? { access: conn.probe } : {}),
    stacks,
    totals: {
      stacks: stacks.length,
      containers: stacks.reduce((a, s) => a + s.containers.length, 0),
      items: items.length,
      sizeBytes: items.filter((i) => !i.covered).reduce((a, i) => a + (i.sizeBytes ?? 0), 0),
    },
    warnings,
  };
}

type FileFacts = Pick<DiscoveryFacts, 'sqlite' | 'stackFiles' | 'certs' | 'sizes'>;

async function gatherFiles(conn: HostConnection, containers: readonly ContainerInspect[], volumes: readonly VolumeInspect[], warnings: string[], signal?: AbortSignal): Promise<FileFacts> {
  const covered = new Set(containers.flatMap((c) => {
    const kind = databaseKind(c);
    const m = kind ? dataMount(c, kind) : undefined;
    return m?.name ? [m.name] : [];
  }));
  const binds = [...new Set(containers.flatMap((c) => mountsOf(c).filter((m) => m.type === 'bind' && !isSystemBind(m.source)).map((m) => m.source)))];
  const scanVolumes = volumes.filter((v) => !covered.has(v.Name));
  const access = conn.probe?.fileAccess ?? 'none';
  const sizes = new Map<string, number>();
  const sqlite = new Map<string, FoundFile[]>();
  const certs = new Map<string, FoundFile[]>();
  const stackFiles = new Map<string, FoundFile[]>();
  const exec = conn.exec;
  const run = exec
    ? async (script: string, args: readonly string[], sudo: boolean) => {
        if (args.length === 0) return Buffer.alloc(0);
        const cmd = `${sudo ? 'sudo -n ' : ''}sh -c ${shellQuote(script)} sh ${args.map(shellQuote).join(' ')}`;
        const r = await exec(cmd, { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
        return r.stdout;
      }
    : undefined;
  const sudo = access === 'sudo';

  const stacks = new Map<string, ReturnType<typeof stackOf>>();
  for (const c of containers) {
    const s = stackOf(c);
    if (s.compose && !stacks.has(s.name)) stacks.set(s.name, s);
  }
  const work: Promise<unknown>[] = [];
  if (run) {
    work.push(
      (async () => {
        // One exec for all host scans (each SSH exec costs a session setup on the server), then
        // one more for the sizes of the files that the first pass pointed at.
        const names: ScanName[] = access === 'none' ? ['compose', 'certs'] : ['compose', 'certs', 'du', 'sqlite'];
        const composeFiles = [...new Set([...stacks.values()].flatMap((s) => s.configFiles))];
        const groups = [composeFiles, binds, [...volumes.map((v) => v.Mountpoint), ...binds], scanVolumes.map((v) => v.Mountpoint)];
        const nonce = `lifeboat-${randomBytes(12).toString('hex')}`;
        const sections = splitSections(await run(combinedScanScript(names), combinedScanArgs(nonce, groups.slice(0, names.length)), sudo), nonce);
        const texts = parseFileContents(sections.get('compose') ?? Buffer.alloc(0));
        const candidates = new Map<string, string[]>();
        for (const s of stacks.values()) {
          const list = [...s.configFiles, ...(s.workingDir ? [posix.join(s.workingDir, '.env')] : [])];
          for (const f of s.configFiles) list.push(...composeEnvFiles(texts.get(f) ?? '', f));
          candidates.set(s.name, [...new Set(list)]);
        }
        for (const f of parseSizedPaths(sections.get('certs') ?? Buffer.alloc(0))) {
          const bind = binds.filter((b) => f.path === b || f.path.startsWith(`${b}/`)).sort((a, b) => b.length - a.length)[0];
          if (bind) certs.set(bind, [...(certs.get(bind) ?? []), f]);
        }
        for (const f of parseSizedPaths(sections.get('du') ?? Buffer.alloc(0))) {
          const v = volumes.find((x) => x.Mountpoint === f.path);
          sizes.set(v ? `volume:${v.Name}` : `bind:${f.path}`, f.sizeBytes);
        }
        const heads = parseSqliteHeads(sections.get('sqlite') ?? Buffer.alloc(0));
        const wanted = [...new Set([...[...candidates.values()].flat(), ...heads])];
        const found = parseSizedPaths(await run(fileSizesScript, wanted, sudo));
        for (const [name, list] of candidates) stackFiles.set(name, found.filter((f) => list.includes(f.path)));
        for (const f of found.filter((x) => heads.includes(x.path))) {
          const v = scanVolumes.find((x) => f.path.startsWith(`${x.Mountpoint}/`));
          if (v) sqlite.set(v.Name, [...(sqlite.get(v.Name) ?? []), { path: f.path.slice(v.Mountpoint.length + 1), sizeBytes: f.sizeBytes }]);
        }
      })(),
    );
  }
  if (access === 'none') work.push(viaContainers(conn.docker, containers, scanVolumes, sqlite, sizes, warnings, signal));
  const results = await Promise.allSettled(work);
  for (const r of results) if (r.status === 'rejected') warnings.push(`part of the file scan failed: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
  return { sizes, sqlite, certs, stackFiles };
}

/** Without host file access: sizes from the Docker API, SQLite through running containers. */
async function viaContainers(docker: Docker, containers: readonly ContainerInspect[], volumes: readonly VolumeInspect[], sqlite: Map<string, FoundFile[]>, sizes: Map<string, number>, warnings: string[], signal?: AbortSignal): Promise<void> {
  try {
    const df = (await docker.df((signal ? { abortSignal: signal } : {}) as never)) as unknown as { Volumes?: { Name: string; UsageData?: { Size?: number } }[] };
    for (const v of df.Volumes ?? []) if ((v.UsageData?.Size ?? -1) >= 0) sizes.set(`volume:${v.Name}`, v.UsageData?.Size ?? 0);
  } catch {
    warnings.push('volume sizes are unknown: the Docker API did not report them');
  }
  await mapLimit(volumes, 4, async (v) => {
    const user = containers.find((c) => c.State?.Running && mountsOf(c).some((m) => m.name === v.Name));
    const mount = user ? mountsOf(user).find((m) => m.name === v.Name) : undefined;
    if (!user || !mount) {
      warnings.push(`${v.Name}: not scanned for SQLite files (no running container mounts it and the host cannot be read)`);
      return;
    }
    try {
      const heads = await containerExec(docker, user.Id, ['sh', '-c', sqliteScanScript, 'sh', mount.destination], { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
      const paths = parseSqliteHeads(heads.stdout);
      if (paths.length === 0) return;
      const sized = await containerExec(docker, user.Id, ['sh', '-c', `for f in "$@"; do printf '%s\\t%s\\0' "$(wc -c < "$f")" "$f"; done`, 'sh', ...paths], { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
      sqlite.set(v.Name, parseSizedPaths(sized.stdout).map((f) => ({ path: posix.relative(mount.destination, f.path), sizeBytes: f.sizeBytes })));
    } catch (err) {
      warnings.push(`${v.Name}: SQLite scan through ${containerName(user)} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}
