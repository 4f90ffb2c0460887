import { LifeboatError } from '../api/errors';
import { packageVersion } from '../engine/paths';
import { BlobIndex } from './blob-index';
import type { Catalog } from './catalog';
import { Chunker } from './chunker';
import { type BlobOpener, InlineCrypto, WorkerCrypto } from './crypto-pool';
import { type VaultConfig, encodeConfig, newConfig, readConfig } from './config';
import type { MasterKeys } from './crypto';
import { Dirs } from './format';
import { addPacks, listIndexFiles, readIndexFile } from './index-files';
import { readChunks, readStreamItem, readTreeEntries, readTreeFile, type ReadDeps } from './item-reader';
import { calibrateScrypt } from './kdf';
import { generateMasterKeys, unlockKeyFiles, writeKeyFile } from './keys';
import { type VaultLock, acquireLock } from './locks';
import { PackFiles } from './pack-reader';
import { type SnapshotOptions, SnapshotWriter } from './snapshot-writer';
import { type Snapshot, type SnapshotItem, type TreeEntry, byTime, listSnapshotIds, readSnapshot, resolveSnapshotRef } from './snapshots';
import { LocalStorage, type VaultStorage } from './storage';

/** Where a vault is: a directory, or (tests) any storage implementation. */
export interface VaultLocation {
  readonly dir?: string;
  readonly storage?: VaultStorage;
}

function storageOf(where: VaultLocation): VaultStorage {
  if (where.storage) return where.storage;
  if (!where.dir) throw new LifeboatError('bad-input', 'no vault directory given');
  return new LocalStorage(where.dir);
}

/** Options of `initVault`. */
export interface InitOptions extends VaultLocation {
  readonly passphrase: string;
  /** Pins scrypt's log2(N) instead of calibrating (tests use the floor, 16). */
  readonly kdfLogN?: number;
}

/** Creates a new, empty vault: directories, master key, key file, and `config` last. */
export async function initVault(options: InitOptions): Promise<VaultConfig> {
  if (options.passphrase.length === 0) throw new LifeboatError('bad-input', 'the passphrase is empty', 'choose a long passphrase; it cannot be recovered if lost');
  const storage = storageOf(options);
  if ((await storage.size('config')) !== undefined) {
    throw new LifeboatError('already-exists', `there is already a vault at ${storage.root}`, 'use it as it is, or choose another directory with $LIFEBOAT_VAULT');
  }
  const foreign = (await storage.list('')).filter((n) => !(Object.values(Dirs) as string[]).includes(n) && !n.startsWith('.'));
  if (foreign.length > 0) throw new LifeboatError('conflict', `${storage.root} is not empty (${foreign.slice(0, 3).join(', ')}…)`, 'choose an empty or new directory for the vault');
  await storage.mkdir('');
  for (const dir of Object.values(Dirs)) await storage.mkdir(dir);
  const stale = await storage.list(Dirs.keys);
  if (stale.length > 0) await storage.remove(stale.map((k) => `${Dirs.keys}/${k}`));
  const config = newConfig();
  await writeKeyFile(storage, config.id, generateMasterKeys(), options.passphrase, calibrateScrypt(options.kdfLogN));
  await storage.writeFile('config', encodeConfig(config));
  return config;
}

/** The decrypted keys of a vault; enough to open it again without the KDF. */
export interface VaultKeys {
  readonly config: VaultConfig;
  readonly master: MasterKeys;
  readonly keyId: string;
}

/** Reads `config` and derives the master key from the passphrase. */
export async function unlockVault(options: VaultLocation & { passphrase: string }): Promise<VaultKeys> {
  const storage = storageOf(options);
  const config = await readConfig(storage);
  const { master, keyId } = await unlockKeyFiles(storage, config.id, options.passphrase);
  return { config, master, keyId };
}

