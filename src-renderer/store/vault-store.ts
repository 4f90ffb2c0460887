import { create } from 'zustand';
import type { RequestOutput } from '../../src-main/api/contract';
import type { VaultStatus } from '../../src-main/api/session-contract';
import { engineApi, errorText } from './engine-store';

type VaultInfo = RequestOutput<'vaultInfo'>;
type CheckReport = RequestOutput<'vaultCheck'>;

/** The Vault page's view of the engine: status, details, the last check, and what is running. */
export interface VaultState {
  status?: VaultStatus;
  info?: VaultInfo;
  check?: CheckReport;
  busy?: 'create' | 'unlock' | 'check' | 'lock';
  error?: string;
  refresh(): Promise<void>;
  createVault(passphrase: string): Promise<void>;
  unlock(passphrase: string, remember?: boolean): Promise<void>;
  lock(): Promise<void>;
  runCheck(readData: boolean): Promise<void>;
}

/** Vault status and actions; the passphrase goes to the engine and is never kept here. */
export const useVaultStore = create<VaultState>((set) => {
  const run = async (busy: NonNullable<VaultState['busy']>, work: () => Promise<void>) => {
    set({ busy, error: undefined });
    try {
      await work();
    } catch (err) {
      set({ error: errorText(err) });
    } finally {
      set({ busy: undefined });
    }
  };
  const loadInfo = async (status: VaultStatus) => {
    set({ status, info: status.exists && status.unlocked ? await engineApi().vaultInfo({}) : undefined });
  };
  return {
    async refresh() {
      try {
        await loadInfo(await engineApi().vaultStatus());
      } catch (err) {
        set({ error: errorText(err) });
      }
    },
    createVault: (passphrase) =>
      run('create', async () => {
        await engineApi().vaultInit({ passphrase });
        await loadInfo(await engineApi().vaultUnlock({ passphrase }));
      }),
    unlock: (passphrase, remember = false) => run('unlock', async () => loadInfo(await engineApi().vaultUnlock({ passphrase, ...(remember ? { remember } : {}) }))),
    lock: () =>
      run('lock', async () => {
        set({ check: undefined });
        await loadInfo(await engineApi().vaultLock());
      }),
    runCheck: (readData) =>
      run('check', async () => {
        set({ check: undefined });
        set({ check: await engineApi().vaultCheck({ readData }) });
      }),
  };
});
