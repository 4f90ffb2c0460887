import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { labOrUndefined } from './lab-fixture';
import { type ServedApp, serveApp } from './serve-fixture';

const info = labOrUndefined();
let app: ServedApp;
test.beforeAll(async () => {
  if (!info) return;
  app = await serveApp({ HOME: mkdtempSync(join(tmpdir(), 'lifeboat-e2e-user-')) });
  // Lifeboat trusted another key for the lab's address before: as if the server was replaced.
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-e2e-key-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'old')]);
  const [type, blob] = readFileSync(join(dir, 'old.pub'), 'utf8').split(' ');
  writeFileSync(join(app.home, 'known_hosts'), `[${info.ssh.host}]:${info.ssh.port} ${type} ${blob} lifeboat host lab\n`);
});
test.afterAll(async () => app?.stop());

test('adding a host: an unreachable address and a changed key each say what to do next', async ({ page }) => {
  test.skip(!info, 'the test lab is not up (npm run lab:up)');
  if (!info) return;
  await page.goto(app.url);
  await page.getByRole('button', { name: 'Hosts', exact: true }).click();
  await page.getByTestId('add-host').click();
  await page.getByTestId('host-name').fill('lab');
  await page.getByTestId('host-identity').fill(info.ssh.identityFile);

  // Port 1 on loopback: nothing listens there.
  await page.getByTestId('host-url').fill(`ssh://${info.ssh.user}@127.0.0.1:1`);
  await page.getByTestId('add-host-submit').click();
  const error = page.getByTestId('add-host-error');
  await expect(error).toContainText('cannot reach 127.0.0.1:1: connection refused');
  await expect(error).toContainText('check the host name and port');
  await page.screenshot({ path: 'test-results/screenshots/hosts-unreachable.png', fullPage: true });

  await page.getByTestId('host-url').fill(`ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`);
  await page.getByTestId('add-host-submit').click();
  await expect(page.getByTestId('fingerprint')).toHaveText(info.ssh.hostKeyFingerprint);
  const refused = page.getByTestId('key-refused');
  await expect(refused).toContainText('does NOT match');
  await expect(refused).toContainText(`ssh-keygen -R '[${info.ssh.host}]:${info.ssh.port}' -f '${join(app.home, 'known_hosts')}'`);
  await expect(page.getByTestId('accept-key')).toHaveCount(0);
  await expect(page.getByTestId('add-host-submit')).toBeDisabled();
  await page.screenshot({ path: 'test-results/screenshots/hosts-changed-key.png', fullPage: true });
  // Nothing was trusted or saved: the stale key is still the only one, and there is no host.
  expect(readFileSync(join(app.home, 'known_hosts'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  await expect(page.getByTestId('hosts-table')).toHaveCount(0);
});
