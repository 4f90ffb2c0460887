import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { TAG_LENGTH } from './format';

/** The 96-byte master key, split by purpose (docs/vault-format.md, Keys). */
export interface MasterKeys {
  /** Root of every encryption subkey. */
  readonly encKey: Buffer;
  /** HMAC key of blob ids. */
  readonly idKey: Buffer;
  /** Seed of the chunker's gear table. */
  readonly chunkSeed: Buffer;
}

/** Purposes that name a subkey; part of the HKDF info string. */
export type SubkeyPurpose = 'pack' | 'index' | 'snapshot' | 'lock';

const ALG = 'aes-256-gcm';
/** Cipher input is fed in slices this size so no output buffer is large (large ones cost page faults). */
const SLICE = 64 * 1024;

/** The subkey of one file: HKDF-SHA256(encKey, salt = fileId, info = "lifeboat v1 <purpose>"). */
export function deriveSubkey(encKey: Buffer, fileId: Uint8Array, purpose: SubkeyPurpose): Buffer {
  return Buffer.from(hkdfSync('sha256', encKey, fileId, `lifeboat v1 ${purpose}`, 32));
}

/** Nonce of blob `counter` in a pack (domain 0). */
export function blobNonce(counter: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(0, 0);
  nonce.writeUInt32BE(Math.floor(counter / 2 ** 32), 4);
  nonce.writeUInt32BE(counter >>> 0, 8);
  return nonce;
}

/** Nonce of a pack's trailer (domain 1), distinct from every blob nonce. */
export const TRAILER_NONCE: Buffer = Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);

/** Nonce of a sealed file: its subkey encrypts exactly one message. */
export const SEALED_NONCE: Buffer = Buffer.alloc(12);

/** Associated data of a blob: type byte ‖ blob id. */
export function blobAd(type: number, id: Uint8Array): Buffer {
  const ad = Buffer.allocUnsafe(33);
  ad[0] = type;
  ad.set(id, 1);
  return ad;
}

/** The keyed id of a plaintext: HMAC-SHA256(idKey, bytes), over one or more parts. */
export function blobIdOf(idKey: Buffer, parts: Uint8Array | readonly Uint8Array[]): Buffer {
  const mac = createHmac('sha256', idKey);
  if (parts instanceof Uint8Array) mac.update(parts);
  else for (const p of parts) mac.update(p);
  return mac.digest();
}

/**
 * AEAD-encrypts `parts` as one message; returns ciphertext pieces followed by the 16-byte tag.
 * Pieces are at most 64 KiB so the pack writer can hand them to writev without joining them.
 */
export function seal(key: Buffer, nonce: Buffer, ad: Uint8Array, parts: readonly Uint8Array[]): Buffer[] {
  const cipher = createCipheriv(ALG, key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(ad);
  const out: Buffer[] = [];
  for (const part of parts) {
    for (let at = 0; at < part.byteLength; at += SLICE) {
      out.push(cipher.update(part.subarray(at, Math.min(part.byteLength, at + SLICE))));
    }
  }
  const last = cipher.final();
  if (last.length > 0) out.push(last);
  out.push(cipher.getAuthTag());
  return out;
}

/**
 * Decrypts one message (`sealed` = ciphertext ‖ tag). Returns plaintext pieces, or undefined
 * when authentication fails — the caller names the object in its error.
 */
export function open(key: Buffer, nonce: Buffer, ad: Uint8Array, sealed: Uint8Array): Buffer[] | undefined {
  if (sealed.byteLength < TAG_LENGTH) return undefined;
  const end = sealed.byteLength - TAG_LENGTH;
  const decipher = createDecipheriv(ALG, key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(ad);
  decipher.setAuthTag(sealed.subarray(end));
  const out: Buffer[] = [];
  for (let at = 0; at < end; at += SLICE) out.push(decipher.update(sealed.subarray(at, Math.min(end, at + SLICE))));
  try {
    const last = decipher.final();
    if (last.length > 0) out.push(last);
  } catch {
    return undefined;
  }
  return out;
}

/** Total length of a list of pieces. */
export function byteLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}

/** Joins pieces into one buffer (no copy when there is one piece). */
export function join(parts: readonly Uint8Array[]): Buffer {
  if (parts.length === 1) {
    const p = parts[0] as Uint8Array;
    return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  }
  return Buffer.concat(parts as Uint8Array[]);
}
