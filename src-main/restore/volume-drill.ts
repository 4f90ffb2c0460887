import { createHash, randomBytes } from 'node:crypto';
import { LifeboatError } from '../api/errors';
import type { DrillCheck } from '../api/restore-contract';
import { createVolume, helperImages, removeVolume, runInScratch } from './docker-volumes';
import { itemVolume } from './restore-files-common';
import type { DrillContext, DrillOutcome } from './restore-sink';
import { plannedEntries } from './tree-tar';
import { fillNewVolume } from './volume-sink';

/**
 * Lists the mounted scratch volume inside a scratch container with only POSIX sh, find, stat,
 * readlink and sha256sum (busybox is enough). One record per entry: `rawmode uid gid size
 * mtime\n`, `sha256-or-dash\n`, then the path and the link target, each NUL-terminated, so no
 * file name can break the format.
 */
export const scratchListScript = `cd /lifeboat-target || exit 3
for t in find stat sha256sum readlink; do command -v "$t" >/dev/null 2>&1 || { echo "missing $t" >&2; exit 127; }; done
find . -mindepth 1 -exec sh -c '
for f do
  s=$(stat -c "%f %u %g %s %Y" "$f") || exit 4
  h=-
  l=
  if [ -L "$f" ]; then l=$(readlink "$f") || exit 6
  elif [ -f "$f" ]; then h=$(sha256sum < "$f") || exit 5; h=\${h%% *}; fi
  printf "%s\\n%s\\n%s\\0%s\\0" "$s" "$h" "$f" "$l"
done' sh {} + || exit 7`;

/** One entry as the scratch container saw it. */
export interface ScratchEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  /** Whole seconds (what busybox stat prints). */
  readonly mtimeSec: number;
  readonly sha256?: string;
  readonly link?: string;
}

