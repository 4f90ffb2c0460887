import type { Item, ItemKind, Stack } from '../api/discovery-contract';
import { containerInfo, containerName, databaseKind, dataMount, isSystemBind, mountsOf, standaloneStack, stackOf } from './classify';
import type { ContainerInspect, ProcessList, VolumeInspect } from './docker-types';

/** A file found on the host, with its size. */
export interface FoundFile {
  readonly path: string;
  readonly sizeBytes: number;
}

/** Databases one server reported, or why it could not be asked. */
export type DatabaseListing = { readonly databases: readonly { name: string; sizeBytes?: number }[] } | { readonly error: string };

/** Everything discovery gathered from a host; `buildStacks` turns it into the inventory tree. */
export interface DiscoveryFacts {
  readonly containers: readonly ContainerInspect[];
  readonly volumes: readonly VolumeInspect[];
  /** Process names by container id (running containers). */
  readonly processes?: ReadonlyMap<string, ProcessList>;
  /** By container name. */
  readonly databases?: ReadonlyMap<string, DatabaseListing>;
  /** SQLite files by volume name, paths relative to the volume's root. */
  readonly sqlite?: ReadonlyMap<string, readonly FoundFile[]>;
  /** Compose files, .env and env_files that exist, by stack. */
  readonly stackFiles?: ReadonlyMap<string, readonly FoundFile[]>;
  /** Certificates and keys found in bind mounts, by bind source. */
  readonly certs?: ReadonlyMap<string, readonly FoundFile[]>;
  /** Sizes: `volume:<name>` or `bind:<source>`. */
  readonly sizes?: ReadonlyMap<string, number>;
}

interface Draft {
  stack: string;
  kind: ItemKind;
  name: string;
  rest: Omit<Item, 'id' | 'stack' | 'kind' | 'name' | 'covered' | 'secret' | 'notes'> & { notes?: string[] };
  covered?: boolean;
  secret?: boolean;
}

/** `<stack>/<kind>:<name>`: the stable id of an item. */
export function itemId(stack: string, kind: ItemKind, name: string): string {
  return `${stack}/${kind}:${name}`;
}

function sumSizes(files: readonly FoundFile[]): number {
  return files.reduce((a, f) => a + f.sizeBytes, 0);
}

/**
 * Builds stacks → containers → items from gathered facts. Pure: the same facts give the same
 * inventory, which is what the unit tests check on captured `docker inspect` JSON.
 */
