import { shellQuote } from './shell-quote';

/** Block size of the delta; 1 MiB keeps the hash list small and the fetch granularity fine. */
export const defaultBlockSize = 1024 * 1024;

/**
 * A shell command (coreutils only) that prints the SHA-256 of every `blockSize` block of a
 * file, one per line, in order: `split --filter` pipes each block to sha256sum without
 * writing anything to the server's disk. The filter runs under `$SHELL`; pinning it to
 * /bin/sh matters: a login bash started under sshd may read ~/.bashrc for every block
 * (measured: 32 blocks took 5 s instead of 0.3 s).
 */
export function blockHashCommand(path: string, blockSize = defaultBlockSize): string {
  return `SHELL=/bin/sh split -b ${blockSize} --filter='sha256sum' -- ${shellQuote(path)} | cut -d' ' -f1`;
}

/** Parses the block hash command's output. */
export function parseBlockHashes(output: string): string[] {
  const hashes = output.split('\n').filter((line) => line.length > 0);
  for (const h of hashes) if (!/^[0-9a-f]{64}$/.test(h)) throw new Error(`unexpected block hash line "${h.slice(0, 80)}"`);
  return hashes;
}

/** Where each block of the new version comes from. */
export type BlockSource = { from: 'previous'; block: number } | { from: 'remote'; block: number };

/** A run of consecutive blocks to fetch from the server. */
export interface BlockRange {
  readonly first: number;
  readonly count: number;
}

/** The delta of one file: per-block sources and the remote ranges to fetch. */
export interface DeltaPlan {
  readonly sources: BlockSource[];
  readonly ranges: BlockRange[];
  readonly blocksToFetch: number;
}

/**
 * Matches the new version's block hashes against the previous version's. A block is reused
 * when the same content exists anywhere in the previous version (in-place edits and appends
 * are the common cases: databases, VM images); everything else is fetched, in coalesced runs.
 * The last block may be short; its hash only matches a block of identical content and length.
 */
export function planDelta(previous: readonly string[], current: readonly string[]): DeltaPlan {
  const index = new Map<string, number>();
  previous.forEach((hash, i) => {
    if (!index.has(hash)) index.set(hash, i);
  });
  const sources: BlockSource[] = [];
  const ranges: BlockRange[] = [];
  current.forEach((hash, i) => {
    const same = previous[i] === hash ? i : index.get(hash);
    if (same !== undefined) {
      sources.push({ from: 'previous', block: same });
      return;
    }
    sources.push({ from: 'remote', block: i });
    const last = ranges[ranges.length - 1];
    if (last && last.first + last.count === i) ranges[ranges.length - 1] = { first: last.first, count: last.count + 1 };
    else ranges.push({ first: i, count: 1 });
  });
  return { sources, ranges, blocksToFetch: ranges.reduce((n, r) => n + r.count, 0) };
}

/**
 * One command that streams the given block ranges of a file back to back (coreutils dd), so
 * all changed blocks travel over a single exec.
 */
export function fetchRangesCommand(path: string, ranges: readonly BlockRange[], blockSize = defaultBlockSize): string {
  if (ranges.length === 0) throw new Error('no ranges to fetch');
  const file = shellQuote(path);
  return ranges
    .map((r) => `dd if=${file} bs=${blockSize} skip=${r.first} count=${r.count} status=none`)
    .join(' && ');
}
