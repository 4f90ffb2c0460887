import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where Lifeboat keeps its state when nothing else is said: the platform's per-user data
 * directory. The CLI and the Electron app use this same function so they share one vault.
 */
export function defaultHome(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Lifeboat');
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Lifeboat');
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'share'), 'lifeboat');
}

/** `$LIFEBOAT_HOME` wins so tests and scripts can point at a temp dir. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.LIFEBOAT_HOME;
  return fromEnv && fromEnv.length > 0 ? fromEnv : defaultHome(env);
}

/** The project root (where package.json lives), found from compiled or source locations. */
export function packageRoot(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'lifeboat') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package.json of lifeboat not found above ${start}`);
    dir = parent;
  }
}

/** The version from package.json, read once. */
export const packageVersion: () => string = (() => {
  let cached: string | undefined;
  return () => {
    if (cached === undefined) {
      const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
      cached = pkg.version;
    }
    return cached;
  };
})();
