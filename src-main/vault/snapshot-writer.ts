import { LifeboatError } from '../api/errors';
import type { BlobIndex } from './blob-index';
import type { Chunker } from './chunker';
import type { MasterKeys } from './crypto';
import { hex, parseHexId } from './format';
import { type ChunkCrypto, InlineCrypto, WorkerCrypto } from './crypto-pool';
import { type ByteSource, type IngestDeps, SegmentPool, ingestStream } from './ingest';
import { FILES_LIMITS, type FilesIngest, IngestLoop } from './ingest-loop';
import type { VaultLock } from './locks';
import { MetaWriter, streamRecord } from './meta-stream';
import { PackSink } from './pack-sink';
import { type Snapshot, type SnapshotItem, type TreeEntry, type Manifest, treeEntrySchema, writeSnapshot } from './snapshots';
import type { VaultStorage } from './storage';

/** Who a snapshot belongs to. */
export interface SnapshotOptions {
  readonly host: string;
  readonly tags?: readonly string[];
  readonly label?: string;
  /** Defaults to now; tests and imports may set it. */
  readonly time?: Date;
}

/** Naming and bookkeeping of one item. */
export interface ItemOptions {
  /** Unique within the snapshot, e.g. `wiki/postgres:wiki`. */
  readonly name: string;
  /** What the source module calls it: `postgres`, `volume`, `stdin`… */
  readonly kind: string;
  readonly info?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Bytes consumed from the source, for progress. */
  readonly onBytes?: (n: number) => void;
}

/** What a snapshot writer needs from the open vault. */
export interface SnapshotWriterDeps {
  readonly storage: VaultStorage;
  readonly keys: MasterKeys;
  readonly index: BlobIndex;
  readonly chunker: Chunker;
  readonly lock: VaultLock;
  readonly program: string;
  /** Runs after the snapshot file is durable (the catalog adds its row). */
  readonly onCommitted?: (snapshot: Snapshot) => Promise<void> | void;
  /** Crypto worker threads; 0 runs hashing and encryption on this thread. Default: one per core. */
  readonly workers?: number;
}

/** Records of a stream item flushed to its meta stream once this many bytes wait. */
const RECORD_FLUSH = 1024 * 1024;

/**
 * One backup run in progress. Items are added one at a time (streams or trees); nothing is
 * visible until `commit`, which makes packs durable, then the index, then the snapshot file.
 * If anything fails, `abort` (or a failed commit) leaves only unreferenced files behind.
 */
export class SnapshotWriter {
  private readonly items: SnapshotItem[] = [];
  private readonly sink: PackSink;
  private readonly pool = new SegmentPool();
  private crypto: ChunkCrypto | undefined;
  private bytesIn = 0;
  private blobsSeen = 0;
  private busy = false;
  private finished = false;
  private openTree: TreeWriter | undefined;

  constructor(
    private readonly deps: SnapshotWriterDeps,
    private readonly options: SnapshotOptions,
  ) {
    this.sink = new PackSink(deps.storage, deps.keys, deps.index);
  }

  private begin(name: string): void {
    if (this.finished) throw new LifeboatError('conflict', 'this snapshot was already committed or aborted');
    if (this.busy) throw new LifeboatError('conflict', 'another item of this snapshot is still being written');
    if (this.items.some((i) => i.name === name)) throw new LifeboatError('already-exists', `the snapshot already has an item named "${name}"`);
    this.busy = true;
  }

  /** Meta writer for a new item (shared by streams and trees). */
  newMeta(): MetaWriter {
    return new MetaWriter(this.sink, this.deps.chunker, this.deps.keys.idKey);
  }

  private ingestDeps(item: ItemOptions, flush?: () => Promise<void>): IngestDeps {
    this.crypto ??=
      this.deps.workers === 0 ? new InlineCrypto(this.pool.shared, this.deps.keys) : new WorkerCrypto(this.pool.shared, this.deps.keys.idKey, this.deps.workers);
    return {
      sink: this.sink,
      chunker: this.deps.chunker,
      crypto: this.crypto,
      pool: this.pool,
      ...(item.signal ? { signal: item.signal } : {}),
      onBytes: (n) => {
        this.bytesIn += n;
        item.onBytes?.(n);
      },
      ...(flush ? { flush } : {}),
    };
  }

