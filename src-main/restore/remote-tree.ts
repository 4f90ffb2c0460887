import { posix } from 'node:path';
import { LifeboatError } from '../api/errors';
import { type ListedEntry, ListingParser, listingArgv } from '../sync/remote-listing';
import type { RootShell } from './remote-shell';

/** Marker every directory Lifeboat creates next to a restore target carries in its name. */
export const stagingMarker = '.lifeboat-restore-';

/**
 * GNU tar, as root, into a directory that Lifeboat just created empty. The archive comes from
 * `treeTar` (validated entries only: no duplicates, nothing below a link; its `./` member
 * carries the root's mode and owner, which is why `--keep-old-files` and `--no-overwrite-dir`
 * are not used: both would skip the root). On top of that tar keeps its own guards: it refuses
 * `..` members, creates links that point outside as placeholders until the end, and restores
 * directory modes only at the end so a read-only directory cannot stop its own files.
 */
const extractScript = `set -e
[ -d "$1" ] && [ ! -L "$1" ] || { echo "not a fresh directory: $1" >&2; exit 3; }
cd -- "$1"
exec tar -x -f - --numeric-owner --same-owner --same-permissions --delay-directory-restore`;

/** Makes a fresh, private staging directory inside `$1` and prints its path. */
const stagingScript = `set -e
[ -e "$1" ] || mkdir -p -m 755 -- "$1"
[ -d "$1" ] && [ ! -L "$1" ] || { echo "not a directory: $1" >&2; exit 3; }
umask 077
d=$(mktemp -d "$1/${stagingMarker}XXXXXXXXXX")
printf '%s' "$d"`;

/** Removes a directory Lifeboat created (refuses anything not carrying the marker). */
const removeScript = `case "$1" in */${stagingMarker}*) ;; *) echo "refusing to remove $1" >&2; exit 9;; esac
[ -e "$1" ] || [ -L "$1" ] || exit 0
rm -rf -- "$1"`;

/**
 * Replaces directory $1 with the staged tree $2, keeping the old one as $3, with two renames
 * (each atomic); if the second fails the first is undone. The new root directory gets mode $4
 * and owner $5:$6 when given (what the snapshot recorded), else the old one's (or 0755 root).
 */
const swapScript = `set -e
T=$1 S=$2 O=$3
[ -d "$S" ] && [ ! -L "$S" ] || { echo "staging is gone" >&2; exit 3; }
if [ -n "$4" ]; then chmod "$4" -- "$S"; chown "$5:$6" -- "$S"
elif [ -d "$T" ] && [ ! -L "$T" ]; then chown --reference="$T" -- "$S"; chmod --reference="$T" -- "$S"
else chmod 755 -- "$S"; fi
if [ -d "$T" ] && [ ! -L "$T" ]; then
  mv -T -- "$T" "$O"
  if ! mv -T -- "$S" "$T"; then mv -T -- "$O" "$T"; exit 4; fi
else
  [ ! -e "$T" ] && [ ! -L "$T" ] || { echo "target exists and is not a directory: $T" >&2; exit 5; }
  mv -T -- "$S" "$T"
fi`;

/** Puts the old directory $3 back at $1, moving what is there now to $2. */
const unswapScript = `set -e
T=$1 F=$2 O=$3
[ -d "$O" ] || { echo "the old copy is gone: $O" >&2; exit 3; }
if [ -e "$T" ] || [ -L "$T" ]; then mv -T -- "$T" "$F"; fi
mv -T -- "$O" "$T"`;

/** Lists a directory with GNU find; nothing when it does not exist. */
const listScript = `[ -e "$1" ] || exit 0
cd -- "$1" || exit 3
exec find . -printf "$2"`;

/** Owner, mode and time of a tree's root directory (volume sources record them in the item's info). */
export interface RootAttributes {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtimeMs?: number;
  readonly mtimeNs?: string;
}

/** Remote operations on host paths that restores need (all as root, names as arguments). */
export class RemoteTree {
  constructor(private readonly shell: RootShell) {}

  /** A fresh empty directory inside `parent`, private to root. */
  async staging(parent: string): Promise<string> {
    const out = (await this.shell.run(stagingScript, [parent], { what: 'creating a staging directory' })).toString('utf8');
    if (!out.startsWith(`${parent.replace(/\/+$/, '')}/${stagingMarker}`)) throw new LifeboatError('remote-failed', `unexpected staging path ${JSON.stringify(out.slice(0, 200))}`);
    return out;
  }

  /** Unpacks an archive stream (a Readable, or lent chunks: see `lentTreeTar`) into a fresh directory. */
  extract(dir: string, archive: AsyncIterable<Buffer>): Promise<void> {
    return this.shell.feed(extractScript, [dir], archive, `unpacking into ${dir}`);
  }

  /** Removes a staging or old-copy directory. */
  async remove(dir: string): Promise<void> {
    await this.shell.run(removeScript, [dir], { what: `removing ${dir}`, timeoutMs: 600_000 });
  }

  /** Swaps the staged tree into place; returns where the old content now is. */
  async swap(target: string, staged: string, root?: RootAttributes): Promise<string> {
    const old = `${posix.dirname(staged)}/${stagingMarker}old-${posix.basename(staged).slice(stagingMarker.length)}`;
    const args = [target, staged, old, root ? (root.mode & 0o7777).toString(8) : '', String(root?.uid ?? 0), String(root?.gid ?? 0)];
    await this.shell.run(swapScript, args, { what: `swapping the restored copy into ${target}` });
    return old;
  }

  /** Undoes `swap`: the old content goes back to `target`. */
  async unswap(target: string, old: string): Promise<void> {
    const failed = `${old}-failed`;
    await this.shell.run(unswapScript, [target, failed, old], { what: `putting the old ${target} back` });
    await this.remove(failed).catch(() => undefined);
  }

  /** Every entry below `dir` (empty when it does not exist). */
  async list(dir: string): Promise<ListedEntry[]> {
    const format = listingArgv()[3] as string;
    const proc = await this.shell.read(listScript, [dir, format]);
    const parser = new ListingParser();
    const out: ListedEntry[] = [];
    for await (const chunk of proc.stdout) out.push(...parser.push(chunk as Buffer));
    const exit = await proc.done;
    if (exit.code !== 0) throw new LifeboatError('remote-failed', `listing ${dir} failed (exit ${String(exit.code)}): ${exit.stderr.trim().slice(0, 300)}`, 'check that GNU find is installed on the server');
    parser.end();
    return out;
  }

  /** True when a path exists (as anything, links included). */
  async exists(path: string): Promise<boolean> {
    const out = await this.shell.run('if [ -e "$1" ] || [ -L "$1" ]; then printf yes; else printf no; fi', [path]);
    return out.toString() === 'yes';
  }
}
