import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { LifeboatError } from '../api/errors';
import type { MasterKeys } from './crypto';
import { Dirs, hex, newFileId } from './format';
import { type ScryptParams, deriveKek, validateScrypt } from './kdf';
import type { VaultStorage } from './storage';

const keyFileSchema = z.object({
  version: z.literal(1),
  created: z.string(),
  host: z.string(),
  kdf: z.object({ name: z.literal('scrypt'), N: z.number().int(), r: z.number().int(), p: z.number().int(), salt: z.string() }),
  nonce: z.string(),
  data: z.string(),
});

const KEY_AD_PREFIX = Buffer.from('lifeboat-key-v1');

/** Fresh random master keys for a new vault. */
export function generateMasterKeys(): MasterKeys {
  return { encKey: randomBytes(32), idKey: randomBytes(32), chunkSeed: randomBytes(32) };
}

function keyAd(vaultId: string): Buffer {
  return Buffer.concat([KEY_AD_PREFIX, Buffer.from(vaultId, 'hex')]);
}

/** Wraps the master keys under a passphrase and writes `keys/<id>`; returns the key id. */
export async function writeKeyFile(storage: VaultStorage, vaultId: string, master: MasterKeys, passphrase: string, kdf: ScryptParams): Promise<string> {
  const kek = await deriveKek(passphrase, kdf);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, nonce, { authTagLength: 16 });
  cipher.setAAD(keyAd(vaultId));
  const plain = Buffer.concat([master.encKey, master.idKey, master.chunkSeed]);
  const data = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  plain.fill(0);
  kek.fill(0);
  const doc = {
    version: 1,
    created: new Date().toISOString(),
    host: hostname(),
    kdf: { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt.toString('base64') },
    nonce: nonce.toString('base64'),
    data: data.toString('base64'),
  };
  const keyId = hex(newFileId());
  await storage.mkdir(Dirs.keys);
  await storage.writeFile(`${Dirs.keys}/${keyId}`, Buffer.from(`${JSON.stringify(doc, null, 2)}\n`));
  return keyId;
}

/** Master keys and the key file that opened them. */
export interface UnlockedKeys {
  readonly master: MasterKeys;
  readonly keyId: string;
}

/** Tries the passphrase against every key file; `wrong-passphrase` when none opens. */
export async function unlockKeyFiles(storage: VaultStorage, vaultId: string, passphrase: string): Promise<UnlockedKeys> {
  const names = (await storage.list(Dirs.keys)).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
  if (names.length === 0) {
    throw new LifeboatError('vault-format', `the vault at ${storage.root} has no key files`, 'the keys/ directory was deleted; restore it from a copy of the vault');
  }
  for (const keyId of names) {
    const where = `${Dirs.keys}/${keyId}`;
    let doc: z.infer<typeof keyFileSchema>;
    try {
      doc = keyFileSchema.parse(JSON.parse((await storage.readFile(where)).toString('utf8')));
    } catch (err) {
      if (err instanceof LifeboatError) throw err;
      throw new LifeboatError('vault-format', `${where} is not a valid key file`, 'the key file was damaged or altered; restore it from a copy of the vault');
    }
    validateScrypt(doc.kdf, where);
    const kek = await deriveKek(passphrase, { N: doc.kdf.N, r: doc.kdf.r, p: doc.kdf.p, salt: Buffer.from(doc.kdf.salt, 'base64') });
    const data = Buffer.from(doc.data, 'base64');
    if (data.length !== 96 + 16) throw new LifeboatError('vault-format', `${where} holds a key of the wrong size`);
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(doc.nonce, 'base64'), { authTagLength: 16 });
    decipher.setAAD(keyAd(vaultId));
    decipher.setAuthTag(data.subarray(96));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(0, 96)), decipher.final()]);
    } catch {
      continue;
    } finally {
      kek.fill(0);
    }
    return {
      keyId,
      master: { encKey: plain.subarray(0, 32), idKey: plain.subarray(32, 64), chunkSeed: plain.subarray(64, 96) },
    };
  }
  throw new LifeboatError('wrong-passphrase', 'the passphrase does not open this vault', 'check $LIFEBOAT_PASSPHRASE or your --passphrase-file (a trailing newline in the file is ignored)');
}
