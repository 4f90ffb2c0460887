import { safeStorage } from 'electron';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const fileName = 'vault-passphrase.safe';

/**
 * Whether the OS keychain can protect the passphrase. Electron falls back to a hard-coded key
 * ("basic_text") on Linux desktops without a secret service: that is plain text in disguise,
 * so Lifeboat refuses to remember the passphrase there.
 */
export function canRemember(): { ok: true } | { ok: false; reason: string } {
  if (!safeStorage.isEncryptionAvailable()) return { ok: false, reason: 'the operating system offers no encryption for saved secrets' };
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    return { ok: false, reason: 'no keyring (GNOME Keyring or KWallet) is running, so the passphrase would be stored as plain text' };
  }
  return { ok: true };
}

/** Stores the vault passphrase encrypted by the OS keychain; throws when that is not possible. */
export function rememberPassphrase(home: string, passphrase: string): void {
  const can = canRemember();
  if (!can.ok) throw new Error(`Lifeboat will not remember the passphrase: ${can.reason}`);
  writeFileSync(join(home, fileName), safeStorage.encryptString(passphrase), { mode: 0o600 });
}

/** The remembered passphrase, or undefined when none is kept or the keychain refuses it. */
export function recallPassphrase(home: string): string | undefined {
  const file = join(home, fileName);
  if (!existsSync(file) || !canRemember().ok) return undefined;
  try {
    return safeStorage.decryptString(readFileSync(file));
  } catch {
    return undefined;
  }
}

/** Forgets the remembered passphrase (on lock). */
export function forgetPassphrase(home: string): void {
  rmSync(join(home, fileName), { force: true });
}
