import { posix } from 'node:path';

/** Limits an archive must respect to be unpacked at all. */
export interface ArchiveLimits {
  /** Largest single entry in bytes (default 1 TiB: a guard against forged sizes, not real files). */
  readonly maxEntrySize: number;
  /** Total bytes of all entries. */
  readonly maxTotalSize: number;
  readonly maxEntries: number;
  /** Deepest directory nesting. */
  readonly maxDepth: number;
  readonly maxPathLength: number;
}

/** Defaults generous for real volumes and tight against archive bombs. */
export const defaultArchiveLimits: ArchiveLimits = {
  maxEntrySize: 2 ** 40,
  maxTotalSize: 2 ** 42,
  maxEntries: 10_000_000,
  maxDepth: 128,
  maxPathLength: 4096,
};

/** Entry types the unpacker writes; everything else (devices, fifos, sockets) is refused. */
export type AllowedType = 'File' | 'OldFile' | 'ContiguousFile' | 'Directory' | 'SymbolicLink' | 'Link';

const allowedTypes = new Set<string>(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

/** Why an entry was refused; the message names the entry so the user can find it. */
export class ArchiveRefusal extends Error {
  constructor(
    readonly entryPath: string,
    readonly reason: string,
  ) {
    super(`refused archive entry ${JSON.stringify(entryPath.slice(0, 200))}: ${reason}`);
    this.name = 'ArchiveRefusal';
  }
}

/**
 * Normalises an entry path to a relative POSIX path inside the target, or throws. Absolute
 * paths, drive letters, `..` anywhere, NUL bytes, backslashes used as separators and empty
 * components after normalisation are all refused rather than "fixed": a backup Lifeboat wrote
 * never contains them, so their presence means the archive is not what it claims to be.
 * `allowBackslash` accepts a backslash as an ordinary character (a legal one in POSIX names,
 * e.g. `back\slash.txt`); never set it where the filesystem treats it as a separator (Windows).
 */
export function safeEntryPath(raw: string, limits: ArchiveLimits = defaultArchiveLimits, options: { allowBackslash?: boolean } = {}): string {
  if (raw.includes('\0')) throw new ArchiveRefusal(raw, 'NUL byte in path');
  if (raw.length > limits.maxPathLength) throw new ArchiveRefusal(raw, 'path too long');
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw) || raw.startsWith('\\')) throw new ArchiveRefusal(raw, 'absolute path');
  if (raw.includes('\\') && !options.allowBackslash) throw new ArchiveRefusal(raw, 'backslash in path');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new ArchiveRefusal(raw, '".." in path');
  if (parts.length === 0) return '';
  if (parts.length > limits.maxDepth) throw new ArchiveRefusal(raw, `nested deeper than ${limits.maxDepth} levels`);
  return parts.join('/');
}

/**
 * Checks a symlink target: it must be relative and, resolved from the link's own directory,
 * stay inside the target tree. Absolute targets are refused even if they look harmless.
 */
export function checkSymlinkTarget(entryPath: string, target: string): void {
  if (target.length === 0) throw new ArchiveRefusal(entryPath, 'empty symlink target');
  if (target.includes('\0')) throw new ArchiveRefusal(entryPath, 'NUL byte in symlink target');
  if (target.startsWith('/')) throw new ArchiveRefusal(entryPath, `symlink to absolute path ${JSON.stringify(target)}`);
  const resolved = posix.normalize(posix.join(posix.dirname(entryPath), target));
  if (resolved === '..' || resolved.startsWith('../')) throw new ArchiveRefusal(entryPath, `symlink escapes the target (${JSON.stringify(target)})`);
}

/** Checks the entry type against the allow-list. */
export function checkEntryType(entryPath: string, type: string): AllowedType {
  if (!allowedTypes.has(type)) throw new ArchiveRefusal(entryPath, `entry type ${type} is not restored (devices, fifos and sockets are refused)`);
  return type as AllowedType;
}
