import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import { containerSpawn } from '../hosts/docker-spawn';
import type { RemoteExit } from '../hosts/remote-process';
import { type DumpVerifier, lastLine } from './dump-stream';

/**
 * A verifier that reads the dump a second time as it streams: a command inside the same
 * container (e.g. `pg_restore -f /dev/null`) gets every byte on its stdin, with backpressure,
 * so verification costs no second transfer and no temp file; the dump counts only if the
 * command then exits 0. If the command dies early the dump is rejected and we stop feeding it.
 */
export async function teeVerifier(docker: Docker, container: string, argv: readonly string[], what: string, signal?: AbortSignal): Promise<DumpVerifier> {
  const input = new PassThrough({ highWaterMark: 1024 * 1024 });
  const proc = await containerSpawn(docker, container, argv, { stdin: input, ...(signal ? { signal } : {}) });
  proc.stdout.resume();
  let exit: RemoteExit | undefined;
  const done = proc.done.then((e) => (exit = e));
  // Writes after the process died would fail; they are dropped and `finish` reports why.
  input.on('error', () => undefined);
  return {
    async write(chunk) {
      if (exit || input.destroyed) return;
      if (!input.write(chunk)) await Promise.race([once(input, 'drain').catch(() => undefined), done, once(input, 'close').catch(() => undefined)]);
    },
    async finish() {
      input.end();
      const result = await done;
      if (result.code !== 0) {
        const why = lastLine(result.stderr);
        throw new LifeboatError('corrupt', `${what} rejected the dump (exit ${result.code ?? result.signal ?? '?'})${why ? `: ${why}` : ''}`, 'the item is left out of the snapshot; run the backup again, and check the server if it keeps happening');
      }
    },
    async abort() {
      input.destroy();
      await proc.kill();
    },
  };
}