/** Parses the output of `scratchListScript`. */
export function parseScratchListing(out: Buffer): ScratchEntry[] {
  const entries: ScratchEntry[] = [];
  let at = 0;
  const until = (byte: number) => {
    const end = out.indexOf(byte, at);
    if (end === -1) throw new LifeboatError('remote-failed', 'the scratch listing ended in the middle of a record');
    const text = out.toString('utf8', at, end);
    at = end + 1;
    return text;
  };
  while (at < out.length) {
    const [rawMode, uid, gid, size, mtime] = until(0x0a).split(' ');
    const hash = until(0x0a);
    const path = until(0).replace(/^\.\//, '');
    const link = until(0);
    const raw = parseInt(rawMode ?? '', 16);
    const fmt = raw & 0o170000;
    const type = fmt === 0o100000 ? 'file' : fmt === 0o040000 ? 'dir' : fmt === 0o120000 ? 'symlink' : 'other';
    entries.push({ path, type, mode: raw & 0o7777, uid: Number(uid), gid: Number(gid), size: Number(size), mtimeSec: Number(mtime), ...(hash !== '-' ? { sha256: hash } : {}), ...(type === 'symlink' ? { link } : {}) });
  }
  return entries;
}

/** Test hooks (never set in production): runs between the restore and the comparison. */
export const drillFaults: { afterRestore?: (volume: string) => Promise<void> } = {};

/** Order-independent digest of `path sha256` lines: one checksum for the whole content. */
function treeDigest(hashes: Iterable<[string, string]>): string {
  const lines = [...hashes].map(([p, h]) => `${h}  ${p}\n`).sort();
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/**
 * A volume drill: restores the item into a new scratch volume exactly as a real restore would,
 * lists it inside a scratch container (no network, volume read-only) with a sha256 of every
 * file, compares type, mode, owner, size, mtime (seconds), link targets and hashes with the
 * snapshot (hashes computed while the vault stream passed), then removes the scratch volume
 * whatever happened.
 */
export async function drillVolume(ctx: DrillContext): Promise<DrillOutcome> {
  const scratch = `lifeboat-drill-${randomBytes(6).toString('hex')}`;
  const { host, item } = ctx;
  const notes: string[] = [];
  const problems: string[] = [];
  const rctx = { host, vault: ctx.vault, snapshot: ctx.snapshot, item, target: { mode: 'new-volume' as const, volume: scratch }, job: ctx.job };
  const expected = await plannedEntries(ctx.vault, ctx.snapshot, item, { outsideLinks: 'keep', signal: ctx.job.signal });
  notes.push(...expected.warnings);
  await createVolume(host.docker, scratch, { 'org.lifeboat.role': 'drill', 'org.lifeboat.item': item.name.slice(0, 500) });
  let image: string | undefined;
  try {
    const hashes = new Map<string, string>();
    await fillNewVolume(rctx, host, scratch, hashes);
    await drillFaults.afterRestore?.(scratch);
    ctx.job.meter.setPhase('verify', `Hashing every file of ${scratch} in a scratch container`, { item: item.name });
    ctx.job.report(true);
    let listing: Buffer | undefined;
    const tried: string[] = [];
    for (const candidate of (await helperImages(host.docker, itemVolume(item))).slice(0, 5)) {
      const run = await runInScratch(host.docker, candidate, scratch, scratchListScript, ctx.job.signal);
      if (run.code === 0) {
        image = candidate;
        listing = run.stdout;
        break;
      }
      tried.push(`${candidate}: exit ${run.code} ${run.stderr.trim().slice(0, 120)}`);
    }
    if (!listing) throw new LifeboatError('unsupported', `no image on ${host.host.name} has sh, find, stat, readlink and sha256sum (${tried.join('; ')})`, 'keep a small image with busybox on the server');
    const all = parseScratchListing(listing);
    const live = new Map(all.map((e) => [e.path, e]));
    const checks: DrillCheck[] = [];
    let mismatches = 0;
    const fail = (name: string, note: string, extra: Partial<DrillCheck> = {}) => {
      mismatches++;
      if (mismatches <= 50) checks.push({ name, ok: false, note, ...extra });
    };
    for (const { outPath, entry } of expected.entries) {
      const l = live.get(outPath);
      live.delete(outPath);
      if (!l) {
        fail(outPath, 'missing after restore');
        continue;
      }
      const what: string[] = [];
      if (l.type !== entry.type) what.push(`type ${l.type} ≠ ${entry.type}`);
      if (l.mode !== (entry.mode & 0o7777) && entry.type !== 'symlink') what.push(`mode ${l.mode.toString(8)} ≠ ${(entry.mode & 0o7777).toString(8)}`);
      if (l.uid !== entry.uid || l.gid !== entry.gid) what.push(`owner ${l.uid}:${l.gid} ≠ ${entry.uid}:${entry.gid}`);
      if (entry.type === 'file' && l.size !== entry.size) what.push(`size ${l.size} ≠ ${entry.size}`);
      if (entry.type !== 'dir' && l.mtimeSec !== Math.floor(entry.mtime / 1000)) what.push(`mtime ${l.mtimeSec} ≠ ${Math.floor(entry.mtime / 1000)}`);
      if (entry.type === 'symlink' && l.link !== entry.link) what.push('link target differs');
      const want = hashes.get(outPath);
      if (entry.type === 'file' && want !== l.sha256) what.push('content (sha256) differs');
      if (what.length > 0) fail(outPath, what.join('; '), entry.type === 'file' ? { checksumExpected: want ?? '', checksum: l.sha256 ?? '' } : {});
    }
    for (const extra of live.values()) fail(extra.path, 'present after restore but not in the snapshot');
    const liveHashes = all.flatMap((e) => (e.sha256 ? [[e.path, e.sha256] as [string, string]] : []));
    const [want, got] = [treeDigest(hashes), treeDigest(liveHashes)];
    checks.unshift(
      { name: 'entries', rowsExpected: expected.entries.length, rows: all.length, ok: mismatches === 0, note: 'files, folders and links: type, mode, owner, size, mtime, link target' },
      { name: 'content', checksumExpected: want, checksum: got, ok: want === got, note: `sha256 of each of ${hashes.size} files, combined` },
    );
    if (mismatches > 0) problems.push(`${mismatches} entr${mismatches === 1 ? 'y differs' : 'ies differ'} from the snapshot${mismatches > 50 ? ' (the first 50 are listed)' : ''}`);
    return { ok: problems.length === 0 && checks.every((c) => c.ok), basis: 'backup', scratch: `volume ${scratch}`, image, checks, problems, notes };
  } finally {
    await removeVolume(host.docker, scratch).catch((err: Error) => ctx.job.log('warn', `could not remove the scratch volume ${scratch}: ${err.message}`));
  }
}