/** Options of `openVault`: a passphrase, or keys from an earlier unlock. */
export interface OpenOptions extends VaultLocation {
  readonly passphrase?: string;
  readonly keys?: VaultKeys;
  /** Keeps the catalog (snapshot list cache) in step with commits and prunes. */
  readonly catalog?: Catalog;
  /** How long operations wait for a conflicting lock (default 30 s). */
  readonly lockWaitMs?: number;
  /** Crypto worker threads for backups; 0 keeps hashing and encryption on this thread. */
  readonly workers?: number;
}

/** Opens a vault for reading and writing. */
export async function openVault(options: OpenOptions): Promise<Vault> {
  const storage = storageOf(options);
  let keys = options.keys;
  if (!keys) {
    if (options.passphrase === undefined) throw new LifeboatError('bad-input', 'a passphrase is needed to open the vault');
    keys = await unlockVault({ storage, passphrase: options.passphrase });
  } else {
    await readConfig(storage);
  }
  return new Vault(storage, keys, options);
}

/**
 * An open vault: the API the engine and the backup code use. Every operation takes the lock
 * it needs and refreshes the index after holding it.
 */
export class Vault {
  readonly config: VaultConfig;
  readonly master: MasterKeys;
  readonly chunker: Chunker;
  readonly packs: PackFiles;
  private index = new BlobIndex();
  private readonly loadedIndexFiles = new Set<string>();
  private readonly lockWaitMs: number;

  constructor(
    readonly storage: VaultStorage,
    readonly keys: VaultKeys,
    private readonly options: OpenOptions = {},
  ) {
    this.config = keys.config;
    this.master = keys.master;
    this.chunker = new Chunker(keys.master.chunkSeed);
    this.packs = new PackFiles(storage, keys.master);
    this.lockWaitMs = options.lockWaitMs ?? 30_000;
  }

  /** The catalog this vault keeps in step, if any. */
  get catalog(): Catalog | undefined {
    return this.options.catalog;
  }

  /** Takes a lock (shared for backups and reads, exclusive for prune). */
  lock(exclusive: boolean, operation: string, signal?: AbortSignal): Promise<VaultLock> {
    return acquireLock(this.storage, this.master, { exclusive, operation, waitMs: this.lockWaitMs, ...(signal ? { signal } : {}) });
  }

  /** Loads index files that appeared since the last call (all of them if some disappeared). */
  async refreshIndex(): Promise<BlobIndex> {
    const files = await listIndexFiles(this.storage);
    const present = new Set(files);
    if ([...this.loadedIndexFiles].some((f) => !present.has(f))) {
      this.index = new BlobIndex();
      this.loadedIndexFiles.clear();
    }
    for (const id of files) {
      if (this.loadedIndexFiles.has(id)) continue;
      addPacks(this.index, await readIndexFile(this.storage, this.master, id));
      this.loadedIndexFiles.add(id);
    }
    return this.index;
  }

  /** What readers need, with the current index (and worker threads for bulk reads). */
  readDeps(signal?: AbortSignal, opener?: BlobOpener): ReadDeps {
    return { packs: this.packs, index: this.index, ...(signal ? { signal } : {}), ...(opener ? { opener } : {}) };
  }

  /** Worker threads that decrypt and verify blobs for a bulk read; close them afterwards. */
  openers(): WorkerCrypto | InlineCrypto {
    return this.options.workers === 0 ? new InlineCrypto(undefined, this.master) : new WorkerCrypto(undefined, this.master.idKey, this.options.workers);
  }

