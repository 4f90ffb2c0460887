import { createHash } from 'node:crypto';
import type { TreeEntry } from '../vault/snapshots';
import type { PreviousEntry } from './quick-check';
import type { ListedEntry } from './remote-listing';

/** Whole milliseconds of an exact nanosecond time (the vault's `mtime` unit). */
export function nsToMs(ns: string): number {
  return Number(BigInt(ns) / 1_000_000n);
}

/**
 * The tree entry of a listed path, without content: files get `size`/`chunks` from the
 * caller. FIFOs, sockets and devices become `other` (their metadata only); symlinks keep
 * their target verbatim and are never followed; the exact mtime travels as `mtimeNs`.
 */
export function listedToTree(e: ListedEntry): TreeEntry {
  const type = e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other';
  return {
    path: e.path,
    type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    mtime: nsToMs(e.mtimeNs),
    mtimeNs: e.mtimeNs,
    size: 0,
    ...(type === 'symlink' ? { link: e.linkTarget ?? '' } : {}),
  };
}

/** What the quick check needs from a stored entry; exact when it kept `mtimeNs`, else milliseconds. */
export function treeToPrevious(t: TreeEntry): PreviousEntry {
  return {
    path: t.path,
    type: t.type === 'other' ? 'fifo' : t.type,
    size: t.size,
    mtimeNs: t.mtimeNs ?? (BigInt(Math.floor(t.mtime)) * 1_000_000n).toString(),
    ...(t.mtimeNs ? {} : { mtimePrecision: 'ms' as const }),
    mode: t.mode,
    uid: t.uid,
    gid: t.gid,
    ...(t.link !== undefined ? { linkTarget: t.link } : {}),
  };
}

/** Block hashes as stored in a tree entry: raw 32-byte digests concatenated, base64. */
export function encodeBlocks(hashes: readonly string[]): string {
  return Buffer.from(hashes.join(''), 'hex').toString('base64');
}

/** The hex block hashes of a stored `blocks.sha256`. */
export function decodeBlocks(encoded: string): string[] {
  const raw = Buffer.from(encoded, 'base64');
  const out: string[] = [];
  for (let i = 0; i + 32 <= raw.length; i += 32) out.push(raw.subarray(i, i + 32).toString('hex'));
  return out;
}

/**
 * Hashes a byte stream as it passes: SHA-256 of the whole and of every `blockSize` block
 * (exactly what `split -b blockSize --filter=sha256sum` prints on the server). Costs one
 * extra hash pass in memory, no extra read.
 */
export class StreamHasher {
  private readonly whole = createHash('sha256');
  private block = createHash('sha256');
  private inBlock = 0;
  private readonly hashes: string[] = [];
  bytes = 0;

  constructor(private readonly blockSize: number) {}

  /** Feeds bytes. */
  update(data: Buffer): void {
    this.whole.update(data);
    this.bytes += data.length;
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(this.blockSize - this.inBlock, data.length - offset);
      this.block.update(data.subarray(offset, offset + take));
      this.inBlock += take;
      offset += take;
      if (this.inBlock === this.blockSize) this.closeBlock();
    }
  }

  private closeBlock(): void {
    this.hashes.push(this.block.digest('hex'));
    this.block = createHash('sha256');
    this.inBlock = 0;
  }

  /** The whole-content SHA-256 (hex) and the block hashes (hex, in order). Call once. */
  digest(): { sha256: string; blocks: string[] } {
    if (this.inBlock > 0) this.closeBlock();
    return { sha256: this.whole.digest('hex'), blocks: this.hashes };
  }

  /** Passes a stream through the hasher. */
  async *tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      this.update(chunk);
      yield chunk;
    }
  }
}
