import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { labOrUndefined } from './lab-fixture';
import { type ServedApp, serveApp } from './serve-fixture';

const info = labOrUndefined();
const shots = 'test-results/screenshots';
let app: ServedApp;

test.beforeAll(async () => {
  if (!info) return;
  // A home with the lab host and a vault, made with the real CLI as a user would; the bridge
  // process gets the vault passphrase from its environment (the renderer never sees it).
  const home = mkdtempSync(join(tmpdir(), 'lifeboat-e2e-backup-'));
  const env = { ...process.env, LIFEBOAT_HOME: home, LIFEBOAT_PASSPHRASE: 'e2e passphrase', HOME: mkdtempSync(join(tmpdir(), 'lifeboat-e2e-user-')) };
  const cli = (...args: string[]) => execFileSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'lifeboat.js'), ...args], { env, stdio: 'pipe' });
  cli('host', 'add', 'lab', `ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`, '--identity', info.ssh.identityFile, '--fingerprint', info.ssh.hostKeyFingerprint);
  cli('vault', 'init');
  app = await serveApp({ LIFEBOAT_HOME: home, LIFEBOAT_PASSPHRASE: 'e2e passphrase', HOME: env.HOME });
});
test.afterAll(async () => app?.stop());

test('back up lab items from the Backups page, then find them on the Snapshots page', async ({ page }) => {
  test.skip(!info, 'the test lab is not up (npm run lab:up)');
  test.setTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Backups', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Backups' })).toBeVisible();
  await page.getByTestId('backup-host').selectOption('lab');
  const picker = page.getByTestId('item-picker');
  await expect(picker).toBeVisible({ timeout: 30_000 });
  await expect(picker).toContainText('shop/postgres:chinook');
  await page.screenshot({ path: `${shots}/backups-pick.png`, fullPage: true });

  await page.getByRole('button', { name: 'None' }).click();
  for (const id of ['shop/postgres:chinook', 'photos/mysql:photos', 'notes/sqlite:notes_data/notes.sqlite', 'wiki/volume:wiki_uploads']) await page.getByTestId(`pick-${id}`).check();
  await expect(page.getByTestId('backup-start')).toHaveText('Back up now (4)');
  await page.getByTestId('backup-start').click();
  await expect(page.getByTestId('run-progress')).toBeVisible();
  // The big volume takes a few seconds: catch the live rows while it runs.
  await expect(page.locator('[data-testid="run-row"][data-status="running"]')).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: `${shots}/backups-running.png`, fullPage: true });
  const summary = page.getByTestId('backup-summary');
  await expect(summary).toBeVisible({ timeout: 90_000 });
  await expect(summary).toHaveAttribute('data-status', 'succeeded');
  await expect(summary).toContainText('4 of 4 items');
  await expect(page.locator('[data-testid="run-row"][data-status="succeeded"]')).toHaveCount(4);
  await page.screenshot({ path: `${shots}/backups-done.png`, fullPage: true });

  await page.getByRole('button', { name: 'Snapshots', exact: true }).click();
  const table = page.getByTestId('snapshots-table');
  await expect(table).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('snapshot-row')).toHaveCount(1);
  await page.getByTestId('snapshot-row').first().click();
  const items = page.getByTestId('snapshot-items');
  await expect(items).toContainText('shop/postgres:chinook');
  await expect(items).toContainText('pg_dump -Fc -Z0');
  await expect(page.getByTestId('snapshot-item')).toHaveCount(4);
  await page.screenshot({ path: `${shots}/snapshots.png`, fullPage: true });
  expect(errors).toEqual([]);
});
