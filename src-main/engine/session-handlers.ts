import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { VaultStatus } from '../api/session-contract';
import { unlockVault } from '../vault/vault';
import type { HandlerTable } from './handlers';

/**
 * The environment every handler reads settings from: the process environment plus, once the
 * user unlocks the vault in the app, `LIFEBOAT_PASSPHRASE` for this session only. Handlers
 * already fall back to that variable, so unlocking needs no change in any of them.
 */
export class SessionEnv {
  readonly env: NodeJS.ProcessEnv;
  private readonly fromProcess: boolean;
  private held = false;

  constructor(processEnv: NodeJS.ProcessEnv) {
    this.env = { ...processEnv };
    this.fromProcess = Boolean(processEnv.LIFEBOAT_PASSPHRASE);
  }

  hold(passphrase: string): void {
    this.env.LIFEBOAT_PASSPHRASE = passphrase;
    this.held = true;
  }

  forget(): void {
    if (!this.held) return;
    delete this.env.LIFEBOAT_PASSPHRASE;
    this.held = false;
  }

  via(): VaultStatus['via'] {
    return this.held ? 'session' : this.fromProcess && this.env.LIFEBOAT_PASSPHRASE ? 'environment' : 'none';
  }
}

/** vaultStatus / vaultUnlock / vaultLock. */
export function sessionHandlers(home: string, session: SessionEnv): HandlerTable<'vaultStatus' | 'vaultUnlock' | 'vaultLock'> {
  const dir = () => session.env.LIFEBOAT_VAULT || join(home, 'vault');
  const status = (): VaultStatus => {
    const via = session.via();
    return { dir: dir(), exists: existsSync(join(dir(), 'config')), unlocked: via !== 'none', via };
  };
  return {
    vaultStatus: async () => status(),
    vaultUnlock: async ({ passphrase }) => {
      // Throws wrong-passphrase (with its hint) or not-found before anything is kept.
      await unlockVault({ dir: dir(), passphrase });
      session.hold(passphrase);
      return status();
    },
    vaultLock: async () => {
      session.forget();
      return status();
    },
  };
}
