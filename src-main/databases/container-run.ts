import { Readable, Transform } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import { containerSpawn } from '../hosts/docker-spawn';
import type { RemoteProcess } from '../hosts/remote-process';

/** How a command inside a container ended, with its (capped) output. */
export interface RunResult {
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Options of `runInContainer`. */
export interface RunOptions {
  /** Bytes or a stream for stdin; a stream is destroyed once the process is gone. */
  readonly stdin?: Buffer | Readable;
  /** `NAME=value` pairs for the exec's environment (never argv). */
  readonly env?: readonly string[];
  readonly user?: string;
  readonly signal?: AbortSignal;
  /** Keeps at most this many stdout bytes (the rest is read and dropped). Default 16 MiB. */
  readonly maxBytes?: number;
  /** Sees the process once it started (tests inject faults; callers keep it to kill it). */
  readonly onStart?: (proc: RemoteProcess) => void;
}

/**
 * Runs an argv array in a container to the end: stdin fed from bytes or a stream (with
 * backpressure), stdout collected up to a cap, stderr's tail kept. Never throws for a non-zero
 * exit (see `expectOk`); throws `cancelled` when the signal fired.
 */
export async function runInContainer(docker: Docker, container: string, argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  // A stream that fails (a damaged vault object) or closes before its end must stop the
  // process: piping alone would leave the tool waiting for more input forever.
  const input = options.stdin instanceof Readable ? options.stdin : undefined;
  let inputError: unknown;
  let proc: RemoteProcess | undefined;
  const onInputError = (err: unknown) => {
    inputError ??= err;
    void proc?.kill();
  };
  const onInputClose = () => {
    if (input && !input.readableEnded) onInputError(new LifeboatError('internal', 'the input stream closed before its end'));
  };
  input?.once('error', onInputError);
  input?.once('close', onInputClose);
  try {
    proc = await containerSpawn(docker, container, argv, {
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.user ? { user: options.user } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (inputError !== undefined) void proc.kill();
    options.onStart?.(proc);
    const max = options.maxBytes ?? 16 * 2 ** 20;
    const out: Buffer[] = [];
    let kept = 0;
    try {
      for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
        if (kept < max) {
          out.push(chunk.subarray(0, max - kept));
          kept += Math.min(chunk.length, max - kept);
        }
      }
    } catch {
      /* a killed stream ends with an error; the exit status below says what happened */
    }
    const exit = await proc.done;
    input?.off('error', onInputError).off('close', onInputClose);
    if (input && !input.destroyed) input.destroy();
    if (options.signal?.aborted) throw new LifeboatError('cancelled', `the command in ${container} was cancelled`);
    if (inputError !== undefined) throw inputError;
    return { code: exit.code, ...(exit.signal ? { signal: exit.signal } : {}), stdout: Buffer.concat(out), stderr: exit.stderr };
  } finally {
    input?.off('error', onInputError).off('close', onInputClose);
  }
}

/** The last error line of a tool's stderr (or its last line), for error messages (no secrets were in argv). */
export function lastLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(WARNING: errors ignored|pg_restore: warning)/.test(l));
  const errors = lines.filter((l) => /\berror\b|fatal|could not|failed/i.test(l));
  return (errors.pop() ?? lines.pop() ?? '').slice(0, 300);
}

/** Throws `remote-failed` naming `what` unless the command exited 0. */
export function expectOk(result: RunResult, what: string, hint?: string): RunResult {
  if (result.code === 0) return result;
  const detail = lastLine(result.stderr);
  const how = result.code === null ? `was stopped${result.signal ? ` (${result.signal})` : ''}` : `failed (exit ${result.code})`;
  throw new LifeboatError('remote-failed', `${what} ${how}${detail ? `: ${detail}` : ''}`, hint ?? 'the message above is the server tool\'s own; fix its cause and try again');
}

/** Counts bytes flowing through, for progress; the callback sees each chunk's length. */
export function byteCounter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}
