import { LifeboatError } from '../api/errors';
import { type Rung, type TreeTarget, chooseAccess, unreachableNote } from '../sync/access-ladder';
import { pullArchive } from '../sync/archive-pull';
import { type PullContext, type PullOptions, type PullPhase, type PulledTree, pullTree } from '../sync/tree-pull';
import type { BackupSource, SourceContext, SourceResult } from './source';

/** Options of the volume/bind source; the defaults are what the runner uses. */
export interface VolumeSourceOptions extends PullOptions {
  /** Take exactly this rung of the access ladder (tests; people who know better). */
  readonly force?: Rung;
}

/** Warnings kept on the snapshot per item; the job log gets them all. */
const MAX_WARNINGS = 50;

const phaseLabels: Record<PullPhase, string> = { listing: 'listing files', transfer: 'copying new and changed files', delta: 'copying changed blocks of large files' };

function targetOf(ctx: SourceContext): TreeTarget {
  const { item } = ctx;
  if (item.kind === 'volume') return { kind: 'volume', volume: item.volume ?? item.name };
  if (item.kind === 'bind') {
    const path = item.path ?? item.name;
    if (!path.startsWith('/')) throw new LifeboatError('bad-input', `bind mount ${item.id} has no absolute host path`, 'run discovery again');
    return { kind: 'bind', path };
  }
  throw new LifeboatError('bad-input', `the volume source cannot save a ${item.kind} item`);
}

function infoOf(pulled: PulledTree, rung: Rung, root: string, container: string | undefined, skipped: readonly string[]): Record<string, string> {
  const s = pulled.stats;
  const r = pulled.root;
  return {
    access: rung,
    root,
    ...(container ? { container } : {}),
    ...(skipped.length > 0 ? { accessNote: skipped.join('; ') } : {}),
    files: String(s.files),
    reused: String(s.reused),
    fetched: String(s.fetched),
    fetchedBytes: String(s.fetchedBytes),
    delta: String(s.delta),
    deltaBlocks: `${s.deltaBlocksFetched}/${s.deltaBlocks}`,
    bytesOnWire: String(s.wireReceived + s.wireSent),
    hardLinks: 'stored as separate files',
    ...(r ? { rootMode: r.mode.toString(8), rootUid: String(r.uid), rootGid: String(r.gid), rootMtime: String(r.mtimeMs), ...(r.mtimeNs ? { rootMtimeNs: r.mtimeNs } : {}) } : {}),
    ...(pulled.warnings.length > 0 ? { warnings: String(pulled.warnings.length) } : {}),
  };
}

/**
 * Saves a volume or a bind mount with the rsync-style pull (docs/volume-pull.md): picks the
 * best rung of the access ladder, pulls only what changed since the previous snapshot of the
 * item, and writes one tree item whose info says which rung was used and what travelled.
 */
export function createVolumeSource(options: VolumeSourceOptions = {}): BackupSource {
  return {
    kinds: ['volume', 'bind'],
    async backup(ctx: SourceContext): Promise<SourceResult> {
      const { item, job } = ctx;
      const signal = job.signal;
      const target = targetOf(ctx);
      job.meter.setPhase('listing', `${item.id}: choosing how to read it`, { item: item.id });
      job.report(true);
      const force = options.force ? { force: options.force } : {};
      // Unforced, the host path is not entered beforehand: a failed listing on it falls through.
      let { access, skipped } = await chooseAccess(ctx.host, target, { ...force, signal, verifyHost: options.force !== undefined });
      let phase: PullPhase | undefined;
      const previous = ctx.previous && ctx.previous.item.type === 'tree' && ctx.previous.item.kind === item.kind ? ctx.previous : undefined;
      const pull: PullContext = {
        snapshot: ctx.snapshot,
        vault: ctx.vault,
        item: {
          name: item.id,
          kind: item.kind,
          signal,
          onBytes: (n) => {
            job.meter.add(n);
            job.report();
          },
        },
        ...(previous ? { previous } : {}),
        signal,
        phase: (next, bytesTotal) => {
          phase = next;
          job.meter.setPhase(next, `${item.id}: ${phaseLabels[next]}`, { item: item.id, ...(bytesTotal !== undefined ? { bytesTotal } : {}) });
          job.report(true);
        },
      };
      const run = () => {
        job.log('info', `${item.id}: reading ${access.root} through the ${access.rung} rung${access.container ? ` (container ${access.container})` : ''}`);
        return access.rung === 'archive' ? pullArchive(access, pull, options) : pullTree(access, pull, options);
      };
      let pulled: PulledTree;
      try {
        pulled = await run();
      } catch (err) {
        // The host path could not be listed (Docker in a VM, a stale mount point, a sudo that
        // allows less than it seemed): nothing is stored yet, so the next rung takes over.
        const hostListing = (access.rung === 'host' || access.rung === 'host-sudo') && phase === 'listing' && !options.force;
        if (!(hostListing && err instanceof LifeboatError && (err.code === 'not-found' || err.code === 'remote-failed'))) throw err;
        job.log('warn', `${item.id}: ${err.message}; trying the next way in`);
        ({ access, skipped } = await chooseAccess(ctx.host, target, { signal, exclude: ['host', 'host-sudo'], skipped: [unreachableNote(access)] }));
        pulled = await run();
      }
      const info = infoOf(pulled, access.rung, access.root, access.container, skipped);
      const tree = ctx.snapshot.addTree({ name: item.id, kind: item.kind, info, signal });
      for (const entry of pulled.entries) await tree.addEntry(entry);
      const stored = await tree.close();
      for (const w of pulled.warnings) job.log('warn', `${item.id}: ${w}`);
      const warnings = pulled.warnings.slice(0, MAX_WARNINGS);
      if (pulled.warnings.length > MAX_WARNINGS) warnings.push(`… and ${pulled.warnings.length - MAX_WARNINGS} more (see the job log)`);
      return { stored, warnings, bytesTransferred: pulled.stats.wireReceived + pulled.stats.wireSent };
    },
  };
}

/** The volume/bind source with default options, as registered for the runner. */
export const volumeSource: BackupSource = createVolumeSource();
