import type { BlobLocation } from './blob-index';
import { decodeChunk } from './compress';
import { type MasterKeys, TRAILER_NONCE, blobAd, blobIdOf, blobNonce, deriveSubkey, join, open } from './crypto';
import { TAG_LENGTH, corrupt, hex, packPath } from './format';
import type { BlobEntry } from './index-files';
import { PACK_FOOTER, PACK_HEADER, TRAILER_ENTRY, packHeader } from './pack-writer';
import type { ReadHandle, VaultStorage } from './storage';

interface OpenPack {
  readonly handle: ReadHandle;
  readonly key: Buffer;
  busy: number;
}

/** Describes a blob for error messages: `blob <id>`. */
function blobLabel(id: Uint8Array): string {
  return `blob ${hex(id)}`;
}

/**
 * Reads blobs out of packs: a small cache of open files and per-pack subkeys, authenticated
 * decryption, decompression, and a final check that the plaintext's keyed hash is the id that
 * was asked for — so a reader never returns bytes other than the ones that were stored.
 */
export class PackFiles {
  private readonly open = new Map<string, OpenPack>();

  constructor(
    private readonly storage: VaultStorage,
    private readonly keys: MasterKeys,
    private readonly maxOpen = 32,
  ) {}

  private async acquire(packId: string): Promise<OpenPack> {
    let entry = this.open.get(packId);
    if (entry) {
      this.open.delete(packId);
      this.open.set(packId, entry);
    } else {
      const handle = await this.storage.openRead(packPath(packId));
      entry = this.open.get(packId);
      if (entry) {
        await handle.close();
      } else {
        entry = { handle, key: deriveSubkey(this.keys.encKey, Buffer.from(packId, 'hex'), 'pack'), busy: 0 };
        this.open.set(packId, entry);
        this.evict();
      }
    }
    entry.busy++;
    return entry;
  }

  private evict(): void {
    if (this.open.size <= this.maxOpen) return;
    for (const [id, e] of this.open) {
      if (this.open.size <= this.maxOpen) break;
      if (e.busy === 0) {
        this.open.delete(id);
        void e.handle.close().catch(() => undefined);
      }
    }
  }

  /** Exactly `length` bytes at `offset` of a pack, or `corrupt` when the file is too short. */
  async readRange(packId: string, offset: number, length: number, what: string): Promise<{ bytes: Buffer; key: Buffer }> {
    const entry = await this.acquire(packId);
    try {
      const bytes = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = await entry.handle.read(bytes, got, length - got, offset + got);
        if (n === 0) throw corrupt(what, packPath(packId), `truncated (wanted ${length} bytes at offset ${offset}, file ends earlier)`);
        got += n;
      }
      return { bytes, key: entry.key };
    } finally {
      entry.busy--;
      this.evict();
    }
  }

  /** Reads, authenticates, decompresses and verifies one blob. */
  async readBlob(id: Buffer, loc: BlobLocation): Promise<Buffer> {
    const { bytes, key } = await this.readRange(loc.packId, loc.offset, loc.length, blobLabel(id));
    return openBlob(this.keys, key, id, loc, bytes);
  }

  /** The authenticated trailer of a pack, checked against its header and footer. */
  async readTrailer(packId: string): Promise<{ entries: BlobEntry[]; size: number }> {
    const where = packPath(packId);
    const entry = await this.acquire(packId);
    let size: number;
    try {
      size = await entry.handle.size();
    } finally {
      entry.busy--;
    }
    if (size < PACK_HEADER + PACK_FOOTER + TAG_LENGTH) throw corrupt('pack', where, `truncated (${size} bytes)`);
    const head = (await this.readRange(packId, 0, PACK_HEADER, 'pack header')).bytes;
    if (!head.equals(packHeader(Buffer.from(packId, 'hex')))) throw corrupt('pack header', where, 'does not carry this pack id (renamed or swapped file)');
    const foot = (await this.readRange(packId, size - PACK_FOOTER, PACK_FOOTER, 'pack footer')).bytes;
    if (foot.toString('latin1', 12, 16) !== 'LBPE' || foot.readUInt32LE(8) !== 0) throw corrupt('pack footer', where, 'missing or damaged (truncated file?)');
    const trailerLength = foot.readUInt32LE(0);
    const count = foot.readUInt32LE(4);
    if (trailerLength !== count * TRAILER_ENTRY + TAG_LENGTH || trailerLength > size - PACK_HEADER - PACK_FOOTER) {
      throw corrupt('pack footer', where, 'inconsistent trailer length');
    }
    const trailerAt = size - PACK_FOOTER - trailerLength;
    const { bytes, key } = await this.readRange(packId, trailerAt, trailerLength, 'pack trailer');
    const plain = open(key, TRAILER_NONCE, head, bytes);
    if (!plain) throw corrupt('pack trailer', where, 'authentication failed (the file is damaged or was altered)');
    const table = join(plain);
    const entries: BlobEntry[] = [];
    for (let i = 0; i < count; i++) {
      const at = i * TRAILER_ENTRY;
      entries.push({
        type: table[at] as number,
        id: Buffer.from(table.subarray(at + 1, at + 33)),
        counter: i,
        offset: table.readUInt32LE(at + 33),
        length: table.readUInt32LE(at + 37),
        rawLength: table.readUInt32LE(at + 41),
      });
    }
    // Blobs land in completion order: sorted by offset they must tile the data region exactly.
    let expected = PACK_HEADER;
    for (const e of [...entries].sort((a, b) => a.offset - b.offset)) {
      if (e.offset !== expected || e.length < TAG_LENGTH + 1) throw corrupt('pack trailer', where, `blob ${e.counter} is not where the previous one ends`);
      expected += e.length;
    }
    if (expected !== trailerAt) throw corrupt('pack trailer', where, 'blobs and trailer do not add up to the file size');
    return { entries, size };
  }

  /** Closes every open pack file. */
  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((e) => e.handle.close().catch(() => undefined)));
  }
}

/**
 * Decrypts a blob's bytes (ciphertext ‖ tag) read from its pack, decodes it and checks the id.
 * Errors are `corrupt`, naming the blob and its pack file.
 */
export async function openBlob(keys: MasterKeys, packKey: Buffer, id: Buffer, loc: BlobLocation, bytes: Buffer): Promise<Buffer> {
  const where = packPath(loc.packId);
  const plain = open(packKey, blobNonce(loc.counter), blobAd(loc.type, id), bytes);
  if (!plain) throw corrupt(blobLabel(id), where, 'authentication failed (the file is damaged or was altered)');
  const first = plain[0];
  let method: number;
  let payload: Buffer;
  if (first && first.length > 1) {
    method = first[0] as number;
    payload = join([first.subarray(1), ...plain.slice(1)]);
  } else {
    method = first?.[0] ?? 255;
    payload = join(plain.slice(1).length > 0 ? plain.slice(1) : [Buffer.alloc(0)]);
  }
  const data = await decodeChunk(method, payload, loc.rawLength);
  if (!data || data.length !== loc.rawLength) throw corrupt(blobLabel(id), where, 'does not decompress to its recorded length');
  if (!blobIdOf(keys.idKey, data).equals(id)) throw corrupt(blobLabel(id), where, 'content does not match its id');
  return data;
}
