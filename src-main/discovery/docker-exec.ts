import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';

/** Result of a command run inside a container. */
export interface ContainerExecResult {
  readonly exitCode: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs an argv array inside a container (never a shell string built from data), with a time
 * limit, an AbortSignal and an output cap. The container's own environment applies, so
 * credentials are read inside it and never pass through Lifeboat or an argument list.
 */
export async function containerExec(
  docker: Docker,
  container: string,
  argv: readonly string[],
  options: { timeoutMs?: number; signal?: AbortSignal; maxBytes?: number; user?: string } = {},
): Promise<ContainerExecResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxBytes = options.maxBytes ?? 8 * 2 ** 20;
  if (options.signal?.aborted) throw new LifeboatError('cancelled', 'cancelled');
  const exec = await docker.getContainer(container).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true, AttachStdin: false, ...(options.user ? { User: options.user } : {}) });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & { destroy(): void };
  const out: Buffer[] = [];
  let outBytes = 0;
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => {
    outBytes += c.length;
    if (outBytes <= maxBytes) out.push(c);
  });
  stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-4096)));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new LifeboatError('timeout', `a command in ${container} did not finish within ${Math.round(timeoutMs / 1000)} s`, 'the container may be overloaded; try again')), timeoutMs);
    const onAbort = () => done(new LifeboatError('cancelled', `the command in ${container} was cancelled`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    function done(e?: Error) {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (e) {
        stream.destroy();
        reject(e);
      } else resolve();
    }
    stream.on('end', () => done());
    stream.on('close', () => done());
    stream.on('error', (e: Error) => done(new LifeboatError('remote-failed', `exec in ${container} failed: ${e.message}`)));
  });
  const info = (await exec.inspect()) as { ExitCode?: number | null };
  return { exitCode: info.ExitCode ?? null, stdout: Buffer.concat(out), stderr: err };
}
