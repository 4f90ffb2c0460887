import type { Client, ClientChannel } from 'ssh2';
import { Readable } from 'node:stream';
import { LifeboatError } from '../api/errors';
import { type RemoteExit, type RemoteProcess, type SpawnOptions, tailCollector } from './remote-process';

/**
 * Writes chunks to a channel one at a time, pulling the next only once ssh2 has copied the
 * previous one into packets (its write callback), so lent buffers are never read after the
 * producer reuses them. Stops quietly when the channel closes (the exit status says why).
 */
async function feedInput(channel: ClientChannel, input: AsyncIterable<Buffer>, whenClosed: Promise<void>, isClosed: () => boolean): Promise<void> {
  for await (const chunk of input) {
    if (isClosed()) return;
    const written = new Promise<void>((resolve, reject) => {
      channel.write(chunk, (err) => (err && !isClosed() ? reject(err) : resolve()));
    });
    await Promise.race([written, whenClosed]);
  }
  if (!isClosed()) channel.end();
}

/**
 * Starts a shell command over SSH and streams its stdout. SSH's channel window gives real
 * backpressure: when we stop reading, the server stops sending and the remote process blocks.
 * `kill` sends SIGKILL where the server honours channel signals and closes the channel, so a
 * process that writes dies of SIGPIPE either way. Build `command` with `shellQuote`.
 */
export function sshSpawn(client: Client, command: string, options: SpawnOptions = {}): Promise<RemoteProcess> {
  if (options.signal?.aborted) return Promise.reject(new LifeboatError('cancelled', 'cancelled before the remote command started'));
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel: ClientChannel) => {
      if (err) {
        reject(new LifeboatError('remote-failed', `the server refused to run a command: ${err.message}`, 'check that the SSH account may run commands (no ForceCommand or restricted shell)'));
        return;
      }
      const stderr = tailCollector();
      channel.stderr.on('data', (c: Buffer) => stderr.push(c));
      let killed = false;
      const kill = async () => {
        if (killed) return;
        killed = true;
        try {
          channel.signal('KILL');
        } catch {
          /* not every server accepts signals; closing the channel is the fallback */
        }
        channel.close();
        channel.destroy();
      };
      const onAbort = () => void kill();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let closed = false;
      const whenClosed = new Promise<void>((resolveClosed) =>
        channel.on('close', () => {
          closed = true;
          resolveClosed();
        }),
      );
      const exited = new Promise<RemoteExit>((resolveDone) => {
        let exit: { code: number | null; signal?: string } = { code: null };
        channel.on('exit', (code: number | null, signalName?: string) => {
          exit = { code: code ?? null, ...(signalName ? { signal: signalName } : {}) };
        });
        channel.on('close', () => {
          options.signal?.removeEventListener('abort', onAbort);
          resolveDone({ ...exit, ...(killed && exit.code === null && !exit.signal ? { signal: 'KILL' } : {}), stderr: stderr.text() });
        });
      });
      let fed: Promise<void> = Promise.resolve();
      if (options.input) fed = feedInput(channel, options.input, whenClosed, () => closed).catch(async (err: unknown) => {
        await kill();
        throw err;
      });
      else if (options.stdin instanceof Readable) options.stdin.pipe(channel);
      else channel.end(options.stdin);
      fed.catch(() => undefined);
      // Settles once the process is gone; a failed input wins over its exit status.
      const done = exited.then(async (exit) => {
        await fed;
        return exit;
      });
      const stdout = new Readable({
        read() {
          channel.resume();
        },
        destroy(error, callback) {
          void kill();
          callback(error);
        },
      });
      channel.on('data', (chunk: Buffer) => {
        if (!stdout.push(chunk)) channel.pause();
      });
      channel.on('close', () => stdout.push(null));
      resolve({ stdout, done, kill });
    });
  });
}
