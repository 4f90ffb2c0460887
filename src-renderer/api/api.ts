import type { LifeboatApi } from '../../src-main/api/named-api';
import { connectBridge, tokenFromHash } from './bridge-client';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a normal browser. */
    readonly lifeboat?: LifeboatApi;
  }
}

/** The engine API for this window: Electron's preload if present, else the loopback bridge. */
export function resolveApi(): LifeboatApi | { error: string } {
  if (window.lifeboat) return window.lifeboat;
  const token = tokenFromHash(window.location.hash);
  if (!token) {
    return { error: 'This page needs the link printed by `lifeboat serve` (it carries a one-time token).' };
  }
  return connectBridge(window.location, token);
}
