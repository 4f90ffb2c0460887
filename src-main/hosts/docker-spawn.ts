import { Readable, Transform, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import { type RemoteExit, type RemoteProcess, type SpawnOptions, tailCollector } from './remote-process';

/**
 * Splits Docker's multiplexed attach stream (8-byte frame headers: stream id, size) into stdout
 * with backpressure (pushed downstream through the Transform) and stderr (handed to `onStderr`).
 * docker-modem's demuxStream ignores backpressure, which would buffer a whole dump in memory.
 */
export class DockerDemux extends Transform {
  private header = Buffer.alloc(0);
  private remaining = 0;
  private streamId = 0;

  constructor(private readonly onStderr: (chunk: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
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
      else if (this.streamId === 1) this.push(payload);
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    callback(this.remaining > 0 || this.header.length > 0 ? new Error('the Docker stream ended inside a frame') : null);
  }
}

const pidMarker = 'lifeboat-pid:';

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

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
  const wrapped = ['sh', '-c', `echo "${pidMarker}$$" >&2; exec "$@"`, 'sh', ...argv];
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
  let pending = '';
  const demux = new DockerDemux((chunk) => {
    if (pid === undefined) {
      pending += chunk.toString('utf8');
      const match = new RegExp(`^${pidMarker}(\\d+)\\n`).exec(pending);
      if (match) {
        pid = match[1];
        stderr.push(pending.slice(match[0].length));
        pending = '';
      } else if (pending.length > 200 || (pending.includes('\n') && !pending.startsWith(pidMarker))) {
        pid = '';
        stderr.push(pending);
      }
      return;
    }
    stderr.push(chunk);
  });
  let killed = false;
  let rawEnded = false;
  const rawStream = raw as unknown as Readable;
  const rawFinished = new Promise<void>((resolve) => {
    const ended = () => {
      rawEnded = true;
      resolve();
    };
    rawStream.once('end', ended);
    rawStream.once('close', ended);
    rawStream.once('error', ended);
  });
  const kill = async () => {
    if (killed) return;
    killed = true;
    // Keep reading (and dropping) what is in flight while the TERM is delivered: an attach
    // stream nobody reads blocks dockerd's copy of the output, and with it the container's
    // other execs — the kill itself and every later `docker exec` (seen on Docker 20.10).
    rawStream.unpipe(demux);
    rawStream.on('data', () => undefined);
    rawStream.resume();
    if (pid) {
      try {
        // The shell's builtin: many images (Debian's postgres among them) have no kill executable.
        const send = async () => {
          const killer = await target.exec({ Cmd: ['sh', '-c', 'kill -TERM "$1"', 'sh', pid as string], AttachStdout: false, AttachStderr: false, ...(options.user ? { User: options.user } : {}) });
          await killer.start({ Detach: true });
        };
        await Promise.race([send(), delay(10_000)]);
        // Let the process end and Docker close the stream by itself (still draining): tearing
        // the attach connection down under a running exec is what leaves dockerd stuck.
        await Promise.race([rawFinished, delay(5_000)]);
      } catch {
        /* the process may already be gone */
      }
    }
    raw.destroy();
    // The output was abandoned: end it so `done` settles even if Docker never closes the stream.
    demux.destroy();
  };
  const onAbort = () => void kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.stdin instanceof Readable) options.stdin.pipe(raw as unknown as NodeJS.WritableStream);
  else if (options.stdin) raw.end(options.stdin);
  (raw as unknown as Readable).pipe(demux);
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
    demux.on('end', () => void finish());
    demux.on('close', () => {
      // A reader that gave up early (error, cancel) abandons a process that is still writing:
      // stop it, or its unread attach stream would wedge the container's execs.
      if (!rawEnded) void kill();
      void finish();
    });
    demux.on('error', () => void finish());
  });
  return { stdout: demux, done, kill };
}
