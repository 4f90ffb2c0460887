import { LifeboatError } from '../api/errors';
import type { TreeEntry } from '../vault/snapshots';
import type { ArchiveAccess } from './access-ladder';
import { defaultBlockSize } from './block-delta';
import { WireCounter } from './remote-tree';
import { receiveTar } from './tar-ingest';
import { TarFileStore } from './ingest-pipeline';
import { type PullContext, type PullOptions, type PulledTree, type RootMeta, defaultDeltaThreshold, ingestInto, storeMember, wholeIngest } from './tree-pull';

/**
 * The last rung: Docker's archive endpoint (`GET /containers/{id}/archive`) on a container that
 * mounts the tree, running or stopped. The whole tree travels every time (no quick check is
 * possible without a shell); the vault still deduplicates it, so only changed chunks are
 * stored. Times are whole seconds or milliseconds, as the archive carries them (no `mtimeNs`).
 */
export async function pullArchive(access: ArchiveAccess, ctx: PullContext, tuning: PullOptions = {}): Promise<PulledTree> {
  const threshold = tuning.deltaThreshold ?? defaultDeltaThreshold;
  const blockSize = tuning.blockSize ?? defaultBlockSize;
  const { signal } = ctx;
  const wire = new WireCounter();
  const ingest = wholeIngest(ingestInto(ctx));
  const entries: TreeEntry[] = [];
  const warnings: string[] = [];
  let root: RootMeta | undefined;
  let top: string | undefined;
  let fetchedBytes = 0;
  ctx.phase?.('transfer');
  let raw;
  try {
    raw = await access.open(signal);
  } catch (err) {
    if (signal?.aborted) throw new LifeboatError('cancelled', 'the transfer was cancelled');
    throw new LifeboatError('remote-failed', `Docker could not archive ${access.root} of ${access.container}: ${(err as Error).message}`, 'check that the container still exists (docker ps -a) and run the backup again');
  }
  const files = new TarFileStore();
  const stored = new Map<TreeEntry, Promise<{ chunks: string[]; size: number; blocks?: TreeEntry['blocks'] }>>();
  const byPath = new Map<string, TreeEntry>();
  try {
    await receiveTar(
      raw,
      (m, flow) => {
        const slash = m.path.indexOf('/');
        const first = slash < 0 ? m.path : m.path.slice(0, slash);
        top ??= first;
        if (first !== top) throw new LifeboatError('corrupt', `Docker's archive of ${access.root} holds an unexpected top-level name`, 'run the backup again');
        const path = slash < 0 ? '' : m.path.slice(slash + 1);
        const base = { mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtimeMs, size: 0 };
        if (path === '') {
          root = { mode: m.mode, uid: m.uid, gid: m.gid, mtimeMs: m.mtimeMs };
          return undefined;
        }
        if (m.type === 'file') {
          const entry: TreeEntry = { ...base, path, type: 'file' };
          const { sink, done } = storeMember(files, ingest, m.size, flow, threshold, blockSize);
          stored.set(entry, done);
          byPath.set(path, entry);
          entries.push(entry);
          return sink;
        }
        if (m.type === 'hardlink') {
          const target = byPath.get((m.linkpath ?? '').slice(top.length + 1));
          const body = target && stored.get(target);
          if (!body) warnings.push(`${path}: hard link to a file the archive did not hold; left out`);
          else {
            const entry: TreeEntry = { ...base, path, type: 'file' };
            stored.set(entry, body);
            entries.push(entry);
          }
        } else if (m.type === 'symlink') {
          entries.push({ ...base, path, type: 'symlink', link: m.linkpath ?? '' });
        } else {
          entries.push({ ...base, path, type: m.type });
        }
        return undefined;
      },
      { ...(signal ? { signal } : {}), onBytes: (n) => (wire.received += n) },
    );
  } catch (err) {
    await files.drain().catch(() => undefined);
    throw err;
  }
  await files.drain();
  for (const [entry, body] of stored) {
    const s = await body;
    Object.assign(entry, { size: s.size, chunks: s.chunks, ...(s.blocks ? { blocks: s.blocks } : {}) });
    fetchedBytes += s.size;
  }
  const count = entries.filter((e) => e.type === 'file').length;
  return {
    entries,
    ...(root ? { root } : {}),
    warnings,
    stats: { files: count, reused: 0, fetched: count, fetchedBytes, delta: 0, deltaBlocks: 0, deltaBlocksFetched: 0, wireReceived: wire.received, wireSent: wire.sent },
  };
}
