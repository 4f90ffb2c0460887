import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import { unrefDelay as delay } from '../hosts/remote-process';
import { PidMarkerReader, containerStopArgv, containerWatchedArgv } from '../hosts/remote-watchdog';

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
 *
 * Closing a Docker attach stream does not stop an exec'd process, and Docker has no call that
 * does, so the command reports its pid first (`containerWatchedArgv`) and a timeout or cancel
 * runs a second exec that stops its process tree (`containerStopArgv`: TERM to the leaves,
 * KILL after a grace period). The caller is answered once the process is gone and its stream
 * has been read to the end: an attach stream left unread wedges the container's execs on
 * Docker 20.10 (see `docker-spawn.ts`).
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
  const watched = containerWatchedArgv(argv);
  const target = docker.getContainer(container);
  const user = options.user ? { User: options.user } : {};
  const exec = await target.exec({ Cmd: watched.argv, AttachStdout: true, AttachStderr: true, AttachStdin: false, ...user });
  const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & { destroy(): void };
  const out: Buffer[] = [];
  let outBytes = 0;
  let err = '';
  // The first stderr line is the pid marker; anything else before it (a shell that could not
  // start, say) is stderr as usual.
  let announce: (pid: string | undefined) => void = () => undefined;
  const pid = new Promise<string | undefined>((resolve) => (announce = resolve));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => {
    outBytes += c.length;
    if (outBytes <= maxBytes) out.push(c);
  });
  const marker = new PidMarkerReader(announce, (c) => (err = (err + c.toString()).slice(-4096)));
  stderr.on('data', (c: Buffer) => marker.push(c));
  docker.modem.demuxStream(stream, stdout, stderr);
  let ended = false;
  const streamDone = new Promise<void>((resolve) => {
    const end = () => {
      ended = true;
      marker.end();
      announce(undefined);
      resolve();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  });
  /** Stops the process tree and waits (bounded) for Docker to end the stream, still reading it. */
  const stop = async (): Promise<void> => {
    const known = await Promise.race([pid, delay(5_000).then(() => undefined)]);
    if (known && !ended) {
      try {
        const stopper = await target.exec({ Cmd: containerStopArgv(known, watched.trapped), AttachStdout: false, AttachStderr: false, ...user });
        await Promise.race([stopper.start({ Detach: true }), delay(10_000)]);
        await Promise.race([streamDone, delay(15_000)]);
      } catch {
        /* the container or the process may already be gone */
      }
    }
    stream.destroy();
  };
  const failure = await new Promise<LifeboatError | undefined>((resolve) => {
    const timer = setTimeout(() => done(new LifeboatError('timeout', `a command in ${container} did not finish within ${Math.round(timeoutMs / 1000)} s`, 'the container may be overloaded; try again')), timeoutMs);
    const onAbort = () => done(new LifeboatError('cancelled', `the command in ${container} was cancelled`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    let settled = false;
    function done(e?: LifeboatError) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(e);
    }
    void streamDone.then(() => done());
    stream.on('error', (e: Error) => done(new LifeboatError('remote-failed', `exec in ${container} failed: ${e.message}`, 'check that the container is running, then try again')));
  });
  if (failure) {
    await stop();
    throw failure;
  }
  const info = (await exec.inspect()) as { ExitCode?: number | null };
  return { exitCode: info.ExitCode ?? null, stdout: Buffer.concat(out), stderr: err };
}
