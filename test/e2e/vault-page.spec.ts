import { expect, test } from '@playwright/test';
import { type ServedApp, serveApp } from './serve-fixture';

let app: ServedApp;
test.beforeAll(async () => {
  // No LIFEBOAT_PASSPHRASE: the user creates and unlocks the vault in the page.
  app = await serveApp({ LIFEBOAT_PASSPHRASE: '' });
});
test.afterAll(async () => app.stop());

test('create the vault, check it, lock it, and unlock it only with the right passphrase', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Vault', exact: true }).click();
  const create = page.getByTestId('vault-create');
  await expect(create).toContainText(app.home);
  await create.getByLabel('New passphrase').fill('short');
  await create.getByLabel('Repeat it').fill('shorter');
  await expect(create).toContainText('Short: use at least 12 characters');
  await expect(create).toContainText('The two passphrases differ.');
  await expect(create.getByRole('button', { name: 'Create vault' })).toBeDisabled();
  await page.screenshot({ path: 'test-results/screenshots/vault-create.png' });
  await create.getByLabel('New passphrase').fill('correct horse battery staple');
  await create.getByLabel('Repeat it').fill('correct horse battery staple');
  await create.getByRole('button', { name: 'Create vault' }).click();
  const info = page.getByTestId('vault-info');
  await expect(info).toContainText('Snapshots', { timeout: 60_000 });
  await expect(info).toContainText('your passphrase, for this session');
  await page.getByRole('button', { name: 'Quick check' }).click();
  await expect(page.getByTestId('vault-check')).toContainText('No problems found.');
  await page.screenshot({ path: 'test-results/screenshots/vault-unlocked.png', fullPage: true });

  await page.getByRole('button', { name: 'Lock the vault' }).click();
  const unlock = page.getByTestId('vault-unlock');
  await unlock.getByLabel('Passphrase').fill('wrong passphrase');
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByTestId('vault-error')).toContainText('passphrase does not open this vault');
  await page.screenshot({ path: 'test-results/screenshots/vault-wrong-passphrase.png' });
  await expect(unlock.getByLabel('Passphrase')).toHaveValue('');
  await unlock.getByLabel('Passphrase').fill('correct horse battery staple');
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByTestId('vault-info')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('vault-error')).toHaveCount(0);
});