  /** Chunks a byte stream into the vault; `onChunk` sees each chunk in order. */
  ingest(source: ByteSource, item: ItemOptions, onChunk: (id: Buffer, length: number) => void, flush?: () => Promise<void>): Promise<number> {
    return ingestStream(source, this.ingestDeps(item, flush), (id, length) => {
      this.blobsSeen++;
      onChunk(id, length);
    });
  }

  /**
   * Chunks many files in one loop (a tree pull's tar): files are read in the order added, each
   * ending with a forced cut, so the chunks are exactly those of one `ingest` per file, for much
   * less work per file. The caller must `close` (or `abort`) it before committing.
   */
  ingestFiles(item: ItemOptions): FilesIngest {
    const loop = new IngestLoop(this.ingestDeps(item), FILES_LIMITS);
    return {
      add: (source, onChunk) =>
        loop.add(source, (id, length) => {
          this.blobsSeen++;
          onChunk(id, length);
        }),
      close: () => loop.close(),
      abort: (err) => loop.abort(err),
    };
  }

  /** Stores a whole byte stream (a dump) as one item. */
  async addStream(item: ItemOptions, source: ByteSource): Promise<SnapshotItem> {
    this.begin(item.name);
    try {
      const startedAt = new Date().toISOString();
      const meta = this.newMeta();
      let records: Buffer[] = [];
      let chunks = 0;
      const flush = async () => {
        if (records.length * 36 < RECORD_FLUSH) return;
        const batch = Buffer.concat(records);
        records = [];
        await meta.write(batch);
      };
      const size = await this.ingest(source, item, (id, length) => {
        records.push(streamRecord(id, length));
        chunks++;
      }, flush);
      if (records.length > 0) await meta.write(Buffer.concat(records));
      await meta.close();
      return this.record({ name: item.name, kind: item.kind, type: 'stream', size, chunks, meta: meta.ids, metaSize: meta.size, startedAt, finishedAt: new Date().toISOString(), info: { ...item.info } });
    } finally {
      this.busy = false;
    }
  }

  /** Starts a tree item; add its entries, then `close` it before the next item. */
  addTree(item: ItemOptions): TreeWriter {
    this.begin(item.name);
    const tree = new TreeWriter(this, item, (done) => {
      this.busy = false;
      this.openTree = undefined;
      if (done) this.record(done);
    });
    this.openTree = tree;
    return tree;
  }

  /**
   * Drops the tree item being written, if any, after its source failed: the item is left out
   * of the snapshot and the writer takes the next item. Blobs it already stored stay as
   * unreferenced garbage for prune (or are reused by later items). A failed `addStream` needs
   * no call: it frees the writer itself.
   */
  abandonItem(): void {
    this.openTree?.abandon();
  }

  /** True if the blob is in the vault or stored by this run. */
  hasBlob(id: Buffer): boolean {
    return this.sink.has(id);
  }

  /** Plain length of a blob in the vault or stored by this run, for checking reused chunk lists. */
  blobLength(id: Buffer): number | undefined {
    return this.sink.lengthOf(id);
  }

  private record(item: SnapshotItem): SnapshotItem {
    this.items.push(item);
    return item;
  }

  /** Makes the snapshot durable and visible: packs → index → snapshot file. */
  async commit(): Promise<Snapshot> {
    if (this.busy) throw new LifeboatError('conflict', 'an item of this snapshot is still being written');
    if (this.finished) throw new LifeboatError('conflict', 'this snapshot was already committed or aborted');
    if (this.items.length === 0) throw new LifeboatError('bad-input', 'the snapshot has no items', 'add at least one item before committing');
    this.finished = true;
    try {
      await this.closeCrypto();
      await this.sink.flush();
      const manifest: Manifest = {
        version: 1,
        time: (this.options.time ?? new Date()).toISOString(),
        host: this.options.host,
        tags: [...(this.options.tags ?? [])],
        ...(this.options.label ? { label: this.options.label } : {}),
        program: this.deps.program,
        items: this.items,
        stats: { bytesIn: this.bytesIn, ...this.sink.stats, blobsSeen: this.blobsSeen },
      };
      const id = await writeSnapshot(this.deps.storage, this.deps.keys, manifest);
      const snapshot: Snapshot = { id, ...manifest };
      // The snapshot is durable: from here on nothing may report the backup as failed. A lock
      // that cannot be removed goes stale when this process ends; the catalog catches up on
      // its next sync.
      await this.deps.lock.release().catch(() => undefined);
      try {
        await this.deps.onCommitted?.(snapshot);
      } catch {
        // the catalog is a cache
      }
      return snapshot;
    } catch (err) {
      await this.closeCrypto().catch(() => undefined);
      await this.sink.abort().catch(() => undefined);
      await this.deps.lock.release().catch(() => undefined);
      throw err;
    }
  }

