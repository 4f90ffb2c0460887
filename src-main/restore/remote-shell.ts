import { Readable } from 'node:stream';
import { LifeboatError } from '../api/errors';
import type { HostConnection } from '../hosts/host-service';
import type { RemoteExit } from '../hosts/remote-process';
import { shellQuote } from '../sync/shell-quote';

/**
 * A root shell on a server, for restores that write host paths (volumes in place, bind mounts,
 * secrets). Every script is a constant; every name from a snapshot or a server travels only as
 * a positional argument (`"$1"`…), single-quoted, so no file name can ever be executed.
 */
export interface RootShell {
  /** Runs a constant script with positional arguments; returns stdout, throws on a non-zero exit. */
  run(script: string, args: readonly string[], options?: { timeoutMs?: number; maxBytes?: number; what?: string; stdin?: Buffer }): Promise<Buffer>;
  /**
   * Runs a script with a stream on its stdin (tar archives); resolves when it exited 0. Each
   * chunk is sent before the next is pulled (so `input` may lend its buffers); if the input
   * fails, the remote process is killed so it never sees a clean end.
   */
  feed(script: string, args: readonly string[], input: AsyncIterable<Buffer>, what: string): Promise<void>;
  /** Starts a script whose stdout is streamed (tar archives, listings). */
  read(script: string, args: readonly string[], stdin?: Buffer): Promise<{ stdout: Readable; done: Promise<RemoteExit>; kill(): Promise<void> }>;
}

/** The host's shell as root (directly or through `sudo -n`), or `unsupported` with the way out. */
export function rootShell(host: HostConnection | undefined, signal?: AbortSignal): RootShell {
  const exec = host?.exec;
  const spawn = host?.spawn;
  const access = host?.probe?.fileAccess ?? 'none';
  if (!host || !exec || !spawn || access === 'none') {
    throw new LifeboatError(
      'unsupported',
      `writing host paths needs an SSH login as root or with passwordless sudo${host ? ` (${host.host.name} has ${host.probe ? `file access "${access}"` : 'no probe'})` : ''}`,
      'restore into a new volume instead (the default), or connect as root / allow "sudo -n", then run discovery with --reprobe',
    );
  }
  const command = (script: string, args: readonly string[]) => `${access === 'sudo' ? 'sudo -n ' : ''}sh -c ${shellQuote(script)} lifeboat ${args.map(shellQuote).join(' ')}`;
  const failed = (what: string, exit: { code: number | null; signal?: string; stderr: string }) =>
    new LifeboatError('remote-failed', `${what} failed on ${host.host.name} (${exit.signal ? `killed by ${exit.signal}` : `exit ${String(exit.code)}`}): ${exit.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 600)}`, 'nothing was swapped into place; fix the cause shown and run the restore again');
  return {
    async run(script, args, options = {}) {
      const result = await exec(command(script, args), { timeoutMs: options.timeoutMs ?? 120_000, maxBytes: options.maxBytes ?? 64 * 2 ** 20, ...(options.stdin ? { stdin: options.stdin } : {}), ...(signal ? { signal } : {}) });
      if (result.code !== 0) throw failed(options.what ?? 'a remote command', { code: result.code, ...(result.signal ? { signal: result.signal } : {}), stderr: result.stderr });
      return result.stdout;
    },
    async feed(script, args, input, what) {
      let exit: RemoteExit;
      try {
        const proc = await spawn(command(script, args), { input, ...(signal ? { signal } : {}) });
        proc.stdout.resume();
        exit = await proc.done;
      } catch (err) {
        if (signal?.aborted) throw new LifeboatError('cancelled', `${what} was cancelled`);
        throw err;
      } finally {
        if (input instanceof Readable && !input.readableEnded) input.destroy();
      }
      if (signal?.aborted) throw new LifeboatError('cancelled', `${what} was cancelled`);
      if (exit.code !== 0) throw failed(what, exit);
    },
    read(script, args, stdin) {
      return spawn(command(script, args), { ...(signal ? { signal } : {}), ...(stdin ? { stdin } : {}) });
    },
  };
}
