import { posix } from 'node:path';
import { LifeboatError } from '../api/errors';
import type { TreeEntry } from '../vault/snapshots';
import { type ArchiveLimits, ArchiveRefusal, checkSymlinkTarget, defaultArchiveLimits, safeEntryPath } from './archive-policy';

/**
 * What to do with a symlink whose target is absolute or leaves the tree. `keep` writes it
 * verbatim (a volume restored on its server must look exactly as it did: such links point into
 * the container's filesystem and are harmless as long as nothing is written through them, which
 * the guard guarantees); `skip` leaves it out with a warning (files to this laptop).
 */
export type OutsideLinks = 'keep' | 'skip';

/** Options of a guard. */
export interface TreeGuardOptions {
  readonly limits?: Partial<ArchiveLimits>;
  readonly outsideLinks: OutsideLinks;
  /** Only this file or subtree (a path inside the item). */
  readonly subtree?: string;
  /**
   * Backslashes are ordinary characters in POSIX names (default true: servers). Where they
   * would be separators (files to a Windows machine), entries containing one are skipped.
   */
  readonly allowBackslash?: boolean;
}

/** An entry the guard let through, with its path in the output (re-rooted for a subtree). */
export interface GuardedEntry {
  readonly entry: TreeEntry;
  readonly outPath: string;
}

/**
 * Checks tree entries before any of them goes into an archive or onto a disk. A snapshot
 * Lifeboat wrote never fails these checks; a hand-crafted or damaged one does, and then
 * nothing is written. Refused: paths that are absolute, contain `..` or empty parts, nest too
 * deep or are too long; duplicates; anything below a symlink, a file or an `other` entry (the
 * classic "symlink, then a file through it"); files larger than the limit or past the total.
 * Skipped with a warning: `other` entries (devices, fifos, sockets) and, with `outsideLinks:
 * 'skip'`, links that point outside the tree.
 */
export class TreeGuard {
  private readonly limits: ArchiveLimits;
  private readonly kinds = new Map<string, TreeEntry['type'] | 'implicit'>();
  private readonly subtree: string | undefined;
  private readonly strip: string;
  private entries = 0;
  private total = 0;
  /** Human-readable notes about skipped entries (at most 50 named, then counted). */
  readonly warnings: string[] = [];
  private skipped = 0;
  /** Symlinks kept although they point outside the tree (absolute or escaping). */
  outsideLinksKept = 0;
  /** True once an entry matched the subtree (or always, without one). */
  matched = false;

  constructor(private readonly options: TreeGuardOptions) {
    this.limits = { ...defaultArchiveLimits, ...options.limits };
    if (options.subtree !== undefined && options.subtree !== '') {
      let sub: string;
      try {
        sub = safeEntryPath(options.subtree, this.limits, { allowBackslash: options.allowBackslash ?? true });
      } catch (err) {
        throw new LifeboatError('bad-input', `"${options.subtree.slice(0, 200)}" is not a path inside the item: ${(err as ArchiveRefusal).reason}`, 'give a relative path as "lifeboat ls" shows it');
      }
      this.subtree = sub === '' ? undefined : sub;
    }
    this.strip = this.subtree && posix.dirname(this.subtree) !== '.' ? `${posix.dirname(this.subtree)}/` : '';
  }

  private skip(path: string, why: string): undefined {
    this.skipped++;
    if (this.skipped <= 50) this.warnings.push(`skipped ${JSON.stringify(path)}: ${why}`);
    return undefined;
  }

  /** Warnings including the count of skips beyond those named. */
  allWarnings(): string[] {
    return this.skipped > 50 ? [...this.warnings, `…and ${this.skipped - 50} more entries skipped`] : [...this.warnings];
  }

  /** Checks one entry; returns it (with its output path) or undefined when it is skipped. Throws ArchiveRefusal. */
  check(entry: TreeEntry): GuardedEntry | undefined {
    const backslashOk = this.options.allowBackslash ?? true;
    const path = safeEntryPath(entry.path, this.limits, { allowBackslash: true });
    if (!backslashOk && path.includes('\\')) return this.skip(path, 'its name contains a backslash, which this system treats as a folder separator');
    if (path !== entry.path) throw new ArchiveRefusal(entry.path, 'path is not in normal form');
    if (++this.entries > this.limits.maxEntries) throw new ArchiveRefusal(path, `more than ${this.limits.maxEntries} entries`);
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const kind = this.kinds.get(parent);
      if (kind === undefined) this.kinds.set(parent, 'implicit');
      else if (kind !== 'dir' && kind !== 'implicit') throw new ArchiveRefusal(path, `it lies below ${JSON.stringify(parent)}, which is a ${kind}, not a directory`);
    }
    const previous = this.kinds.get(path);
    if (previous !== undefined && !(previous === 'implicit' && entry.type === 'dir')) throw new ArchiveRefusal(path, 'duplicate entry (or an entry that replaces a directory already used)');
    this.kinds.set(path, entry.type);
    if (this.subtree && path !== this.subtree && !path.startsWith(`${this.subtree}/`)) return undefined;
    this.matched = true;
    const outPath = this.strip ? path.slice(this.strip.length) : path;
    if (entry.type === 'other') return this.skip(path, 'devices, fifos and sockets are not restored');
    if (entry.type === 'file') {
      if (entry.size > this.limits.maxEntrySize) throw new ArchiveRefusal(path, `file of ${entry.size} bytes exceeds the ${this.limits.maxEntrySize}-byte limit`);
      this.total += entry.size;
      if (this.total > this.limits.maxTotalSize) throw new ArchiveRefusal(path, `the tree exceeds ${this.limits.maxTotalSize} bytes in total`);
    }
    if (entry.type === 'symlink') {
      const target = entry.link ?? '';
      if (target === '' || target.includes('\0')) throw new ArchiveRefusal(path, 'symlink without a valid target');
      try {
        checkSymlinkTarget(outPath, target);
      } catch (err) {
        if (!(err instanceof ArchiveRefusal)) throw err;
        if (this.options.outsideLinks === 'skip') return this.skip(path, `${err.reason} (links leaving the restored folder are not written)`);
        this.outsideLinksKept++;
      }
    }
    return { entry, outPath };
  }
}

/** Turns an ArchiveRefusal into the user-facing error; passes other errors through. */
export function refusalError(err: unknown): unknown {
  if (!(err instanceof ArchiveRefusal)) return err;
  return new LifeboatError('corrupt', `the snapshot holds an unsafe entry, so nothing was restored: ${err.message}`, 'a snapshot Lifeboat wrote never contains this; run "lifeboat check --read-data" and restore from another snapshot', { cause: err });
}
