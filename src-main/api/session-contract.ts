import { z } from 'zod';
import { defineRequests, noInput } from './define';

/** Whether the engine can open the vault without asking, and why. */
export const vaultStatusSchema = z.object({
  /** Vault directory the engine uses by default. */
  dir: z.string(),
  /** A vault exists there (its `config` file is present). */
  exists: z.boolean(),
  /** The engine holds a passphrase for this session (or from $LIFEBOAT_PASSPHRASE). */
  unlocked: z.boolean(),
  via: z.enum(['session', 'environment', 'none']),
});

export type VaultStatus = z.infer<typeof vaultStatusSchema>;

/**
 * Unlocking for the app's doors: the passphrase is checked once and then held in the engine's
 * memory for the session, so the UI never keeps it and requests need not carry it.
 */
export const sessionRequests = defineRequests({
  vaultStatus: {
    summary: 'Whether a vault exists and whether this session has unlocked it',
    input: noInput,
    output: vaultStatusSchema,
  },
  vaultUnlock: {
    summary: 'Check the vault passphrase and keep it in memory for this session',
    input: z
      .object({
        passphrase: z.string().min(1).max(4096),
        /** Desktop app only: keep it in the OS keychain (safeStorage) across restarts. */
        remember: z.boolean().optional(),
      })
      .strict(),
    output: vaultStatusSchema,
  },
  vaultLock: {
    summary: 'Forget the passphrase held for this session',
    input: noInput,
    output: vaultStatusSchema,
  },
});
