import { randomBytes } from 'node:crypto';
import { LifeboatError } from '../api/errors';

/** Format version this code writes and the highest it reads (docs/vault-format.md). */
export const FORMAT_VERSION = 1;

/** Chunker parameters of format version 1 (recorded in `config`, not secret). */
export const CHUNK_MIN = 256 * 1024;
export const CHUNK_NORMAL = 896 * 1024;
export const CHUNK_MAX = 8 * 1024 * 1024;

/** A pack is closed once it holds at least this many bytes. */
export const PACK_TARGET = 16 * 1024 * 1024;

/** AEAD tag length (AES-256-GCM). */
export const TAG_LENGTH = 16;

/** Blob types stored in packs. */
export const BlobType = { data: 0, meta: 1 } as const;
export type BlobType = (typeof BlobType)[keyof typeof BlobType];

/** Compression method byte that starts every decrypted blob and sealed file. */
export const Method = { raw: 0, brotli: 1 } as const;

/** Sealed file kinds (index, snapshot, lock) and the subkey purpose each uses. */
export const SealedKind = { index: 1, snapshot: 2, lock: 3 } as const;
export type SealedKind = (typeof SealedKind)[keyof typeof SealedKind];

/** Vault subdirectories, relative to the vault root. */
export const Dirs = { keys: 'keys', data: 'data', index: 'index', snapshots: 'snapshots', locks: 'locks', tmp: 'tmp' } as const;

/** A 32-byte random id, as used for packs and every sealed file. */
export function newFileId(): Buffer {
  return randomBytes(32);
}

/** Lower-case hex of an id; the form used in file names and manifests. */
export function hex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;

/** True for a full 64-digit lower-case hex id. */
export function isHexId(text: string): boolean {
  return HEX64.test(text);
}

/** Parses a 64-digit hex id, or throws `vault-format` naming where it came from. */
export function parseHexId(text: string, where: string): Buffer {
  if (!isHexId(text)) throw new LifeboatError('vault-format', `${where}: "${text.slice(0, 80)}" is not an object id`);
  return Buffer.from(text, 'hex');
}

/** Relative path of a pack file: `data/<xx>/<packId>`. */
export function packPath(packId: string): string {
  return `${Dirs.data}/${packId.slice(0, 2)}/${packId}`;
}

/** Relative path of a sealed file of the given kind. */
export function sealedPath(kind: SealedKind, fileId: string): string {
  const dir = kind === SealedKind.index ? Dirs.index : kind === SealedKind.snapshot ? Dirs.snapshots : Dirs.locks;
  return `${dir}/${fileId}`;
}

/** Short form of an id for messages and tables. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** The error for an object whose bytes do not authenticate or do not parse. */
export function corrupt(object: string, file: string, detail: string): LifeboatError {
  return new LifeboatError(
    'corrupt',
    `${object} in ${file}: ${detail}`,
    'the vault file is damaged or was altered; run "lifeboat check --read-data" to list every damaged object, then restore from a copy ("lifeboat copy") if you have one',
  );
}

/** Throws `cancelled` if the signal fired; long loops call it between steps. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new LifeboatError('cancelled', `${what} was cancelled`);
}
