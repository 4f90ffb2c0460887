import { BlobIndex } from './blob-index';
import type { MasterKeys } from './crypto';
import { Dirs, SealedKind, corrupt, hex, isHexId, sealedPath } from './format';
import { readSealed, writeSealed } from './sealed';
import type { VaultStorage } from './storage';

/** One blob as recorded in a pack trailer or an index file. */
export interface BlobEntry {
  readonly type: number;
  readonly id: Buffer;
  /** Position in the pack, which is also its nonce counter. */
  readonly counter: number;
  readonly offset: number;
  readonly length: number;
  readonly rawLength: number;
}

/** A pack and the blobs it holds. */
export interface PackRecord {
  readonly packId: string;
  readonly blobs: readonly BlobEntry[];
}

const MAGIC = Buffer.from('LBIX');
const ENTRY = 49;

/** Binary payload of an index file (docs/vault-format.md, Index). */
export function encodeIndex(packs: readonly PackRecord[]): Buffer {
  let size = 12;
  for (const p of packs) size += 36 + p.blobs.length * ENTRY;
  const out = Buffer.alloc(size);
  MAGIC.copy(out, 0);
  out[4] = 1;
  out.writeUInt32LE(packs.length, 8);
  let at = 12;
  for (const p of packs) {
    out.write(p.packId, at, 'hex');
    out.writeUInt32LE(p.blobs.length, at + 32);
    at += 36;
    for (const b of p.blobs) {
      out[at] = b.type;
      b.id.copy(out, at + 1);
      out.writeUInt32LE(b.counter, at + 33);
      out.writeUInt32LE(b.offset, at + 37);
      out.writeUInt32LE(b.length, at + 41);
      out.writeUInt32LE(b.rawLength, at + 45);
      at += ENTRY;
    }
  }
  return out;
}

/** Parses an index payload; `where` names the file in errors. */
export function decodeIndex(buf: Buffer, where: string): PackRecord[] {
  const bad = (detail: string) => corrupt('index file', where, detail);
  if (buf.length < 12 || !buf.subarray(0, 4).equals(MAGIC)) throw bad('not an index');
  if (buf[4] !== 1) throw bad(`unknown index version ${buf[4]}`);
  const count = buf.readUInt32LE(8);
  const packs: PackRecord[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 36 > buf.length) throw bad('truncated');
    const packId = buf.toString('hex', at, at + 32);
    const n = buf.readUInt32LE(at + 32);
    at += 36;
    if (at + n * ENTRY > buf.length) throw bad('truncated');
    const blobs: BlobEntry[] = [];
    for (let j = 0; j < n; j++) {
      blobs.push({
        type: buf[at] as number,
        id: Buffer.from(buf.subarray(at + 1, at + 33)),
        counter: buf.readUInt32LE(at + 33),
        offset: buf.readUInt32LE(at + 37),
        length: buf.readUInt32LE(at + 41),
        rawLength: buf.readUInt32LE(at + 45),
      });
      at += ENTRY;
    }
    packs.push({ packId, blobs });
  }
  if (at !== buf.length) throw bad('trailing bytes');
  return packs;
}

/** Writes one index file durably; returns its id. */
export function writeIndexFile(storage: VaultStorage, keys: MasterKeys, packs: readonly PackRecord[]): Promise<string> {
  return writeSealed(storage, keys, SealedKind.index, encodeIndex(packs));
}

/** Ids of all index files present. */
export async function listIndexFiles(storage: VaultStorage): Promise<string[]> {
  return (await storage.list(Dirs.index)).filter(isHexId).sort();
}

/** Reads one index file. */
export async function readIndexFile(storage: VaultStorage, keys: MasterKeys, id: string): Promise<PackRecord[]> {
  return decodeIndex(await readSealed(storage, keys, SealedKind.index, id), sealedPath(SealedKind.index, id));
}

/** Adds every blob of the given packs to an in-memory index. */
export function addPacks(index: BlobIndex, packs: readonly PackRecord[]): void {
  for (const p of packs) {
    for (const b of p.blobs) {
      index.add(b.id, { packId: p.packId, type: b.type, counter: b.counter, offset: b.offset, length: b.length, rawLength: b.rawLength });
    }
  }
}

/** Loads the union of every index file. */
export async function loadIndex(storage: VaultStorage, keys: MasterKeys): Promise<{ index: BlobIndex; files: string[] }> {
  const index = new BlobIndex();
  const files = await listIndexFiles(storage);
  for (const id of files) addPacks(index, await readIndexFile(storage, keys, id));
  return { index, files };
}

/** Hex of a blob id, for messages. */
export function blobName(id: Uint8Array): string {
  return `blob ${hex(id)}`;
}
