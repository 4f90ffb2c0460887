import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startBridge } from '../../bridge/bridge-server';
import { packageRoot } from '../../engine/paths';
import type { CliCommand, CommandArgs } from '../command';

/**
 * Path of the Electron binary when one is installed, else undefined. Reads electron's
 * path.txt directly: requiring the package would try to download the binary.
 */
export function findElectronBinary(root: string = packageRoot()): string | undefined {
  const fromEnv = process.env.LIFEBOAT_ELECTRON;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  try {
    const pkgDir = dirname(require.resolve('electron/package.json', { paths: [root] }));
    const relative = readFileSync(join(pkgDir, 'path.txt'), 'utf8').trim();
    const binary = join(pkgDir, 'dist', relative);
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

async function serve(args: CommandArgs, openBrowser: boolean): Promise<number> {
  const root = packageRoot();
  const rendererDir = join(root, 'dist', 'renderer');
  if (!existsSync(join(rendererDir, 'index.html'))) {
    args.io.stderr.write('lifeboat: the renderer is not built\n  run "npm run build" first\n');
    return 1;
  }
  const portValue = args.values.port;
  const port = typeof portValue === 'string' ? Number(portValue) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    args.io.stderr.write(`lifeboat: --port must be a number from 0 to 65535, got "${String(portValue)}"\n`);
    return 2;
  }
  const bridge = await startBridge({ engine: args.engine(), rendererDir, port });
  args.io.stdout.write(`Lifeboat is running at ${bridge.url}\n(only this machine can reach it; stop with Ctrl+C)\n`);
  if (openBrowser && !args.values['no-open']) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    spawn(opener, [bridge.url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  }
  await new Promise<void>((resolve) => {
    if (args.signal.aborted) resolve();
    args.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await bridge.close();
  return 0;
}

/** `lifeboat serve` (the web bridge) and `lifeboat app` (Electron when present, else the bridge). */
export const appCommands: CliCommand[] = [
  {
    path: ['serve'],
    summary: 'Serve the app to a browser on 127.0.0.1 (headless boxes, tests)',
    usage: '[--port N] [--open]',
    options: { port: { type: 'string' }, open: { type: 'boolean' } },
    positionals: { min: 0, max: 0 },
    door: 'bridge',
    run: (args) => serve(args, Boolean(args.values.open)),
  },
  {
    path: ['app'],
    summary: 'Start the desktop app (falls back to the browser app when Electron is not installed)',
    usage: '[--port N] [--no-open]',
    options: { port: { type: 'string' }, 'no-open': { type: 'boolean' } },
    positionals: { min: 0, max: 0 },
    door: 'bridge',
    async run(args) {
      const electron = findElectronBinary();
      if (electron) {
        const child = spawn(electron, [packageRoot()], { stdio: 'inherit' });
        return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
      }
      args.io.stderr.write('Electron is not installed here; opening Lifeboat in your browser instead.\n');
      return serve(args, true);
    },
  },
];
