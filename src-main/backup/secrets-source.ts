import { LifeboatError } from '../api/errors';
import type { HostConnection } from '../hosts/host-service';
import type { RemoteProcess } from '../hosts/remote-process';
import { shellQuote } from '../sync/shell-quote';
import { tarMembers } from '../sync/tar-ingest';
import { lastLine } from './dump-stream';
import type { BackupSource, SourceContext, SourceResult } from './source';

/**
 * One tar of the listed host files (paths relative to `/`, positional arguments only),
 * following symlinks so that a linked `.env` is saved by content. Run as root or through
 * `sudo -n`: compose files and `.env` files are often readable by root only.
 */
export const secretsTarScript = 'cd / && exec tar -chf - -- "$@"';

/** Upper bound for a secrets item: these are small config files, never data. */
const MAX_BYTES = 64 * 1024 * 1024;

/** Starts the tar as root on the host (directly or with `sudo -n`), or says why it cannot. */
export async function startSecretsTar(conn: HostConnection, paths: readonly string[], signal: AbortSignal): Promise<RemoteProcess> {
  const access = conn.probe?.fileAccess ?? 'none';
  if (!conn.spawn || access === 'none') {
    throw new LifeboatError('unsupported', `reading ${paths.length} config file${paths.length === 1 ? '' : 's'} on ${conn.host.name} needs an SSH login as root or with passwordless sudo`, 'connect as root or allow "sudo -n", then run discovery with --reprobe');
  }
  const command = `${access === 'sudo' ? 'sudo -n ' : ''}sh -c ${shellQuote(secretsTarScript)} lifeboat ${paths.map(shellQuote).join(' ')}`;
  return conn.spawn(command, { signal });
}

async function storeTree(ctx: SourceContext, proc: RemoteProcess): Promise<SourceResult> {
  const { job, item } = ctx;
  const tree = ctx.snapshot.addTree({ name: item.id, kind: item.kind, info: { secret: 'true', root: '/', format: 'files with modes and owners (tar -h)' }, signal: job.signal });
  let bytes = 0;
  let files = 0;
  try {
    for await (const m of tarMembers(proc.stdout, job.signal)) {
      const base = { path: m.path, mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtimeMs };
      if (m.type === 'file') {
        if (bytes + m.size > MAX_BYTES) throw new LifeboatError('unsupported', `the secrets of ${item.id} add up to more than ${MAX_BYTES / 2 ** 20} MiB`, 'these should be small config files; save large files as a volume or bind item');
        await tree.addFile(base, m.body);
        bytes += m.size;
        files++;
        job.meter.add(m.size);
        job.report();
      } else if (m.type === 'dir') {
        await tree.addEntry({ ...base, type: 'dir', size: 0 });
      } else {
        throw new LifeboatError('unsupported', `${m.path} is a ${m.type}, not a file`, 'secrets items hold regular files only');
      }
    }
    const exit = await proc.done;
    if (job.signal.aborted) throw new LifeboatError('cancelled', `reading the secrets of ${item.id} was cancelled`);
    if (exit.code !== 0) throw new LifeboatError('remote-failed', `reading the secrets of ${item.id} failed (exit ${exit.code ?? exit.signal ?? '?'}): ${lastLine(exit.stderr)}`, 'a listed file may have been removed or be unreadable; run discovery again');
    if (files === 0) throw new LifeboatError('remote-failed', `none of the files of ${item.id} could be read`, 'run discovery again');
    const stored = await tree.close();
    return { stored, warnings: [], bytesTransferred: bytes };
  } catch (err) {
    tree.abandon();
    await proc.kill().catch(() => undefined);
    throw err;
  }
}

/**
 * Secrets: `.env` files, compose files, env_files, certificates and keys, saved as one tree
 * item with modes, owners and times, and flagged secret (the vault encrypts everything; the
 * flag keeps them out of previews and marks them in lists).
 */
export const secretsSource: BackupSource = {
  kinds: ['secrets'],
  async backup(ctx) {
    const files = ctx.item.files ?? [];
    if (files.length === 0) throw new LifeboatError('not-found', `${ctx.item.id} lists no files`, 'run discovery again');
    const relative = files.map((f) => f.replace(/^\/+/, '')).filter((f) => f.length > 0);
    ctx.job.meter.setPhase('copy', `Reading ${ctx.item.id}`, { item: ctx.item.id, ...(ctx.item.sizeBytes ? { bytesTotal: ctx.item.sizeBytes } : {}) });
    ctx.job.report(true);
    const proc = await startSecretsTar(ctx.host, relative, ctx.job.signal);
    return storeTree(ctx, proc);
  },
};
