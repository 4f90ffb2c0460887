import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { LifeboatError } from '../api/errors';
import { Dirs } from './format';

/** Random-access reads of one stored file (packs). */
export interface ReadHandle {
  read(into: Buffer, offset: number, length: number, position: number): Promise<number>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/** A file being written in `tmp/`; it becomes visible only through `commit`. */
export interface AtomicWriter {
  /** Bytes written so far. */
  readonly bytes: number;
  write(chunks: readonly Uint8Array[]): Promise<void>;
  /**
   * The open descriptor, for local files only: worker threads write sealed blobs into a pack
   * with positional writes (`pwrite`), so their ciphertext never crosses to the main thread.
   * Whoever uses it must finish before `commit` or `abort` closes it.
   */
  readonly fd?: number;
  /** Writes at an explicit position (files that other threads write through `fd` too). */
  writeAt?(chunks: readonly Uint8Array[], position: number): Promise<void>;
  /** Reads back what was written (copy verifies a file before it becomes visible). */
  read(into: Buffer, position: number): Promise<number>;
  /** fsync, close, rename to `path`, fsync the directory. */
  commit(path: string): Promise<void>;
  /** Closes and deletes the temp file; never throws. */
  abort(): Promise<void>;
}

/**
 * Everything the vault does to its directory goes through this interface (paths are relative,
 * `/`-separated), so tests can inject failing writes or a full disk and so that the one place
 * that knows about temp files, fsync and rename is small enough to get right.
 */
export interface VaultStorage {
  /** Where the vault is, for messages. */
  readonly root: string;
  /** Names in a directory; empty when it does not exist. */
  list(dir: string): Promise<string[]>;
  /** Size of a file, or undefined when it does not exist. */
  size(path: string): Promise<number | undefined>;
  /** Last modification time (ms since the epoch), or undefined when it does not exist. */
  modified(path: string): Promise<number | undefined>;
  readFile(path: string): Promise<Buffer>;
  openRead(path: string): Promise<ReadHandle>;
  /** Starts a new file in `tmp/`. */
  create(): Promise<AtomicWriter>;
  /** Writes a whole small file atomically and durably. */
  writeFile(path: string, data: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** Deletes files (missing ones are fine) and makes the deletions durable. */
  remove(paths: readonly string[]): Promise<void>;
  mkdir(dir: string): Promise<void>;
}

/** Maps a Node file-system error to the error users see; `what` names the file. */
export function storageError(err: unknown, what: string, root: string): unknown {
  if (err instanceof LifeboatError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new LifeboatError('disk-full', `no space left while writing ${what} in ${root}`, 'free some space on that disk (or prune old snapshots) and run the command again; nothing half-written was kept', { cause: err });
  }
  if (code === 'ENOENT') return new LifeboatError('not-found', `${what} is missing from the vault at ${root}`, 'run "lifeboat check" to see what else is missing', { cause: err });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new LifeboatError('unsupported', `cannot access ${what} in ${root} (${code})`, 'check that the vault directory is writable by you and not mounted read-only', { cause: err });
  }
  return err;
}

async function fsyncDir(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fsp.open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The vault on a local (or mounted) file system: temp file → fsync → rename → fsync dir. */
export class LocalStorage implements VaultStorage {
  private readonly knownDirs = new Set<string>();

  constructor(readonly root: string) {}

  private abs(path: string): string {
    return join(this.root, ...path.split('/'));
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fsp.readdir(this.abs(dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError(err, dir, this.root);
    }
  }

  private async stat(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
    try {
      return await fsp.stat(this.abs(path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storageError(err, path, this.root);
    }
  }

  async size(path: string): Promise<number | undefined> {
    return (await this.stat(path))?.size;
  }

  async modified(path: string): Promise<number | undefined> {
    return (await this.stat(path))?.mtimeMs;
  }

  async readFile(path: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.abs(path));
    } catch (err) {
      throw storageError(err, path, this.root);
    }
  }

  async openRead(path: string): Promise<ReadHandle> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.abs(path), 'r');
    } catch (err) {
      throw storageError(err, path, this.root);
    }
    return {
      read: async (into, offset, length, position) => (await handle.read(into, offset, length, position)).bytesRead,
      size: async () => (await handle.stat()).size,
      close: () => handle.close(),
    };
  }

