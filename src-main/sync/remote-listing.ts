/** Kind of a file-tree entry, as find's %y reports it. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block';

/** One entry of a remote listing: what the quick check compares. */
export interface ListedEntry {
  /** Relative path with `/` separators, no leading `./`; '' is the root itself (skipped). */
  readonly path: string;
  readonly type: EntryType;
  readonly size: number;
  /** Modification time in whole nanoseconds since the epoch, as a decimal string (exact). */
  readonly mtimeNs: string;
  /** Permission bits including setuid/setgid/sticky (e.g. 0o4755). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Target of a symlink, verbatim. */
  readonly linkTarget?: string;
}

const typeCodes: Record<string, EntryType> = { f: 'file', d: 'dir', l: 'symlink', p: 'fifo', s: 'socket', c: 'char', b: 'block' };

/** Fields per record in the -printf format below, each terminated by NUL. */
const fieldsPerRecord = 8;

/**
 * GNU find arguments (run with the tree's root as the working directory) that print one
 * NUL-separated record per entry: type, path, size, mtime, mode, uid, gid, link target.
 * NUL is the only byte that cannot occur in a path, so any file name survives.
 */
export function listingArgv(): string[] {
  return ['find', '.', '-printf', '%y\\0%p\\0%s\\0%T@\\0%m\\0%U\\0%G\\0%l\\0'];
}

/** Converts find's `%T@` (seconds with a fraction) to exact integer nanoseconds as a string. */
export function secondsToNs(value: string): string {
  const match = /^(\d+)(?:\.(\d*))?$/.exec(value);
  if (!match) throw new Error(`bad mtime "${value}" in remote listing`);
  const fraction = (match[2] ?? '').padEnd(9, '0').slice(0, 9);
  return (BigInt(match[1] ?? '0') * 1_000_000_000n + BigInt(fraction)).toString();
}

/**
 * Incremental parser of the NUL-separated listing, fed in arbitrary chunks from a stream, so
 * a listing of millions of files never has to sit in memory as one string.
 */
export class ListingParser {
  private pending: Buffer = Buffer.alloc(0);
  private fields: string[] = [];
  /** The root directory's own entry (path ''), once seen: its mode, owner and mtime. */
  root: ListedEntry | undefined;

  /** Feeds bytes; returns the complete entries they finish. */
  push(chunk: Buffer): ListedEntry[] {
    const out: ListedEntry[] = [];
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    for (let nul = data.indexOf(0, start); nul !== -1; nul = data.indexOf(0, start)) {
      this.fields.push(data.toString('utf8', start, nul));
      start = nul + 1;
      if (this.fields.length === fieldsPerRecord) {
        const entry = toEntry(this.fields);
        this.fields = [];
        if (entry.path === '') this.root = entry;
        else out.push(entry);
      }
    }
    data = data.subarray(start);
    this.pending = Buffer.from(data);
    return out;
  }

  /** Call at end of stream; throws if the listing was cut off mid-record. */
  end(): void {
    if (this.pending.length > 0 || this.fields.length > 0) throw new Error('remote listing ended in the middle of a record (was the listing command killed?)');
  }
}

function toEntry(f: string[]): ListedEntry {
  const [code, rawPath, size, mtime, mode, uid, gid, link] = f as [string, string, string, string, string, string, string, string];
  const type = typeCodes[code];
  if (!type) throw new Error(`unknown file type "${code}" in remote listing`);
  const path = rawPath === '.' ? '' : rawPath.startsWith('./') ? rawPath.slice(2) : rawPath;
  if (path !== '' && path.split('/').some((part) => part === '..' || part === '')) throw new Error(`refusing suspicious path in remote listing: ${JSON.stringify(path)}`);
  return {
    path,
    type,
    size: Number(size),
    mtimeNs: secondsToNs(mtime),
    mode: parseInt(mode, 8),
    uid: Number(uid),
    gid: Number(gid),
    ...(type === 'symlink' ? { linkTarget: link } : {}),
  };
}
