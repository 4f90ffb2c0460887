import type { BlobIndex } from './blob-index';
import { type MasterKeys, blobAd, blobNonce, seal } from './crypto';
import { PACK_TARGET } from './format';
import { type PackRecord, addPacks, writeIndexFile } from './index-files';
import { PackWriter } from './pack-writer';
import { type VaultStorage, storageError } from './storage';

/** Bytes of ciphertext allowed to wait for the disk before producers are held back. */
const MAX_PENDING_WRITE = 8 * 1024 * 1024;
/** Packs finishing (fsync, rename) at the same time. */
const MAX_FINISHING = 2;
/** A long backup writes a partial index after this many packs, so a crash keeps its dedup progress. */
const INDEX_EVERY_PACKS = 256;

/** What a session stored: new blobs and the bytes they took. */
export interface SinkStats {
  blobsNew: number;
  bytesNew: number;
  storedNew: number;
}

/** A reserved place for one blob: its pack, counter and the pack's subkey. */
export interface Slot {
  readonly pack: PackWriter;
  readonly counter: number;
  readonly key: Buffer;
}

/**
 * Where one writing session (a snapshot) puts new blobs: hands out slots in the current pack,
 * rotates packs at ~16 MiB, finishes them durably in the background, remembers blobs that are
 * stored but not yet durable (so the same chunk is never stored twice), and writes index files
 * only for durable packs.
 */
export class PackSink {
  /**
   * The pack being filled per lane: one per crypto worker (a worker writes its blobs into its
   * own pack), and the main thread's under `undefined`.
   */
  private readonly filling = new Map<number | undefined, PackWriter>();
  private readonly closing = new Set<PackWriter>();
  private readonly finishing = new Set<Promise<void>>();
  private readonly pending = new Map<string, number>();
  private readonly unindexed: PackRecord[] = [];
  private readonly indexFiles: string[] = [];
  private failure: unknown;
  readonly stats: SinkStats = { blobsNew: 0, bytesNew: 0, storedNew: 0 };

  constructor(
    private readonly storage: VaultStorage,
    private readonly keys: MasterKeys,
    private readonly index: BlobIndex,
  ) {}

  /** True when the blob is in the vault or already stored in this session. */
  has(id: Buffer): boolean {
    return this.index.has(id) || this.pending.has(id.toString('latin1'));
  }

  /** Marks an id as being stored, before its (asynchronous) sealing finishes. */
  reserve(id: Buffer, rawLength: number): void {
    this.pending.set(id.toString('latin1'), rawLength);
  }

  /** Plain length of a blob in the vault or stored in this session, if known. */
  lengthOf(id: Buffer): number | undefined {
    return this.index.get(id)?.rawLength ?? this.pending.get(id.toString('latin1'));
  }

  /**
   * Reserves the next place for a blob of about `rawLength` bytes (synchronous). `lane` is the
   * crypto worker that will seal it: each worker gets packs of its own, which it can write
   * itself (`PackWriter.target`); without a lane the blob goes to the main thread's pack.
   */
  slot(rawLength: number, lane?: number): Slot {
    if (this.failure) throw this.failure;
    let pack = this.filling.get(lane);
    if (!pack) {
      pack = new PackWriter(this.storage, this.keys);
      this.filling.set(lane, pack);
    }
    const counter = pack.slot(rawLength);
    if (pack.estimate >= PACK_TARGET) {
      this.closing.add(pack);
      this.filling.delete(lane);
    }
    return { pack, counter, key: pack.key };
  }

  /** Appends a sealed blob to its slot; finishes the pack when it is full and complete. */
  async complete(slot: Slot, type: number, id: Buffer, rawLength: number, pieces: Buffer[]): Promise<void> {
    if (this.failure) throw this.failure;
    let entry;
    try {
      entry = slot.pack.append(slot.counter, type, id, rawLength, pieces);
    } catch (err) {
      throw this.fail(err);
    }
    this.count(rawLength, entry.length);
    await this.finishIfDone(slot.pack);
    if (slot.pack.pendingBytes > MAX_PENDING_WRITE) await slot.pack.drain();
    if (this.failure) throw this.failure;
  }