  async mkdir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const path = this.abs(dir);
    try {
      await fsp.mkdir(path);
      await fsyncDir(dirname(path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        await fsp.mkdir(path, { recursive: true }).catch((e: unknown) => {
          throw storageError(e, dir, this.root);
        });
      } else if (code !== 'EEXIST') {
        throw storageError(err, dir, this.root);
      }
    }
    this.knownDirs.add(dir);
  }

  async create(): Promise<AtomicWriter> {
    const tmpName = `${Dirs.tmp}/${randomBytes(16).toString('hex')}.tmp`;
    const tmpPath = this.abs(tmpName);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(tmpPath, 'wx+', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(err, tmpName, this.root);
      await this.mkdir(Dirs.tmp);
      handle = await fsp.open(tmpPath, 'wx+', 0o600).catch((e: unknown) => {
        throw storageError(e, tmpName, this.root);
      });
    }
    let bytes = 0;
    let closed = false;
    const root = this.root;
    const close = async () => {
      if (!closed) {
        closed = true;
        await handle.close();
      }
    };
    return {
      get bytes() {
        return bytes;
      },
      write: async (chunks) => {
        try {
          bytes += await writeAll(handle, chunks);
        } catch (err) {
          throw storageError(err, tmpName, root);
        }
      },
      fd: handle.fd,
      writeAt: async (chunks, position) => {
        try {
          await writeAll(handle, chunks, position);
        } catch (err) {
          throw storageError(err, tmpName, root);
        }
      },
      read: async (into, position) => (await handle.read(into, 0, into.length, position)).bytesRead,
      commit: async (path) => {
        try {
          await handle.sync();
          await close();
          await this.mkdir(path.slice(0, path.lastIndexOf('/')));
          await fsp.rename(tmpPath, this.abs(path));
          await fsyncDir(dirname(this.abs(path)));
        } catch (err) {
          await close().catch(() => undefined);
          await fsp.rm(tmpPath, { force: true }).catch(() => undefined);
          throw storageError(err, path, root);
        }
      },
      abort: async () => {
        await close().catch(() => undefined);
        await fsp.rm(tmpPath, { force: true }).catch(() => undefined);
      },
    };
  }

  async writeFile(path: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const writer = await this.create();
    try {
      await writer.write(data instanceof Uint8Array ? [data] : data);
      await writer.commit(path);
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  async remove(paths: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const path of paths) {
      try {
        await fsp.rm(this.abs(path), { force: true });
      } catch (err) {
        throw storageError(err, path, this.root);
      }
      dirs.add(dirname(this.abs(path)));
    }
    for (const dir of dirs) await fsyncDir(dir).catch(() => undefined);
  }
}

/** Writes every byte of `chunks` (at `position`, or at the file's offset), retrying short writes. */
async function writeAll(handle: fsp.FileHandle, chunks: readonly Uint8Array[], position?: number): Promise<number> {
  let pending = chunks.filter((c) => c.byteLength > 0);
  let done = 0;
  while (pending.length > 0) {
    const total = pending.reduce((n, c) => n + c.byteLength, 0);
    const { bytesWritten } = await handle.writev(pending as Uint8Array[], position === undefined ? undefined : position + done);
    done += bytesWritten;
    if (bytesWritten >= total) break;
    pending = skipBytes(pending, bytesWritten);
  }
  return done;
}

/** The chunks after the first `n` bytes (for short writes). */
function skipBytes(chunks: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const c of chunks) {
    if (skip >= c.byteLength) {
      skip -= c.byteLength;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}
