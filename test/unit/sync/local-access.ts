import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import type { RemoteExit, RemoteProcess, SpawnOptions } from '../../../src-main/hosts/remote-process';
import type { ShellAccess } from '../../../src-main/sync/access-ladder';

/** Every tool the pull can use (this machine has GNU find, tar and coreutils). */
export const allTools = new Set(['find', 'tar', 'sha256sum', 'dd', 'gzip', 'gnufind', 'gnutar', 'gnusplit']);

/** Runs a script locally as the "server": the same scripts, the real tools, no SSH. */
export function runLocal(script: string, args: readonly string[], options: SpawnOptions = {}): RemoteProcess {
  const child = spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8192)));
  if (options.stdin instanceof Readable) options.stdin.pipe(child.stdin);
  else child.stdin.end(options.stdin);
  child.stdin.on('error', () => undefined);
  const kill = async () => {
    child.kill('SIGKILL');
  };
  options.signal?.addEventListener('abort', () => void kill(), { once: true });
  const done = new Promise<RemoteExit>((resolve) => child.on('close', (code, signal) => resolve({ code, ...(signal ? { signal } : {}), stderr })));
  return { stdout: child.stdout, done, kill };
}

/**
 * A shell rung on this machine. `intercept` may replace a command (by returning a process)
 * to simulate servers that misbehave; returning undefined runs it for real.
 */
export function localAccess(root: string, options: { tools?: Set<string>; intercept?: (script: string, args: readonly string[], o: SpawnOptions) => RemoteProcess | undefined; onRun?: (script: string) => void } = {}): ShellAccess {
  return {
    rung: 'host',
    root,
    tools: options.tools ?? allTools,
    run: async (script, args, o = {}) => {
      options.onRun?.(script);
      return options.intercept?.(script, args, o) ?? runLocal(script, args, o);
    },
  };
}
