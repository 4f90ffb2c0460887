import type { Client, ClientChannel } from 'ssh2';
import { LifeboatError } from '../api/errors';

/** Options of one remote command: time limit, cancellation, output cap, stdin. */
export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Stdout beyond this is an error (protects memory from a runaway command). Default 16 MiB. */
  readonly maxBytes?: number;
  readonly stdin?: string | Buffer;
}

/** What a finished remote command produced. */
export interface ExecResult {
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: Buffer;
  /** Last 8 KiB of stderr, for messages. */
  readonly stderr: string;
}

/** Strict single quoting for data in a command line (one implementation, in sync/). */
export { shellQuote } from '../sync/shell-quote';

/**
 * Runs one command over SSH with a timeout and an AbortSignal; on either, the channel is
 * signalled and closed. The command string must be built with `shellQuote` for any data.
 */
export function sshExec(client: Client, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? 16 * 2 ** 20;
  return new Promise<ExecResult>((resolve, reject) => {
    let channel: ClientChannel | undefined;
    let settled = false;
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    const timer = setTimeout(() => stop(new LifeboatError('timeout', `a remote command did not finish within ${Math.round(timeoutMs / 1000)} s`, 'the server may be overloaded; try again, or check it directly')), timeoutMs);
    const onAbort = () => stop(new LifeboatError('cancelled', 'the remote command was cancelled'));
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    function stop(error: LifeboatError) {
      if (settled) return;
      settled = true;
      cleanup();
      try {
        channel?.signal('KILL');
      } catch {
        /* the channel may already be gone */
      }
      channel?.close();
      reject(error);
    }
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    client.exec(command, (e, ch) => {
      if (settled) {
        ch?.close();
        return;
      }
      if (e) {
        settled = true;
        cleanup();
        reject(new LifeboatError('remote-failed', `the server refused to run a command: ${e.message}`, 'check that the SSH account may run commands (no ForceCommand or restricted shell)'));
        return;
      }
      channel = ch;
      ch.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > maxBytes) return stop(new LifeboatError('remote-failed', `a remote command printed more than ${maxBytes} bytes`, 'this is unexpected output; check the server'));
        out.push(chunk);
      });
      ch.stderr.on('data', (chunk: Buffer) => {
        err = (err + chunk.toString('utf8')).slice(-8192);
      });
      ch.on('close', (code: number | null, signalName?: string) => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve({ code: code ?? null, ...(signalName ? { signal: signalName } : {}), stdout: Buffer.concat(out), stderr: err });
      });
      if (options.stdin !== undefined) ch.end(options.stdin);
      else ch.end();
    });
  });
}