  /** Records a blob that a worker sealed and wrote into its slot's pack itself (see `PackWriter.target`). */
  async placed(slot: Slot, type: number, id: Buffer, rawLength: number, offset: number, length: number): Promise<void> {
    if (this.failure) throw this.failure;
    try {
      slot.pack.placed(slot.counter, type, id, rawLength, offset, length);
    } catch (err) {
      // The pack itself failed (its header could not be written): the session fails with it.
      throw this.fail(err);
    }
    this.count(rawLength, length);
    await this.finishIfDone(slot.pack);
  }

  private count(rawLength: number, stored: number): void {
    this.stats.blobsNew++;
    this.stats.bytesNew += rawLength;
    this.stats.storedNew += stored;
  }

  private async finishIfDone(pack: PackWriter): Promise<void> {
    if (this.closing.has(pack) && pack.open === 0) {
      this.closing.delete(pack);
      await this.finishInBackground(pack);
    }
    if (this.failure) throw this.failure;
  }

  /** Seals and stores one blob on this thread (metadata, small files). */
  async store(type: number, id: Buffer, method: number, payload: Uint8Array, rawLength: number): Promise<void> {
    const slot = this.slot(rawLength);
    const pieces = seal(slot.key, blobNonce(slot.counter), blobAd(type, id), [Buffer.of(method), payload]);
    await this.complete(slot, type, id, rawLength, pieces);
  }

  /**
   * Marks the session failed (a blob could not be sealed or written); later calls throw the
   * first failure, which is returned — a worker's failed pack write becomes the storage error
   * users see ("no space left …").
   */
  fail(err: unknown): unknown {
    this.failure ??= storageError(err, 'a new pack', this.storage.root);
    return this.failure;
  }

  private async finishInBackground(pack: PackWriter): Promise<void> {
    while (this.finishing.size >= MAX_FINISHING) await Promise.race(this.finishing);
    const job: Promise<void> = pack
      .finish()
      .then(async (record) => {
        addPacks(this.index, [record]);
        for (const b of record.blobs) this.pending.delete(b.id.toString('latin1'));
        this.unindexed.push(record);
        if (this.unindexed.length >= INDEX_EVERY_PACKS) await this.writeIndex();
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.finishing.delete(job));
    this.finishing.add(job);
  }

  private async writeIndex(): Promise<void> {
    if (this.unindexed.length === 0) return;
    const records = this.unindexed.splice(0);
    this.indexFiles.push(await writeIndexFile(this.storage, this.keys, records));
  }

  /**
   * Makes everything stored so far durable: finishes the open packs, waits for them, then
   * writes the index file. Only after this may a snapshot name these blobs. Callers wait for
   * their blobs in flight first.
   */
  async flush(): Promise<string[]> {
    const packs = [...this.closing, ...this.filling.values()];
    if (packs.some((p) => p.open !== 0)) this.failure ??= new Error('flush with blobs still being sealed');
    if (this.failure) {
      // A failed session makes nothing durable: every open pack's temp file goes, including
      // one whose blob never arrived (a worker's write failed), which nothing else would drop.
      await this.abort();
      throw this.failure;
    }
    this.filling.clear();
    this.closing.clear();
    for (const pack of packs) {
      if (pack.count > 0) await this.finishInBackground(pack);
      else await pack.abort();
    }
    while (this.finishing.size > 0) await Promise.race(this.finishing);
    if (this.failure) throw this.failure;
    await this.writeIndex();
    return [...this.indexFiles];
  }

  /**
   * Drops open packs and waits for background work; used when a session fails. Stop the crypto
   * workers first: one may still be writing into an open pack's descriptor.
   */
  async abort(): Promise<void> {
    this.failure ??= new Error('aborted');
    const packs = [...this.closing, ...this.filling.values()];
    this.filling.clear();
    this.closing.clear();
    await Promise.all(packs.map((p) => p.abort()));
    while (this.finishing.size > 0) await Promise.race(this.finishing);
  }
}
