import { Readable, Transform, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import { type RemoteExit, type RemoteProcess, type SpawnOptions, tailCollector, unrefDelay as delay } from './remote-process';
import { PidMarkerReader, pidReportingArgv } from './remote-watchdog';

/**
 * Docker's multiplexed attach stream (8-byte frame headers: stream id, size), parsed as it
 * arrives: stdout and stderr payloads go to their callbacks, in order, synchronously.
 */
export class DockerFrames {
  private header = Buffer.alloc(0);
  private remaining = 0;
  private streamId = 0;

  constructor(
    private readonly onStdout: (payload: Buffer) => void,
    private readonly onStderr: (payload: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining === 0) {
        const need = 8 - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + need)]);
        offset += Math.min(need, chunk.length - offset);
        if (this.header.length < 8) break;
        this.streamId = this.header[0] ?? 0;
        this.remaining = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      const payload = chunk.subarray(offset, offset + take);
      offset += take;
      this.remaining -= take;
      if (this.streamId === 2) this.onStderr(payload);
      else if (this.streamId === 1) this.onStdout(payload);
    }
  }

  /** True when the stream stopped inside a frame (a cut connection, not a clean end). */
  get partial(): boolean {
    return this.remaining > 0 || this.header.length > 0;
  }
}

/**
 * Splits Docker's multiplexed attach stream into stdout with backpressure (pushed downstream
 * through the Transform) and stderr (handed to `onStderr`). docker-modem's demuxStream ignores
 * backpressure, which would buffer a whole dump in memory.
 */
export class DockerDemux extends Transform {
  private readonly frames: DockerFrames;

  constructor(onStderr: (chunk: Buffer) => void) {
    super();
    this.frames = new DockerFrames((payload) => this.push(payload), onStderr);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.frames.push(chunk);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    callback(this.frames.partial ? new Error('the Docker stream ended inside a frame') : null);
  }
}


/** Options of a process inside a container. */
export interface ContainerSpawnOptions extends SpawnOptions {
  readonly user?: string;
  /** `NAME=value` pairs for the exec's environment (never argv); keep secrets out of logs. */
  readonly env?: readonly string[];
  readonly workingDir?: string;
}

/**
 * Runs an argv array inside a container with stdout streamed back. The command is started
 * through `sh -c 'echo pid; exec "$@"'` so that `kill` can stop the process itself inside the
 * container: closing a Docker attach stream does not stop an exec'd process. Containers
 * without `sh` still run, but `kill` then only drops the stream.
 */
