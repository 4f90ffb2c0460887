import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerInfo } from '../api/discovery-contract';
import { LifeboatError } from '../api/errors';
import type { RemoteExit, RemoteProcess } from '../hosts/remote-process';
import { tarMembers } from '../sync/tar-ingest';
import { storeDump } from './dump-item';
import { checkedDump } from './dump-stream';
import type { SourceContext, SourceResult } from './source';
import { type SqliteFacts, localSqliteVerifier, pathInContainer, recordSqliteFacts } from './sqlite-check';
import { containersUsing, runningOnly, withContainersStopped } from './stop-containers';

function notFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404;
}

/** Size of a file inside a container (running or stopped), or undefined when it does not exist. */
async function fileSize(docker: Docker, container: string, path: string, signal: AbortSignal): Promise<number | undefined> {
  let archive: Readable;
  try {
    archive = (await docker.getContainer(container).getArchive({ path, abortSignal: signal } as never)) as unknown as Readable;
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
  try {
    for await (const member of tarMembers(archive, signal)) return member.size;
    return undefined;
  } finally {
    archive.destroy();
  }
}

/**
 * One file out of a container through the Docker archive endpoint, shaped like a remote
 * process so the dump checks apply unchanged: its stdout is the file's bytes, it "exits 0"
 * when the archive ended cleanly, and kill drops the stream.
 */
async function archiveFile(docker: Docker, container: string, path: string, signal: AbortSignal): Promise<RemoteProcess> {
  const archive = (await docker.getContainer(container).getArchive({ path, abortSignal: signal } as never)) as unknown as Readable;
  async function* body(): AsyncGenerator<Buffer> {
    for await (const member of tarMembers(archive, signal)) {
      if (member.type !== 'file') throw new LifeboatError('unsupported', `${path} in ${container} is not a regular file`, 'point the item at the database file itself');
      yield* member.body;
      return;
    }
    throw new LifeboatError('not-found', `${path} is not in ${container}`, 'run discovery again; the file may have moved');
  }
  const stdout = Readable.from(body(), { objectMode: false });
  const done = new Promise<RemoteExit>((resolve) => {
    stdout.on('end', () => resolve({ code: 0, stderr: '' }));
    stdout.on('error', (err) => resolve({ code: null, stderr: err.message }));
    stdout.on('close', () => resolve({ code: null, stderr: 'the archive stream was closed' }));
  });
  return {
    stdout,
    done,
    kill: async () => {
      archive.destroy();
      stdout.destroy();
    },
  };
}

/**
 * The copy for containers without `sqlite3`: every running container that mounts the volume
 * is stopped (so nothing writes the file), the file is read through the Docker archive
 * endpoint (which also works on stopped containers), the containers are started again — also
 * when the copy fails — and the copy is checked here with `PRAGMA integrity_check`. A `-wal`
 * or hot `-journal` left next to the file means committed data may live outside it, so the
 * copy is refused rather than saved incomplete.
 */
export async function sqliteArchiveCopy(ctx: SourceContext, candidates: readonly ContainerInfo[]): Promise<SourceResult> {
  const { docker } = ctx.host;
  const signal = ctx.job.signal;
  const reader = candidates[0] as ContainerInfo;
  const path = pathInContainer(reader, ctx.item) as string;
  const users = runningOnly(containersUsing(ctx.item, ctx.inventory), ctx.inventory);
  const what = `the SQLite file ${path} of ${reader.name}`;
  const info: Record<string, string> = { format: 'sqlite database file', container: reader.name, volume: ctx.item.volume ?? '', path: ctx.item.path ?? '', method: `copy with ${users.length > 0 ? users.join(', ') : 'no running containers'} stopped (no sqlite3 in the containers)` };
  const warnings: string[] = [];
  const facts: SqliteFacts = {};
  const { value, report } = await withContainersStopped(
    docker,
    users,
    async () => {
      for (const suffix of ['-wal', '-journal']) {
        const size = await fileSize(docker, reader.name, `${path}${suffix}`, signal);
        if (size !== undefined && size > 0) {
          throw new LifeboatError('unsupported', `${path}${suffix} (${size} bytes) is still there after stopping the containers, so the file alone may miss committed data`, 'start the app once and stop it cleanly (SQLite then folds the journal in), or add sqlite3 to its image for online copies');
        }
      }
      const proc = await archiveFile(docker, reader.name, path, signal);
      const verifier = localSqliteVerifier(what, facts);
      const stream = checkedDump(proc, { what, info, warnings, verifier, signal, ...(ctx.previous ? { previous: ctx.previous } : {}) });
      async function* recorded(): AsyncGenerator<Buffer> {
        yield* stream;
        recordSqliteFacts(info, facts);
      }
      return storeDump(ctx, info, warnings, recorded(), async () => {
        await verifier.abort();
        await proc.kill();
      });
    },
    ctx.job.log,
  );
  return { ...value, warnings: [...value.warnings, ...report.warnings] };
}