  /** Starts a snapshot under a shared lock; see SnapshotWriter. */
  async createSnapshot(options: SnapshotOptions, signal?: AbortSignal): Promise<SnapshotWriter> {
    const lock = await this.lock(false, 'backup', signal);
    try {
      const index = await this.refreshIndex();
      const catalog = this.options.catalog;
      return new SnapshotWriter(
        {
          storage: this.storage,
          keys: this.master,
          index,
          chunker: this.chunker,
          lock,
          program: `lifeboat ${packageVersion()}`,
          ...(this.options.workers !== undefined ? { workers: this.options.workers } : {}),
          ...(catalog ? { onCommitted: (s: Snapshot) => catalog.add(this, s) } : {}),
        },
        options,
      );
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Every snapshot, oldest first (from the catalog when there is one). */
  async listSnapshots(): Promise<Snapshot[]> {
    if (this.options.catalog) return this.options.catalog.sync(this);
    const out: Snapshot[] = [];
    for (const id of await listSnapshotIds(this.storage)) out.push(await readSnapshot(this.storage, this.master, id));
    return out.sort(byTime);
  }

  /** Decrypts every manifest straight from the vault (no catalog). */
  async readAllSnapshots(): Promise<Snapshot[]> {
    const out: Snapshot[] = [];
    for (const id of await listSnapshotIds(this.storage)) out.push(await readSnapshot(this.storage, this.master, id));
    return out.sort(byTime);
  }

  /** One snapshot by id, unique prefix or `latest`. */
  async snapshot(ref: string): Promise<Snapshot> {
    const ids = (await listSnapshotIds(this.storage)).map((id) => ({ id, time: '' }));
    if (ref === 'latest') return resolveSnapshotRef(await this.listSnapshots(), ref);
    return readSnapshot(this.storage, this.master, resolveSnapshotRef(ids, ref).id);
  }

  /** Finds an item by name in a snapshot, or `not-found`. */
  item(snapshot: Snapshot, name: string): SnapshotItem {
    const item = snapshot.items.find((i) => i.name === name);
    if (!item) throw new LifeboatError('not-found', `snapshot ${snapshot.id.slice(0, 8)} has no item "${name}"`, `its items: ${snapshot.items.map((i) => i.name).join(', ')}`);
    return item;
  }

  /** Runs `fn` under a shared lock with a fresh index. */
  async withReadLock<T>(operation: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const lock = await this.lock(false, operation, signal);
    try {
      await this.refreshIndex();
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /** The bytes of a stream item, verified chunk by chunk, under a shared lock. */
  async *readItem(snapshot: Snapshot, name: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const item = this.item(snapshot, name);
    const lock = await this.lock(false, 'read', signal);
    const opener = this.openers();
    try {
      await this.refreshIndex();
      yield* readStreamItem(this.readDeps(signal, opener), snapshot, item);
    } finally {
      await opener.close();
      await lock.release();
    }
  }

  /** The entries of a tree item (for listing, restore, and the next incremental pull). */
  async *readTree(snapshot: Snapshot, name: string, signal?: AbortSignal): AsyncGenerator<TreeEntry> {
    const item = this.item(snapshot, name);
    const lock = await this.lock(false, 'read', signal);
    try {
      await this.refreshIndex();
      yield* readTreeEntries(this.readDeps(signal), snapshot, item);
    } finally {
      await lock.release();
    }
  }

  /** The content of one file of a tree item (call inside `withReadLock`). */
  readTreeFile(entry: TreeEntry, who: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
    return readTreeFile(this.readDeps(signal), entry, who);
  }

  /** Reads chunks by reference (call inside `withReadLock`). */
  readChunks = (refs: AsyncIterable<{ id: Buffer; length: number }>, who: string, signal?: AbortSignal): AsyncGenerator<Buffer> =>
    readChunks(this.readDeps(signal), refs, who);

  /** Adds a key file for a new passphrase and removes the one this vault was opened with. */
  async changePassphrase(newPassphrase: string, kdfLogN?: number): Promise<string> {
    if (newPassphrase.length === 0) throw new LifeboatError('bad-input', 'the new passphrase is empty');
    const keyId = await writeKeyFile(this.storage, this.config.id, this.master, newPassphrase, calibrateScrypt(kdfLogN));
    await this.storage.remove([`${Dirs.keys}/${this.keys.keyId}`]);
    return keyId;
  }

  /** Closes open files. */
  async close(): Promise<void> {
    await this.packs.close();
  }
}
