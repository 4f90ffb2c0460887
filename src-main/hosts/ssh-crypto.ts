import { createRequire } from 'node:module';

/**
 * Whether ssh2 runs its ciphers in its optional native binding (built at install, see
 * package.json allowScripts) or in JavaScript. Transfers are about a third slower without it;
 * the packaged Electron app falls back to JavaScript unless the binding was rebuilt for
 * Electron, so the engine reports which one it got instead of leaving users to guess.
 */
export function sshCryptoKind(): 'native' | 'javascript' {
  try {
    const crypto = createRequire(__filename)('ssh2/lib/protocol/crypto') as { bindingAvailable?: boolean };
    return crypto.bindingAvailable ? 'native' : 'javascript';
  } catch {
    return 'javascript';
  }
}
