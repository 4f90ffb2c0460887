import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src-main/engine/paths';

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The built CLI (`bin/lifeboat.js`), compiling `src-main` first when dist/ is missing or older
 * than the sources — tests that kill real processes need the real command.
 */
export function builtCli(): string {
  const root = packageRoot();
  const main = join(root, 'dist', 'src-main', 'cli', 'main.js');
  if (!existsSync(main) || statSync(main).mtimeMs < newestSource(join(root, 'src-main'))) {
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
    } catch {
      // tsc still emits when some unrelated file has a type error; freshness is checked below.
    }
    if (!existsSync(main) || statSync(main).mtimeMs < newestSource(join(root, 'src-main')) - 1000) throw new Error('could not build the CLI (run "npm run build:main" to see why)');
  }
  return join(root, 'bin', 'lifeboat.js');
}
