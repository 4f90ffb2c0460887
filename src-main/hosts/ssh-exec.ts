import type { Client, ClientChannel } from 'ssh2';
import { LifeboatError } from '../api/errors';
import { watchdogStdinLine, watchedCommand } from './remote-watchdog';

/** Options of one remote command: time limit, cancellation, output cap, stdin. */
export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Stdout beyond this is an error (protects memory from a runaway command). Default 16 MiB. */
  readonly maxBytes?: number;
  /** Small data for the command's stdin (at most 4 MiB; stream anything larger with sshSpawn). */
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
 * Runs one command over SSH with a timeout and an AbortSignal. The command runs under a small
 * watchdog shell (`remote-watchdog.ts`) that holds the channel's stdin: when the channel
 * closes — on timeout, cancel, an output overflow or a lost connection — the command's whole
 * process tree on the server gets TERM, then KILL after a grace period. (sshd itself never
 * signals a command when a channel closes, and refuses channel signals for root logins.)
 * Exit code, stdout and stderr of a normal run are the command's own; a command killed by a
 * signal reports the shell's code for it (128 + n) rather than a signal name.
 * The command string must be built with `shellQuote` for any data.
 */
export function sshExec(client: Client, command: string, options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? 16 * 2 ** 20;
  let stdinLine: Buffer;
  try {
    stdinLine = watchdogStdinLine(options.stdin);
  } catch (err) {
    return Promise.reject(err as Error);
  }
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
      // Closing the channel is the stop signal: sshd closes the watchdog's stdin, and the
      // watchdog stops the command's tree.
      channel?.close();
      reject(error);
    }
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    client.exec(watchedCommand(command), (e, ch) => {
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
      // The stdin line, and then stdin stays open until the channel closes: its EOF is what
      // tells the watchdog to stop the command.
      ch.write(stdinLine);
    });
  });
}