export async function containerSpawn(docker: Docker, container: string, argv: readonly string[], options: ContainerSpawnOptions = {}): Promise<RemoteProcess> {
  if (options.signal?.aborted) throw new LifeboatError('cancelled', 'cancelled before the command started');
  if (argv.length === 0) throw new LifeboatError('bad-input', 'empty command');
  if (options.input) throw new LifeboatError('internal', 'containerSpawn takes stdin as bytes or a Readable (SpawnOptions.input is SSH only)');
  const target = docker.getContainer(container);
  const wrapped = pidReportingArgv(argv);
  const exec = await target.exec({
    Cmd: wrapped,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.stdin !== undefined,
    ...(options.user ? { User: options.user } : {}),
    ...(options.env ? { Env: [...options.env] } : {}),
    ...(options.workingDir ? { WorkingDir: options.workingDir } : {}),
  });
  const raw = (await exec.start({ hijack: true, stdin: options.stdin !== undefined })) as NodeJS.ReadWriteStream & { destroy(): void; end(b?: Buffer): void };
  const stderr = tailCollector();
  let pid: string | undefined;
  let knowPid: () => void = () => undefined;
  const pidKnown = new Promise<void>((resolve) => (knowPid = resolve));
  const marker = new PidMarkerReader((found) => {
    pid = found ?? '';
    knowPid();
  }, (chunk) => stderr.push(chunk));
  let killed = false;
  /** Set by kill: stdout is dropped from then on; stderr (the pid marker among it) is still parsed. */
  let abandoned = false;
  let rawEnded = false;
  const rawStream = raw as unknown as Readable;
  // Frames are parsed straight off the attach stream and only stdout is held back by its reader
  // (the attach stream pauses while stdout is full). Nothing sits unparsed between the two: the
  // pid marker on stderr can arrive after stdout has filled up, and a kill must still see it.
  const stdout = new Readable({
    read() {
      if (!abandoned) rawStream.resume();
    },
  });
  const frames = new DockerFrames((payload) => {
    if (!abandoned && !stdout.push(payload)) rawStream.pause();
  }, (payload) => marker.push(payload));
  rawStream.on('data', (chunk: Buffer) => frames.push(chunk));
  const rawFinished = new Promise<void>((resolve) => {
    const ended = (err?: Error) => {
      if (rawEnded) return;
      rawEnded = true;
      marker.end();
      if (!abandoned) {
        if (!err && frames.partial) err = new Error('the Docker stream ended inside a frame');
        if (err) stdout.destroy(err);
        else stdout.push(null);
      }
      resolve();
    };
    rawStream.once('end', () => ended());
    // Docker ends the stream when the process is done; a close without that end is a cut connection.
    rawStream.once('close', () => ended(new Error('the connection to Docker closed before the command finished')));
    rawStream.once('error', (err: Error) => ended(err));
  });
  // One stop, shared by every caller: the abort listener usually starts it, and whoever then
  // awaits `kill()` (a pull's error path) waits for that same TERM and drain to finish. Returning
  // early let a cancelled pull report back while the stop was still in flight; whatever came
  // next — a synchronous `docker exec` (the tests), the CLI exiting — left this stream unread
  // or torn down while the process exited, and dockerd wedged the container's execs.
  let stopping: Promise<void> | undefined;
  const kill = (): Promise<void> => (stopping ??= stop());
  const stop = async (): Promise<void> => {
    killed = true;
    // Keep reading (and dropping) what is in flight while the TERM is delivered: an attach
    // stream nobody reads blocks dockerd's copy of the output, and with it the container's
    // other execs — the kill itself and every later `docker exec` (seen on Docker 20.10).
    abandoned = true;
    rawStream.resume();
    try {
      // The marker may still be on its way behind the output (stdout and stderr are copied
      // separately): without the pid the process cannot be stopped.
      if (pid === undefined && !rawEnded) await Promise.race([pidKnown, rawFinished, delay(5_000)]);
      if (pid) {
        // The shell's builtin: many images (Debian's postgres among them) have no kill executable.
        const send = async () => {
          const killer = await target.exec({ Cmd: ['sh', '-c', 'kill -TERM "$1"', 'sh', pid as string], AttachStdout: false, AttachStderr: false, ...(options.user ? { User: options.user } : {}) });
          await killer.start({ Detach: true });
        };
        await Promise.race([send(), delay(10_000)]);
        // Let the process end and Docker close the stream by itself (still draining): tearing
        // the attach connection down under a running exec is what leaves dockerd stuck.
        await Promise.race([rawFinished, delay(5_000)]);
      }
    } catch {
      /* the process may already be gone */
    }
    raw.destroy();
    // The output was abandoned: end it so `done` settles even if Docker never closes the stream.
    stdout.destroy();
  };
  const onAbort = () => void kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.stdin instanceof Readable) options.stdin.pipe(raw as unknown as NodeJS.WritableStream);
  else if (options.stdin) raw.end(options.stdin);
  const done = new Promise<RemoteExit>((resolve) => {
    let settled = false;
    const finish = async () => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      let code: number | null = null;
      try {
        for (let i = 0; i < 50; i++) {
          const info = (await exec.inspect()) as { Running?: boolean; ExitCode?: number | null };
          if (!info.Running) {
            code = info.ExitCode ?? null;
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      } catch {
        code = null;
      }
      resolve({ code, ...(killed ? { signal: 'TERM' } : {}), stderr: stderr.text() });
    };
    stdout.on('end', () => void finish());
    stdout.on('close', () => {
      // A reader that gave up early (error, cancel) abandons a process that is still writing:
      // stop it, or its unread attach stream would wedge the container's execs.
      if (!rawEnded) void kill();
      void finish();
    });
    stdout.on('error', () => void finish());
  });
  return { stdout, done, kill };
}
