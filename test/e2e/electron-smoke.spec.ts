import { _electron as electron, expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findElectronBinary } from '../../src-main/cli/commands/app-commands';

const root = join(__dirname, '..', '..');
const binary = findElectronBinary(root);

test('the Electron shell opens the window and talks to the engine in its utility process', async () => {
  test.skip(
    !binary,
    'Electron binary not installed (its download host is unreachable here; ELECTRON_SKIP_BINARY_DOWNLOAD=1). Install Electron to run this smoke test.',
  );
  const home = mkdtempSync(join(tmpdir(), 'lifeboat-electron-'));
  const app = await electron.launch({
    executablePath: binary,
    args: [root, '--no-sandbox'],
    env: { ...process.env, LIFEBOAT_HOME: home },
  });
  try {
    const window = await app.firstWindow();
    await expect(window.getByTestId('engine-status')).toContainText('electron');
    // contextIsolation + sandbox + no nodeIntegration: no Node in the page, only the named API.
    expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await window.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
    const api = await window.evaluate(() => Object.entries((globalThis as unknown as { lifeboat: Record<string, unknown> }).lifeboat).map(([k, v]) => `${k}:${typeof v}`));
    expect(api).toContain('version:function');
    expect(api.every((entry) => entry.endsWith(':function'))).toBe(true);
    await window.screenshot({ path: 'test-results/screenshots/electron-first-screen.png' });
  } finally {
    await app.close();
  }
});
