import { join } from 'node:path';
import { LifeboatError } from '../api/errors';
import { Catalog } from '../vault/catalog';
import { type Vault, openVault } from '../vault/vault';

/** Where the vault is and how to open it; defaults come from the environment. */
export interface VaultAccess {
  readonly home: string;
  /** `LIFEBOAT_VAULT` and `LIFEBOAT_PASSPHRASE`. */
  readonly env: NodeJS.ProcessEnv;
  readonly vault?: string | undefined;
  readonly passphrase?: string | undefined;
}

/** An open vault with its catalog, for the length of one job. */
export interface VaultSession {
  readonly vault: Vault;
  readonly dir: string;
  close(): Promise<void>;
}

/** The vault directory: the request's, `$LIFEBOAT_VAULT`, or `<home>/vault`. */
export function vaultDirOf(access: VaultAccess): string {
  return access.vault ?? (access.env.LIFEBOAT_VAULT || join(access.home, 'vault'));
}

/**
 * Opens the vault the way the vault requests do (passphrase from the request or
 * `$LIFEBOAT_PASSPHRASE`, catalog at `<home>/catalog.sqlite` kept in step with commits), for a
 * backup that runs as a job long after its request returned.
 */
export async function openVaultSession(access: VaultAccess): Promise<VaultSession> {
  const passphrase = access.passphrase ?? access.env.LIFEBOAT_PASSPHRASE;
  if (!passphrase) {
    throw new LifeboatError('bad-input', 'the vault passphrase is needed', 'unlock the vault (Vault page in the app), or set LIFEBOAT_PASSPHRASE, use --vault-passphrase-file FILE, or run in a terminal to be asked');
  }
  const dir = vaultDirOf(access);
  const catalog = Catalog.open(join(access.home, 'catalog.sqlite'));
  try {
    const vault = await openVault({ dir, passphrase, catalog });
    return {
      vault,
      dir,
      close: async () => {
        try {
          await vault.close();
        } finally {
          catalog.close();
        }
      },
    };
  } catch (err) {
    catalog.close();
    throw err;
  }
}