  private async closeCrypto(): Promise<void> {
    const crypto = this.crypto;
    this.crypto = undefined;
    await crypto?.close();
  }

  /** Gives up: nothing becomes visible; files already written are garbage for prune. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.closeCrypto().catch(() => undefined);
    await this.sink.abort().catch(() => undefined);
    await this.deps.lock.release().catch(() => undefined);
  }
}

/** File fields a caller provides; type, size and chunks are filled in by `addFile`. */
export type FileFields = Omit<TreeEntry, 'type' | 'size' | 'chunks' | 'link'>;

/**
 * Writes one tree item: files with content (chunked), files whose unchanged chunks are reused
 * from an earlier snapshot (checked to exist, never re-read), and directories, links, others.
 */
export class TreeWriter {
  private readonly meta: MetaWriter;
  private readonly startedAt = new Date().toISOString();
  private size = 0;
  private chunks = 0;
  private entries = 0;
  private closed = false;

  constructor(
    private readonly writer: SnapshotWriter,
    private readonly item: ItemOptions,
    private readonly done: (item: SnapshotItem | undefined) => void,
  ) {
    this.meta = writer.newMeta();
  }

  private async append(entry: TreeEntry): Promise<void> {
    if (this.closed) throw new LifeboatError('conflict', `tree "${this.item.name}" is already closed`);
    const checked = treeEntrySchema.safeParse(entry);
    if (!checked.success) throw new LifeboatError('bad-input', `tree entry "${String(entry.path).slice(0, 200)}": ${checked.error.issues[0]?.message ?? 'invalid'}`);
    this.entries++;
    this.size += entry.type === 'file' ? entry.size : 0;
    this.chunks += entry.chunks?.length ?? 0;
    await this.meta.write(Buffer.from(`${JSON.stringify(checked.data)}\n`));
  }

  /** Stores a file's content from a stream and records its entry (returned with chunks). */
  async addFile(fields: FileFields, source: ByteSource): Promise<TreeEntry> {
    const ids: string[] = [];
    const size = await this.writer.ingest(source, this.item, (id) => ids.push(hex(id)));
    const entry: TreeEntry = { ...fields, type: 'file', size, chunks: ids };
    await this.append(entry);
    return entry;
  }

  /**
   * Records an entry without reading content: directories, links, others, and files whose
   * `chunks` come from an earlier snapshot (each must exist, and their lengths must add up).
   */
  async addEntry(entry: TreeEntry): Promise<void> {
    if (entry.type === 'file') {
      let total = 0;
      for (const id of entry.chunks ?? []) {
        const bytes = parseHexId(id, `tree entry ${entry.path}`);
        const length = this.writer.blobLength(bytes);
        if (length === undefined) {
          throw new LifeboatError('not-found', `chunk ${id} of "${entry.path}" is not in the vault`, 'the earlier snapshot it came from was pruned or is damaged; read the file again instead of reusing its chunks');
        }
        total += length;
      }
      if (total !== entry.size) throw new LifeboatError('bad-input', `"${entry.path}": size ${entry.size} does not match its chunks (${total} bytes)`);
    } else if (entry.chunks && entry.chunks.length > 0) {
      throw new LifeboatError('bad-input', `"${entry.path}": only files have chunks`);
    }
    await this.append(entry);
  }

  /** Gives the tree up (its source failed); it is left out of the snapshot. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.done(undefined);
  }

  /** Finishes the tree; the item joins the snapshot. */
  async close(): Promise<SnapshotItem> {
    if (this.closed) throw new LifeboatError('conflict', `tree "${this.item.name}" is already closed`);
    this.closed = true;
    try {
      await this.meta.close();
    } catch (err) {
      this.done(undefined);
      throw err;
    }
    const item: SnapshotItem = {
      name: this.item.name,
      kind: this.item.kind,
      type: 'tree',
      size: this.size,
      chunks: this.chunks,
      entries: this.entries,
      meta: this.meta.ids,
      metaSize: this.meta.size,
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      info: { ...this.item.info },
    };
    this.done(item);
    return item;
  }
}
