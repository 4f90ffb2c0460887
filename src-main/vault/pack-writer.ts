import { type MasterKeys, TRAILER_NONCE, byteLength, deriveSubkey, seal } from './crypto';
import { newFileId, hex, packPath } from './format';
import type { BlobEntry, PackRecord } from './index-files';
import type { AtomicWriter, VaultStorage } from './storage';

/** Fixed pack header size: "LBPK" | version | 3 zero bytes | packId. */
export const PACK_HEADER = 40;
/** Fixed pack footer size: trailerLength | blobCount | 0 | "LBPE". */
export const PACK_FOOTER = 16;
/** One trailer entry: type | id | offset | length | rawLength. */
export const TRAILER_ENTRY = 45;

/** The 40-byte header of a pack (also the trailer's associated data). */
export function packHeader(packId: Uint8Array): Buffer {
  const h = Buffer.alloc(PACK_HEADER);
  h.write('LBPK', 0, 'latin1');
  h[4] = 1;
  h.set(packId, 8);
  return h;
}

/** Plain trailer table (before encryption), entries in blob order. */
export function encodeTrailer(entries: readonly BlobEntry[]): Buffer {
  const out = Buffer.alloc(entries.length * TRAILER_ENTRY);
  entries.forEach((b, i) => {
    const at = i * TRAILER_ENTRY;
    out[at] = b.type;
    b.id.copy(out, at + 1);
    out.writeUInt32LE(b.offset, at + 33);
    out.writeUInt32LE(b.length, at + 37);
    out.writeUInt32LE(b.rawLength, at + 41);
  });
  return out;
}

/** Most pieces handed to one writev. */
const MAX_PIECES = 512;

/**
 * Where a worker thread writes a pack's blobs itself (`pwrite` on the pack's descriptor): the
 * worker keeps one append offset per pack, starting at `start`, and reports where each blob
 * landed. Its ciphertext never crosses to the main thread — no transfer, no main-thread write,
 * no garbage there.
 */
export interface PackTarget {
  /** Names the pack for the worker (unique in this process). */
  readonly pack: number;
  readonly fd: number;
  /** First byte after the header. */
  readonly start: number;
}

let nextPackNumber = 1;

/**
 * Streams one pack to `tmp/`. A blob first gets a slot (its counter, hence its nonce) and is
 * then appended when its ciphertext is ready — in any order; the trailer records where each
 * one landed. Writes go to the file in the background, in append order; `finish` appends the
 * encrypted trailer and footer and commits the file (fsync, rename, fsync dir).
 */
export class PackWriter {
  readonly packId: Buffer = newFileId();
  readonly packHex: string = hex(this.packId);
  /** The pack's subkey (blobs are sealed with it, possibly on worker threads). */
  readonly key: Buffer;
  private readonly entries: (BlobEntry | undefined)[] = [];
  private offset = PACK_HEADER;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private pump: Promise<void> | undefined;
  private failure: unknown;
  private writer: AtomicWriter | undefined;
  private readonly opening: Promise<AtomicWriter>;
  private readonly number = nextPackNumber++;
  /** How blobs reach the file: appended here, or placed by workers (never both in one pack). */
  private mode: 'append' | 'placed' | undefined;
  /** Slots handed out but not yet appended. */
  open = 0;
  /** Bytes appended plus the plain size of blobs still being sealed (for rotation). */
  estimate = PACK_HEADER;

  constructor(storage: VaultStorage, keys: MasterKeys) {
    this.key = deriveSubkey(keys.encKey, this.packId, 'pack');
    this.opening = storage.create();
    this.opening.catch(() => undefined);
    this.enqueue([packHeader(this.packId)]);
  }

  /** Logical size so far (header and appended blobs). */
  get size(): number {
    return this.offset;
  }

  /** Number of slots handed out. */
  get count(): number {
    return this.entries.length;
  }

  /** Bytes appended but not yet handed to the file system. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Reserves the next counter for a blob of about `rawLength` bytes. */
  slot(rawLength: number): number {
    if (this.failure) throw this.failure;
    this.open++;
    this.estimate += rawLength;
    this.entries.push(undefined);
    return this.entries.length - 1;
  }

