import { constants, createWriteStream, linkSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync, chmodSync, utimesSync, lutimesSync, lchownSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { LifeboatError } from '../api/errors';
import { type ArchiveLimits, ArchiveRefusal, checkEntryType, checkSymlinkTarget, defaultArchiveLimits, safeEntryPath } from './archive-policy';

/** Options of a safe extraction. */
export interface SafeExtractOptions {
  readonly limits?: Partial<ArchiveLimits>;
  /** Keep setuid/setgid/sticky bits (default: dropped). */
  readonly keepSpecialBits?: boolean;
  /** chown entries to their recorded owners (only effective as root). */
  readonly preserveOwners?: boolean;
  readonly signal?: AbortSignal;
  /** Accept `\` as an ordinary name character (POSIX systems only; see safeEntryPath). */
  readonly allowBackslash?: boolean;
}

/** What was unpacked. */
export interface ExtractReport {
  readonly files: number;
  readonly dirs: number;
  readonly symlinks: number;
  readonly hardlinks: number;
  readonly bytes: number;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Unpacks a tar stream into a fresh staging directory that must not exist yet. Every entry
 * is checked before anything is written (archive-policy.ts); files are created with
 * O_EXCL|O_NOFOLLOW and every parent component is lstat-ed, so nothing can be written
 * through a symlink or outside the staging directory. On any refusal or error the staging
 * directory is removed and the error names the offending entry.
 */
export async function safeExtract(input: Readable, staging: string, options: SafeExtractOptions = {}): Promise<ExtractReport> {
  const limits = { ...defaultArchiveLimits, ...options.limits };
  mkdirSync(dirname(staging), { recursive: true });
  try {
    mkdirSync(staging, { mode: 0o700 });
  } catch (err) {
    throw new LifeboatError('conflict', `staging directory ${staging} already exists`, 'restores unpack into a fresh directory; remove it or pick another', { cause: err });
  }
  const report = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
  const dirTimes: Array<{ path: string; mode: number; mtime: Date; uid: number; gid: number }> = [];
  const writes: Array<Promise<void>> = [];
  let entries = 0;
  let failure: unknown;

  const ensureDir = (rel: string): void => {
    let current = staging;
    for (const part of rel === '' ? [] : rel.split('/')) {
      current = join(current, part);
      const st = lstatOrUndefined(current);
      if (!st) mkdirSync(current, { mode: 0o700 });
      else if (!st.isDirectory()) throw new ArchiveRefusal(rel, `a parent path component is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}`);
    }
  };
  const owner = (path: string, uid: number, gid: number, link = false) => {
    if (options.preserveOwners && process.getuid?.() === 0) lchownSync(path, uid, gid);
    else if (link) return;
  };
  const modeOf = (mode: number) => mode & (options.keepSpecialBits ? 0o7777 : 0o777);

  const handle = (entry: ReadEntry): void => {
    if (failure) return entry.resume();
    entries++;
    if (entries > limits.maxEntries) throw new ArchiveRefusal(entry.path, `more than ${limits.maxEntries} entries`);
    const rel = safeEntryPath(entry.path, limits, { allowBackslash: options.allowBackslash ?? false });
    const type = checkEntryType(entry.path, entry.type);
    const size = entry.size ?? 0;
    if (size > limits.maxEntrySize) throw new ArchiveRefusal(entry.path, `entry of ${size} bytes exceeds the ${limits.maxEntrySize}-byte limit`);
    report.bytes += size;
    if (report.bytes > limits.maxTotalSize) throw new ArchiveRefusal(entry.path, `archive exceeds ${limits.maxTotalSize} bytes in total`);
    const full = join(staging, rel);
    const mtime = entry.mtime ?? new Date();
    const uid = entry.uid ?? 0;
    const gid = entry.gid ?? 0;
    if (type === 'Directory') {
      ensureDir(rel);
      dirTimes.push({ path: full, mode: modeOf(entry.mode ?? 0o755), mtime, uid, gid });
      report.dirs++;
      return entry.resume();
    }
    if (rel === '') throw new ArchiveRefusal(entry.path, 'a non-directory entry for the root');
    ensureDir(dirname(rel) === '.' ? '' : dirname(rel));
    if (lstatOrUndefined(full)) throw new ArchiveRefusal(entry.path, 'duplicate entry (would overwrite an earlier one)');
    if (type === 'SymbolicLink') {
      const target = entry.linkpath ?? '';
      checkSymlinkTarget(rel, target);
      symlinkSync(target, full);
      lutimesSync(full, mtime, mtime);
      owner(full, uid, gid, true);
      report.symlinks++;
      return entry.resume();
    }
    if (type === 'Link') {
      let targetRel: string;
      try {
        targetRel = safeEntryPath(entry.linkpath ?? '', limits, { allowBackslash: options.allowBackslash ?? false });
      } catch (err) {
        throw new ArchiveRefusal(entry.path, `hard link target ${JSON.stringify(entry.linkpath)}: ${(err as ArchiveRefusal).reason}`);
      }
      const targetStat = lstatOrUndefined(join(staging, targetRel));
      if (!targetStat?.isFile()) throw new ArchiveRefusal(entry.path, `hard link to ${JSON.stringify(entry.linkpath)} which is not a file unpacked before it`);
      linkSync(join(staging, targetRel), full);
      report.hardlinks++;
      return entry.resume();
    }
    const fd = openSync(full, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const out = createWriteStream(full, { fd });
    report.files++;
    writes.push(
      new Promise<void>((resolve, reject) => {
        out.on('error', reject);
        out.on('close', () => {
          try {
            chmodSync(full, modeOf(entry.mode ?? 0o644));
            owner(full, uid, gid);
            utimesSync(full, mtime, mtime);
            resolve();
          } catch (err) {
            reject(err);
          }
        });
      }),
    );
    entry.pipe(out);
  };

  const parser = new Parser({ strict: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => {
        if (!failure) failure = err;
        input.unpipe(parser);
        input.destroy();
        reject(err);
      };
      parser.on('entry', (entry: ReadEntry) => {
        try {
          handle(entry);
        } catch (err) {
          entry.resume();
          fail(err);
        }
      });
      parser.on('error', fail);
      parser.on('warn', (code: string, message: string) => {
        if (code !== 'TAR_ENTRY_INFO') fail(new ArchiveRefusal('(archive)', `${code}: ${message}`));
      });
      parser.on('end', () => resolve());
      input.on('error', fail);
      options.signal?.addEventListener('abort', () => fail(new LifeboatError('cancelled', 'extraction cancelled')), { once: true });
      input.pipe(parser);
    });
    await Promise.all(writes);
    for (const d of dirTimes.sort((a, b) => b.path.length - a.path.length)) {
      chmodSync(d.path, d.mode);
      owner(d.path, d.uid, d.gid);
      utimesSync(d.path, d.mtime, d.mtime);
    }
    return report;
  } catch (err) {
    await Promise.allSettled(writes);
    rmSync(staging, { recursive: true, force: true });
    if (err instanceof ArchiveRefusal) throw new LifeboatError('corrupt', err.message, 'the archive was not unpacked; nothing was written outside its staging directory', { cause: err });
    throw err;
  }
}
