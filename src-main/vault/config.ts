import { z } from 'zod';
import { LifeboatError } from '../api/errors';
import { CHUNK_MAX, CHUNK_MIN, CHUNK_NORMAL, FORMAT_VERSION, isHexId, newFileId, hex } from './format';
import type { VaultStorage } from './storage';

/** The plain `config` file: what any reader checks before asking for a passphrase. */
export const configSchema = z.object({
  format: z.literal('lifeboat-vault'),
  version: z.number().int().positive(),
  id: z.string().refine(isHexId, 'vault id must be 64 hex digits'),
  created: z.string(),
  aead: z.literal('aes-256-gcm'),
  idHash: z.literal('hmac-sha256'),
  compression: z.literal('brotli'),
  chunker: z.object({
    algorithm: z.literal('fastcdc-gear32'),
    min: z.literal(CHUNK_MIN),
    normal: z.literal(CHUNK_NORMAL),
    max: z.literal(CHUNK_MAX),
  }),
});

export type VaultConfig = z.infer<typeof configSchema>;

/** A new config with a fresh vault id. */
export function newConfig(now: Date = new Date()): VaultConfig {
  return {
    format: 'lifeboat-vault',
    version: FORMAT_VERSION,
    id: hex(newFileId()),
    created: now.toISOString(),
    aead: 'aes-256-gcm',
    idHash: 'hmac-sha256',
    compression: 'brotli',
    chunker: { algorithm: 'fastcdc-gear32', min: CHUNK_MIN, normal: CHUNK_NORMAL, max: CHUNK_MAX },
  };
}

/** Serialised config as written to disk. */
export function encodeConfig(config: VaultConfig): Buffer {
  return Buffer.from(`${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Reads and checks `config`. A newer version fails before anything else is touched; a missing
 * file means "no vault here".
 */
export async function readConfig(storage: VaultStorage): Promise<VaultConfig> {
  if ((await storage.size('config')) === undefined) {
    throw new LifeboatError('not-found', `there is no vault at ${storage.root}`, 'create one with "lifeboat vault init", or point $LIFEBOAT_VAULT at an existing vault');
  }
  const bytes = await storage.readFile('config');
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new LifeboatError('vault-format', `${storage.root}/config is not valid JSON`, 'this directory is not a Lifeboat vault, or its config file was damaged');
  }
  const head = z.object({ format: z.string(), version: z.number() }).safeParse(raw);
  if (!head.success || head.data.format !== 'lifeboat-vault') {
    throw new LifeboatError('vault-format', `${storage.root} is not a Lifeboat vault`, 'point $LIFEBOAT_VAULT at a directory made by "lifeboat vault init"');
  }
  if (head.data.version > FORMAT_VERSION) {
    throw new LifeboatError('vault-format', `the vault at ${storage.root} uses format version ${head.data.version}, made by a newer Lifeboat (this one reads up to ${FORMAT_VERSION})`, 'update Lifeboat to open this vault');
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new LifeboatError('vault-format', `${storage.root}/config has unexpected content (${parsed.error.issues[0]?.message ?? 'invalid'})`, 'the config file was altered; restore it from a copy of the vault');
  }
  return parsed.data;
}
