import { app, BrowserWindow, ipcMain } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventNames, isEventName, requests, requestNames } from '../api/contract';
import { eventChannel, requestChannel } from '../api/ipc-channels';
import { toErrorPayload } from '../api/errors';
import { resolveHome } from '../engine/paths';
import { EngineHost } from './engine-host';
import { forgetPassphrase, recallPassphrase, rememberPassphrase } from './passphrase-keeper';
import { applySecurityRestrictions, isTrustedSender } from './security';

/**
 * Electron main: window, engine utility process and IPC registration. Thin by design: every
 * decision lives in the engine, which is tested without Electron.
 */
function start(): void {
  applySecurityRestrictions();
  const home = resolveHome();
  const rendererIndex = join(__dirname, '..', '..', 'renderer', 'index.html');
  const appUrl = pathToFileURL(rendererIndex).toString();
  let window: BrowserWindow | undefined;
  const engine = new EngineHost(home, (event, payload) => {
    if (isEventName(event) && eventNames.includes(event)) window?.webContents.send(eventChannel(event), payload);
  });

  // The passphrase may be remembered only through the OS keychain; see passphrase-keeper.ts.
  const keepPassphrase = (method: string, parsed: unknown) => {
    if (method === 'vaultLock') forgetPassphrase(home);
    const unlock = parsed as { passphrase?: string; remember?: boolean };
    if (method === 'vaultUnlock' && unlock.remember && unlock.passphrase) {
      try {
        rememberPassphrase(home, unlock.passphrase);
      } catch (err) {
        console.warn(String(err));
      }
    }
  };

  for (const method of requestNames) {
    ipcMain.handle(requestChannel(method), async (event, input: unknown) => {
      if (!isTrustedSender(event.senderFrame?.url, appUrl)) {
        return { ok: false, error: { code: 'bad-input', message: 'request from an untrusted frame refused' } };
      }
      try {
        // Validate at the boundary too, so malformed input never crosses into the engine process.
        const parsed = requests[method].input.parse(input);
        const reply = await engine.request(method, parsed);
        if (reply.ok) keepPassphrase(method, parsed);
        return reply;
      } catch (err) {
        return { ok: false, error: toErrorPayload(err) };
      }
    });
  }

  app.whenReady().then(() => {
    const remembered = recallPassphrase(home);
    if (remembered) void engine.request('vaultUnlock', { passphrase: remembered });
    window = new BrowserWindow({
      width: 1200,
      height: 800,
      title: 'Lifeboat',
      show: false,
      webPreferences: {
        preload: join(__dirname, '..', '..', 'preload', 'preload.js'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    });
    window.once('ready-to-show', () => window?.show());
    void window.loadURL(appUrl);
  }).catch((err: unknown) => {
    console.error(err);
    app.exit(1);
  });

  app.on('window-all-closed', () => {
    engine.stop();
    app.quit();
  });
}

start();
