import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServedApp, serveApp } from './serve-fixture';

const version = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

let app: ServedApp;
test.beforeAll(async () => {
  app = await serveApp();
});
test.afterAll(async () => app.stop());

test('the first screen shows the engine version through the bridge', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(app.url);
  await expect(page.getByTestId('engine-version')).toHaveText(version);
  await expect(page.getByTestId('engine-status')).toContainText(`Engine ${version}`);
  await expect(page.getByRole('heading', { name: 'Welcome aboard' })).toBeVisible();
  await expect(page.getByText(app.home)).toBeVisible();
  await expect(page.getByTestId('engine-card')).toContainText('Local web bridge (127.0.0.1)');
  await page.screenshot({ path: 'test-results/screenshots/first-screen.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the sidebar navigates between pages', async ({ page }) => {
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Vault', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Vault', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Hosts', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Hosts', exact: true })).toBeVisible();
});

test('without the token the page explains how to open it', async ({ page }) => {
  await page.goto(app.url.replace(/#token=.*/, ''));
  await expect(page.getByTestId('engine-error')).toContainText('lifeboat serve');
  await page.screenshot({ path: 'test-results/screenshots/no-token.png' });
});

test('a wrong token is refused by the engine', async ({ page }) => {
  await page.goto(app.url.replace(/#token=.*/, '#token=wrongwrongwrongwrongwrongwrong00'));
  await expect(page.getByTestId('engine-error')).toBeVisible();
});
