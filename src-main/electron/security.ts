import { app, session, shell, type WebContents } from 'electron';
import { rendererCsp } from '../bridge/static-files';

/**
 * Hardening after Podman Desktop's security-restrictions.ts: no navigation away from the app,
 * no new windows (http(s) links open in the system browser), no permissions, a strict CSP.
 */
export function applySecurityRestrictions(): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (url !== contents.getURL()) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (/^https:\/\//.test(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
  });
  app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [rendererCsp] } });
    });
  }).catch(() => undefined);
}

/** True when an IPC message comes from our own top frame (file:// app page), not an iframe or a foreign page. */
export function isTrustedSender(frameUrl: string | undefined, appUrl: string): boolean {
  return frameUrl !== undefined && frameUrl.split('#')[0] === appUrl.split('#')[0];
}