  /** Appends a sealed blob (ciphertext pieces ending with the tag) into its reserved slot. */
  append(counter: number, type: number, id: Buffer, rawLength: number, pieces: Buffer[]): BlobEntry {
    if (this.failure) throw this.failure;
    this.setMode('append');
    const length = byteLength(pieces);
    const entry: BlobEntry = { type, id, counter, offset: this.offset, length, rawLength };
    this.entries[counter] = entry;
    this.offset += length;
    this.estimate += length - rawLength;
    this.open--;
    this.enqueue(pieces);
    return entry;
  }

  /**
   * Where a worker may write this pack's blobs, or undefined when the storage offers no
   * descriptor (then seal to pieces and `append`). A pack is written one way or the other:
   * every pack of a storage gets the same answer.
   */
  async target(): Promise<PackTarget | undefined> {
    const writer = await this.opening;
    if (writer.fd === undefined || !writer.writeAt) return undefined;
    return { pack: this.number, fd: writer.fd, start: PACK_HEADER };
  }

  /** Records a blob a worker wrote through `target()` at `offset` (`length` bytes of ciphertext). */
  placed(counter: number, type: number, id: Buffer, rawLength: number, offset: number, length: number): BlobEntry {
    if (this.failure) throw this.failure;
    this.setMode('placed');
    const entry: BlobEntry = { type, id, counter, offset, length, rawLength };
    this.entries[counter] = entry;
    this.offset = Math.max(this.offset, offset + length);
    this.estimate += length - rawLength;
    this.open--;
    return entry;
  }

  private setMode(mode: 'append' | 'placed'): void {
    if (this.mode !== undefined && this.mode !== mode) throw new Error('a pack cannot mix placed and appended blobs');
    this.mode = mode;
  }

  private enqueue(pieces: Buffer[]): void {
    for (const p of pieces) {
      this.queue.push(p);
      this.queuedBytes += p.length;
    }
    this.pump ??= this.run();
  }

  private async run(): Promise<void> {
    try {
      this.writer ??= await this.opening;
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_PIECES);
        const n = byteLength(batch);
        await this.writer.write(batch);
        this.queuedBytes -= n;
      }
    } catch (err) {
      this.failure ??= err;
      this.queue = [];
      this.queuedBytes = 0;
    } finally {
      this.pump = undefined;
    }
  }

  /** Waits until everything appended so far is written (or throws the write error). */
  async drain(): Promise<void> {
    while (this.pump) await this.pump;
    if (this.failure) throw this.failure;
  }

  /** Writes trailer and footer, commits the pack durably; returns its record for the index. */
  async finish(): Promise<PackRecord> {
    const entries = this.entries.filter((e): e is BlobEntry => e !== undefined);
    if (this.open !== 0 || entries.length !== this.entries.length) throw new Error('pack finished with blobs still being sealed');
    const trailer = seal(this.key, TRAILER_NONCE, packHeader(this.packId), [encodeTrailer(entries)]);
    const footer = Buffer.alloc(PACK_FOOTER);
    footer.writeUInt32LE(byteLength(trailer), 0);
    footer.writeUInt32LE(entries.length, 4);
    footer.write('LBPE', 12, 'latin1');
    try {
      if (this.mode === 'placed') {
        // The blobs were written by workers at explicit positions; the header went first.
        await this.drain();
        const writer = this.writer ?? (await this.opening);
        await (writer.writeAt as NonNullable<AtomicWriter['writeAt']>)([...trailer, footer], this.offset);
      } else {
        this.enqueue([...trailer, footer]);
        await this.drain();
      }
      await (this.writer ?? (await this.opening)).commit(packPath(this.packHex));
    } catch (err) {
      await this.abort();
      throw err;
    }
    return { packId: this.packHex, blobs: entries };
  }

  /** Drops the pack (its temp file is deleted). */
  async abort(): Promise<void> {
    this.failure ??= new Error('pack aborted');
    await this.pump?.catch(() => undefined);
    const writer = this.writer ?? (await this.opening.catch(() => undefined));
    await writer?.abort();
  }
}
