import { type MasterKeys, SEALED_NONCE, type SubkeyPurpose, deriveSubkey, join, open, seal } from './crypto';
import { META_QUALITY, decodeChunk, encodeChunk } from './compress';
import { SealedKind, corrupt, hex, newFileId, parseHexId, sealedPath } from './format';
import type { VaultStorage } from './storage';

const MAGIC = Buffer.from('LBSF');
const HEADER = 8;
/** Upper bound for a decompressed sealed file (index files of very large vaults stay far below). */
const MAX_SEALED = 1024 * 1024 * 1024;

function purposeOf(kind: SealedKind): SubkeyPurpose {
  return kind === SealedKind.index ? 'index' : kind === SealedKind.snapshot ? 'snapshot' : 'lock';
}

function header(kind: SealedKind): Buffer {
  const h = Buffer.alloc(HEADER);
  MAGIC.copy(h, 0);
  h[4] = 1;
  h[5] = kind;
  return h;
}

/** Encrypts one sealed file (header ‖ ciphertext ‖ tag) under the file id's subkey. */
export async function encodeSealed(keys: MasterKeys, kind: SealedKind, fileId: Buffer, payload: Buffer): Promise<Buffer[]> {
  const encoded = await encodeChunk(payload, META_QUALITY);
  const h = header(kind);
  const key = deriveSubkey(keys.encKey, fileId, purposeOf(kind));
  const body = seal(key, SEALED_NONCE, Buffer.concat([h, fileId]), [Buffer.from([encoded.method]), encoded.payload]);
  return [h, ...body];
}

/** Decrypts a sealed file; any failure is `corrupt`, naming the file. */
export async function decodeSealed(keys: MasterKeys, kind: SealedKind, fileId: Buffer, bytes: Buffer): Promise<Buffer> {
  const where = sealedPath(kind, hex(fileId));
  const what = kind === SealedKind.index ? 'index file' : kind === SealedKind.snapshot ? 'snapshot' : 'lock';
  if (bytes.length < HEADER + 17 || !bytes.subarray(0, 4).equals(MAGIC)) throw corrupt(what, where, 'not a sealed vault file');
  if (bytes[4] !== 1) throw corrupt(what, where, `unknown sealed-file version ${bytes[4]}`);
  if (bytes[5] !== kind) throw corrupt(what, where, 'holds a different kind of object');
  const key = deriveSubkey(keys.encKey, fileId, purposeOf(kind));
  const plain = open(key, SEALED_NONCE, Buffer.concat([bytes.subarray(0, HEADER), fileId]), bytes.subarray(HEADER));
  if (!plain) throw corrupt(what, where, 'authentication failed (the file is damaged, renamed or was altered)');
  const all = join(plain);
  const out = await decodeChunk(all[0] as number, all.subarray(1), MAX_SEALED);
  if (!out) throw corrupt(what, where, 'bad compressed payload');
  return out;
}

/** Writes a new sealed file durably; returns its id (hex). */
export async function writeSealed(storage: VaultStorage, keys: MasterKeys, kind: SealedKind, payload: Buffer): Promise<string> {
  const fileId = newFileId();
  const id = hex(fileId);
  await storage.writeFile(sealedPath(kind, id), await encodeSealed(keys, kind, fileId, payload));
  return id;
}

/** Reads and decrypts a sealed file by id. */
export async function readSealed(storage: VaultStorage, keys: MasterKeys, kind: SealedKind, id: string): Promise<Buffer> {
  const path = sealedPath(kind, id);
  const fileId = parseHexId(id, path);
  return decodeSealed(keys, kind, fileId, await storage.readFile(path));
}
