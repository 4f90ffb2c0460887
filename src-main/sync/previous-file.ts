import { LifeboatError } from '../api/errors';
import { parseHexId } from '../vault/format';
import { readBlobById } from '../vault/item-reader';
import type { TreeEntry } from '../vault/snapshots';
import type { Vault } from '../vault/vault';

/** Decrypted chunks kept around (≤ 12 × 8 MiB worst case, ~12 MiB typical). */
const CACHE = 12;
/** Chunks read ahead of a sequential reader. */
const AHEAD = 3;

/**
 * Random access to a file of an earlier snapshot, for rebuilding a new version from its
 * unchanged blocks: byte ranges map onto the file's content-defined chunks, which are read,
 * verified and cached (with read-ahead, since block deltas mostly walk forward). Call while
 * the vault is locked (a running backup holds its shared lock).
 */
export class PreviousFile {
  private readonly ids: Buffer[] = [];
  /** Offset of each chunk in the file (chunk boundaries). */
  readonly starts: number[] = [];
  private readonly cache = new Map<number, Promise<Buffer>>();
  readonly size: number;

  constructor(
    private readonly vault: Vault,
    entry: TreeEntry,
    private readonly who: string,
    private readonly signal?: AbortSignal,
  ) {
    const index = vault.readDeps().index;
    let at = 0;
    for (const id of entry.chunks ?? []) {
      const bytes = parseHexId(id, who);
      const loc = index.get(bytes);
      if (!loc) throw new LifeboatError('not-found', `chunk ${id} of ${who} is not in the vault`, 'the earlier snapshot was pruned or is damaged; the file is fetched whole instead');
      this.ids.push(bytes);
      this.starts.push(at);
      at += loc.rawLength;
    }
    this.size = at;
  }

  private chunk(i: number): Promise<Buffer> {
    let p = this.cache.get(i);
    if (p) {
      this.cache.delete(i);
      this.cache.set(i, p);
      return p;
    }
    p = readBlobById(this.vault.readDeps(this.signal), this.ids[i] as Buffer, this.who);
    p.catch(() => undefined);
    this.cache.set(i, p);
    while (this.cache.size > CACHE) this.cache.delete(this.cache.keys().next().value as number);
    return p;
  }

  private chunkAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** `length` bytes from `offset` (fewer only at the end of the file). */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let i = this.chunkAt(offset);
    for (let k = 1; k <= AHEAD && i + k < this.ids.length; k++) if (!this.cache.has(i + k)) void this.chunk(i + k);
    for (let at = offset; at < end; i++) {
      const data = await this.chunk(i);
      const start = this.starts[i] as number;
      const from = at - start;
      const to = Math.min(data.length, end - start);
      parts.push(data.subarray(from, to));
      at = start + to;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}
