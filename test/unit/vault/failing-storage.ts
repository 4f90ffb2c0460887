import { storageError, type AtomicWriter, type VaultStorage } from '../../../src-main/vault/storage';

/** A storage that fails its `failAt`-th write operation (1-based) with ENOSPC, like a full disk. */
export class FailingStorage implements VaultStorage {
  /** Write operations seen so far (writes, commits, whole-file writes, removals). */
  ops = 0;
  failed = false;

  constructor(
    private readonly inner: VaultStorage,
    private readonly failAt = Infinity,
  ) {}

  get root(): string {
    return this.inner.root;
  }

  private tick(what: string): void {
    this.ops++;
    if (this.ops === this.failAt) {
      this.failed = true;
      throw storageError(Object.assign(new Error(`ENOSPC: no space left on device, write '${what}'`), { code: 'ENOSPC' }), what, this.inner.root);
    }
  }

  list(dir: string) {
    return this.inner.list(dir);
  }
  size(path: string) {
    return this.inner.size(path);
  }
  modified(path: string) {
    return this.inner.modified(path);
  }
  readFile(path: string) {
    return this.inner.readFile(path);
  }
  openRead(path: string) {
    return this.inner.openRead(path);
  }
  mkdir(dir: string) {
    return this.inner.mkdir(dir);
  }
  async create(): Promise<AtomicWriter> {
    const w = await this.inner.create();
    return {
      get bytes() {
        return w.bytes;
      },
      write: async (chunks) => {
        this.tick('tmp file');
        await w.write(chunks);
      },
      read: (into, position) => w.read(into, position),
      commit: async (path) => {
        try {
          this.tick(path);
        } catch (err) {
          await w.abort();
          throw err;
        }
        await w.commit(path);
      },
      abort: () => w.abort(),
    };
  }
  async writeFile(path: string, data: Uint8Array | readonly Uint8Array[]) {
    this.tick(path);
    await this.inner.writeFile(path, data);
  }
  async remove(paths: readonly string[]) {
    this.tick(paths[0] ?? 'nothing');
    await this.inner.remove(paths);
  }
}
