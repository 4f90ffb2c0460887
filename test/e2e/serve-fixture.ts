import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running `lifeboat serve` started from the built CLI, as a user would start it. */
export interface ServedApp {
  readonly url: string;
  readonly home: string;
  stop(): Promise<void>;
}

/** Starts the real bridge door in a child process with a temp home and waits for its URL. */
export async function serveApp(env: NodeJS.ProcessEnv = {}): Promise<ServedApp> {
  const home = env.LIFEBOAT_HOME ?? mkdtempSync(join(tmpdir(), 'lifeboat-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'lifeboat.js'), 'serve', '--port', '0'], {
    env: { ...process.env, ...env, LIFEBOAT_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`lifeboat serve did not start: ${stderr}`)), 15_000);
    child.stdout?.on('data', (d) => {
      out += String(d);
      const match = /(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`lifeboat serve exited ${code}: ${stderr}`)));
  });
  return {
    url,
    home,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