export function buildStacks(facts: DiscoveryFacts): Stack[] {
  const stacks = new Map<string, Stack & { containers: Stack['containers']; items: Item[] }>();
  const drafts: Draft[] = [];
  const ensure = (name: string, ref?: ReturnType<typeof stackOf>) => {
    let s = stacks.get(name);
    if (!s) {
      s = { name, compose: ref?.compose ?? false, configFiles: [...(ref?.configFiles ?? [])], containers: [], items: [], ...(ref?.workingDir ? { workingDir: ref.workingDir } : {}) };
      stacks.set(name, s);
    }
    return s;
  };
  const volumeUsers = new Map<string, string[]>();
  const coveredVolumes = new Map<string, string[]>();
  const coveredBinds = new Map<string, string[]>();
  const dbContainers = facts.containers
    .map((c) => ({ c, kind: databaseKind(c, facts.processes?.get(c.Id)) }))
    .filter((x): x is { c: ContainerInspect; kind: 'postgres' | 'mysql' } => x.kind !== undefined);

  for (const c of facts.containers) {
    const ref = stackOf(c);
    const db = dbContainers.find((d) => d.c === c)?.kind;
    ensure(ref.name, ref).containers.push(containerInfo(c, db));
    for (const m of mountsOf(c)) if (m.type === 'volume' && m.name) volumeUsers.set(m.name, [...(volumeUsers.get(m.name) ?? []), ref.name]);
  }

  for (const { c, kind } of dbContainers) {
    const ref = stackOf(c);
    const name = containerName(c);
    const sameKind = dbContainers.filter((d) => d.kind === kind && stackOf(d.c).name === ref.name).length;
    const prefix = sameKind > 1 ? `${ref.service ?? name}/` : '';
    const listing = facts.databases?.get(name);
    const mount = dataMount(c, kind);
    const ids: string[] = [];
    if (listing && 'databases' in listing) {
      for (const db of listing.databases) {
        const item = { stack: ref.name, kind, name: `${prefix}${db.name}`, rest: { container: name, ...(db.sizeBytes !== undefined ? { sizeBytes: db.sizeBytes } : {}) } };
        drafts.push(item);
        ids.push(itemId(ref.name, kind, item.name));
      }
      if (kind === 'postgres') {
        drafts.push({ stack: ref.name, kind, name: `${prefix}@globals`, rest: { container: name, notes: ['roles and tablespaces (pg_dumpall --globals-only)'] } });
        ids.push(itemId(ref.name, kind, `${prefix}@globals`));
      }
    }
    const why = listing && 'error' in listing ? listing.error : c.State?.Running === false ? `${name} is not running; start it so its databases can be dumped` : undefined;
    if (!mount) continue;
    if (ids.length > 0) {
      if (mount.type === 'volume' && mount.name) coveredVolumes.set(mount.name, ids);
      else coveredBinds.set(mount.source, ids);
    } else if (why) {
      drafts.push({ stack: ref.name, kind, name: `${prefix}*`, rest: { container: name, notes: [`databases not listed: ${why}; the data ${mount.type} is copied raw (crash-consistent only)`] } });
    }
  }

  for (const v of facts.volumes) {
    const labelled = v.Labels?.['com.docker.compose.project'];
    const users = volumeUsers.get(v.Name) ?? [];
    const stack = labelled ?? users[0] ?? standaloneStack;
    const covering = coveredVolumes.get(v.Name);
    const size = facts.sizes?.get(`volume:${v.Name}`);
    const notes: string[] = [];
    if (users.length === 0) notes.push('not used by any container');
    if (covering) notes.push('database data directory: covered by the dump, left out of raw copies by default');
    drafts.push({
      stack,
      kind: 'volume',
      name: v.Name,
      rest: { volume: v.Name, path: v.Mountpoint, ...(size !== undefined ? { sizeBytes: size } : {}), ...(covering ? { coveredBy: covering } : {}), notes },
      covered: covering !== undefined,
    });
    for (const f of facts.sqlite?.get(v.Name) ?? []) {
      const user = facts.containers.find((c) => mountsOf(c).some((m) => m.name === v.Name) && c.State?.Running);
      drafts.push({ stack, kind: 'sqlite', name: `${v.Name}/${f.path}`, rest: { volume: v.Name, path: f.path, sizeBytes: f.sizeBytes, ...(user ? { container: containerName(user) } : {}) } });
    }
  }

  const seenBinds = new Set<string>();
  for (const c of facts.containers) {
    const ref = stackOf(c);
    for (const m of mountsOf(c)) {
      if (m.type !== 'bind' || isSystemBind(m.source)) continue;
      const key = `${ref.name}\0${m.source}`;
      if (seenBinds.has(key)) continue;
      seenBinds.add(key);
      const covering = coveredBinds.get(m.source);
      const size = facts.sizes?.get(`bind:${m.source}`);
      drafts.push({
        stack: ref.name,
        kind: 'bind',
        name: m.source,
        rest: { container: containerName(c), path: m.source, ...(size !== undefined ? { sizeBytes: size } : {}), ...(covering ? { coveredBy: covering } : {}), notes: m.rw ? [] : ['mounted read-only'] },
        covered: covering !== undefined,
      });
      const certs = facts.certs?.get(m.source) ?? [];
      if (certs.length > 0) {
        const existing = drafts.find((d) => d.stack === ref.name && d.kind === 'secrets' && d.name === 'certs');
        const files = [...(existing?.rest.files ?? []), ...certs.map((f) => f.path)].sort();
        const bytes = (existing?.rest.sizeBytes ?? 0) + sumSizes(certs);
        if (existing) Object.assign(existing.rest, { files, sizeBytes: bytes });
        else drafts.push({ stack: ref.name, kind: 'secrets', name: 'certs', rest: { files, sizeBytes: bytes, notes: ['certificates and private keys found in bind mounts'] }, secret: true });
      }
    }
  }

  for (const [stack, files] of facts.stackFiles ?? []) {
    if (files.length === 0) continue;
    drafts.push({ stack, kind: 'secrets', name: 'compose', rest: { files: files.map((f) => f.path), sizeBytes: sumSizes(files), notes: ['compose files, .env and env_file files of the stack'] }, secret: true });
  }

  for (const d of drafts) {
    const { notes, ...rest } = d.rest;
    ensure(d.stack).items.push({ id: itemId(d.stack, d.kind, d.name), stack: d.stack, kind: d.kind, name: d.name, ...rest, covered: d.covered ?? false, secret: d.secret ?? d.kind === 'secrets', notes: notes ?? [] });
  }
  const kindOrder: ItemKind[] = ['postgres', 'mysql', 'sqlite', 'secrets', 'volume', 'bind'];
  const out = [...stacks.values()];
  for (const s of out) {
    s.containers.sort((a, b) => a.name.localeCompare(b.name));
    s.items.sort((a, b) => kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || a.name.localeCompare(b.name));
  }
  return out.sort((a, b) => (a.name === standaloneStack ? 1 : b.name === standaloneStack ? -1 : a.name.localeCompare(b.name)));
}
