import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The architecture's boundaries are lint rules (eslint.config.mjs); these tests lint small
// snippets as if they sat in each folder, so a rule that stops firing fails here, not in review.
const root = join(__dirname, '..', '..', '..');
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function restricted(code: string, file: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint-enforced boundaries', () => {
  it('only src-main/electron and src-preload may import electron', async () => {
    const code = "import { app } from 'electron';\nexport const a = app;\n";
    for (const file of ['src-main/engine/probe.ts', 'src-main/hosts/probe.ts', 'src-main/cli/probe.ts']) {
      expect(await restricted(code, file)).toEqual([expect.stringContaining('Only src-main/electron/')]);
    }
    expect(await restricted(code, 'src-main/electron/probe.ts')).toEqual([]);
    expect(await restricted(code, 'src-preload/probe.ts')).toEqual([]);
  }, 60_000);

  it('the renderer and the contract import no Node built-in, in any spelling', async () => {
    const specifiers = ['fs', 'node:fs', 'path', 'string_decoder', 'node:timers/promises', 'tty', 'node:module', 'node:sqlite', 'fs/promises', 'worker_threads'];
    for (const file of ['src-renderer/pages/probe.tsx', 'src-main/api/probe.ts']) {
      for (const s of specifiers) {
        expect(await restricted(`import * as m from '${s}';\nexport const a = m;\n`, file), `${s} in ${file}`).toEqual([expect.stringContaining('No Node built-ins')]);
      }
    }
  }, 60_000);

  it('the renderer reaches the engine only through the contract', async () => {
    expect(await restricted("import { HostService } from '../../src-main/hosts/host-service';\nexport const a = HostService;\n", 'src-renderer/pages/probe.tsx')).toEqual([
      expect.stringContaining('only src-main/api'),
    ]);
    expect(await restricted("import { requests } from '../../src-main/api/contract';\nimport { create } from 'zustand';\nexport const a = [requests, create];\n", 'src-renderer/pages/probe.tsx')).toEqual([]);
    expect(await restricted("import { ipcRenderer } from 'electron';\nexport const a = ipcRenderer;\n", 'src-renderer/probe.ts')).toEqual([expect.stringContaining('nothing but the contract')]);
  }, 60_000);
});
