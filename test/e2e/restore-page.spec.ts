import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { labOrUndefined } from './lab-fixture';
import { type ServedApp, serveApp } from './serve-fixture';

const info = labOrUndefined();
const volume = `lbtest-e2e-restore-${process.pid}`;
const shots = 'test-results/screenshots';
let app: ServedApp;
const env = { LIFEBOAT_PASSPHRASE: 'e2e restore passphrase', HOME: mkdtempSync(join(tmpdir(), 'lifeboat-e2e-user-')) };

function cli(home: string, ...args: string[]): string {
  return execFileSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'lifeboat.js'), ...args], { env: { ...process.env, ...env, LIFEBOAT_HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function removeVolume(): void {
  try {
    execFileSync('docker', ['volume', 'rm', '-f', volume], { stdio: 'ignore' });
  } catch {
    /* gone */
  }
}

test.beforeAll(async () => {
  if (!info) return;
  // A vault with one backup of the wiki uploads, made with the CLI as a user would.
  const home = mkdtempSync(join(tmpdir(), 'lifeboat-e2e-restore-'));
  cli(home, 'vault', 'init');
  cli(home, 'host', 'add', 'lab', `ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`, '--identity', info.ssh.identityFile, '--fingerprint', info.ssh.hostKeyFingerprint);
  cli(home, 'backup', 'lab', '--item', 'wiki/volume:wiki_uploads');
  app = await serveApp({ ...env, LIFEBOAT_HOME: home });
});
test.afterAll(async () => {
  removeVolume();
  await app?.stop();
});

test('restore wizard: snapshot → item → new volume (default) → dry run → restore → result', async ({ page }) => {
  test.skip(!info, 'the test lab is not up (npm run lab:up)');
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Restore', exact: true })).toBeVisible();
  await expect(page.getByTestId('restore-snapshot')).toHaveCount(1);
  await page.screenshot({ path: `${shots}/restore-1-snapshot.png`, fullPage: true });

  await page.getByTestId('restore-snapshot').first().click();
  await page.getByTestId('restore-item').filter({ hasText: 'wiki/volume:wiki_uploads' }).click();
  const browser = page.getByTestId('tree-browser');
  await expect(browser).toContainText('big/');
  await browser.getByRole('button', { name: 'big/' }).click();
  await expect(browser).toContainText('vm-disk.img');
  await expect(browser).toContainText('64.0 MiB');
  await browser.getByRole('button', { name: '/', exact: true }).click();
  await expect(browser).toContainText('café ☕.txt');
  await page.screenshot({ path: `${shots}/restore-2-item.png`, fullPage: true });
  await page.getByTestId('to-target').click();

  // The safe choice is preselected; in place needs the item's name typed.
  await expect(page.getByTestId('target-new-volume').locator('input[type=radio]')).toBeChecked();
  await page.getByTestId('target-in-place').locator('input[type=radio]').check();
  await expect(page.getByTestId('to-preview')).toBeDisabled();
  await page.getByTestId('target-confirm').fill('wiki/volume:wiki_upload');
  await expect(page.getByTestId('to-preview')).toBeDisabled();
  await page.screenshot({ path: `${shots}/restore-3-in-place-confirm.png`, fullPage: true });
  await page.getByTestId('target-new-volume').locator('input[type=radio]').check();
  await page.getByTestId('target-volume').fill(volume);
  await page.screenshot({ path: `${shots}/restore-3-target.png`, fullPage: true });
  await page.getByTestId('to-preview').click();

  const preview = page.getByTestId('restore-preview');
  await expect(preview).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('preview-summary')).toContainText(`new volume ${volume}`);
  await expect(page.getByTestId('preview-creates')).toContainText('358');
  await expect(page.getByTestId('preview-deletes')).toContainText('0');
  await page.screenshot({ path: `${shots}/restore-4-preview.png`, fullPage: true });
  expect(() => execFileSync('docker', ['volume', 'inspect', volume], { stdio: 'ignore' })).toThrow();

  await page.getByTestId('run-restore').click();
  await expect(page.getByTestId('restore-run')).toBeVisible();
  await expect(page.getByTestId('run-progress-text')).toBeVisible({ timeout: 10_000 }).catch(() => undefined);
  await page.screenshot({ path: `${shots}/restore-5-running.png`, fullPage: true });
  await expect(page.getByTestId('restore-result')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('result-location')).toHaveText(`volume ${volume}`);
  await page.screenshot({ path: `${shots}/restore-6-result.png`, fullPage: true });
  const restored = execFileSync('docker', ['run', '--rm', '--network', 'none', '-v', `${volume}:/v:ro`, '--entrypoint', 'sha256sum', 'lifeboat-lab/tools:latest', '/v/big/vm-disk.img'], { encoding: 'utf8' });
  expect(restored).toMatch(/^05d89aae/);

  // A dry run in place compares with the live volume and changes nothing.
  await page.getByTestId('restore-again').click();
  await page.getByTestId('restore-snapshot').first().click();
  await page.getByTestId('restore-item').filter({ hasText: 'wiki/volume:wiki_uploads' }).click();
  await page.getByTestId('to-target').click();
  await page.getByTestId('target-in-place').locator('input[type=radio]').check();
  await page.getByTestId('target-confirm').fill('wiki/volume:wiki_uploads');
  await page.getByTestId('to-preview').click();
  await expect(page.getByTestId('preview-summary')).toContainText('358 to overwrite', { timeout: 30_000 });
  await expect(page.getByTestId('preview-summary')).toContainText('0 of them differ');
  await expect(page.getByTestId('preview-warnings')).toContainText('wiki-app-1');
  await expect(page.getByTestId('run-restore')).toHaveText('Overwrite in place now');
  await page.screenshot({ path: `${shots}/restore-4-preview-in-place.png`, fullPage: true });
  expect(errors).toEqual([]);
});
