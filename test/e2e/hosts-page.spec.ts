import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { labOrUndefined } from './lab-fixture';
import { type ServedApp, serveApp } from './serve-fixture';

const info = labOrUndefined();

/** Secret-looking values (8+ characters) of every seeded stack's .env, read from lab:info's paths. */
function envValues(): string[] {
  const stacks = (info as unknown as { stacks?: Record<string, { envFile?: string }> }).stacks ?? {};
  return Object.values(stacks)
    .flatMap((s) => (s.envFile ? readFileSync(s.envFile, 'utf8').split('\n') : []))
    .map((l) => l.split('=').slice(1).join('='))
    .filter((v) => v.length >= 8);
}

let app: ServedApp;
test.beforeAll(async () => {
  // An empty user home: the page must not lean on the real ~/.ssh.
  if (info) app = await serveApp({ HOME: mkdtempSync(join(tmpdir(), 'lifeboat-e2e-user-')) });
});
test.afterAll(async () => app?.stop());

test('add a host by confirming its key fingerprint, then see its inventory', async ({ page }) => {
  test.skip(!info, 'the test lab is not up (npm run lab:up)');
  if (!info) return;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Hosts', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Hosts' })).toBeVisible();
  await page.getByTestId('add-host').click();
  await page.getByTestId('host-name').fill('lab');
  await page.getByTestId('host-url').fill(`ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`);
  await page.getByTestId('host-identity').fill(info.ssh.identityFile);
  await page.getByTestId('add-host-submit').click();
  await expect(page.getByTestId('fingerprint')).toHaveText(info.ssh.hostKeyFingerprint);
  await page.screenshot({ path: 'test-results/screenshots/hosts-add-key.png', fullPage: true });
  await page.getByTestId('accept-key').click();
  await expect(page.getByTestId('add-host-submit')).toHaveText('Add host');
  await page.getByTestId('add-host-submit').click();
  await expect(page.getByTestId('hosts-table')).toContainText('lab');
  await expect(page.getByTestId('hosts-table')).toContainText('docker via stream-local');
  await page.getByTestId('discover-lab').click();
  const tree = page.getByTestId('discovery-tree');
  await expect(tree).toBeVisible({ timeout: 30_000 });
  await expect(tree).toContainText('wiki/postgres:wiki');
  await expect(tree).toContainText('notes/sqlite:notes_data/notes.sqlite');
  await expect(tree).toContainText('covered by dump');
  await page.screenshot({ path: 'test-results/screenshots/hosts-discovery.png', fullPage: true });
  // The stacks' .env files hold passwords and tokens: not one value may reach the page.
  const html = await page.content();
  const values = envValues();
  expect(values.length).toBeGreaterThan(5);
  for (const v of values) expect(html, 'an env value reached the page').not.toContain(v);
  expect(errors).toEqual([]);
});
