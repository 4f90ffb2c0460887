import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type DeltaPlan } from './block-delta';
import { ByteReader } from './byte-reader';
import type { DeltaInput, DeltaOutcome } from './delta-fetch';
import type { PreviousFile } from './previous-file';
import { secondsToNs } from './remote-listing';
import { counted, fetchRanges, statMarker } from './remote-tree';

/**
 * True when the stat printed after the range fetch shows the size and exact mtime the listing
 * saw: nothing wrote to the file between the listing, the block hashes and the fetch, so the
 * kept blocks and the fetched ones belong to one version. (A writer that restores the mtime
 * is not seen; the whole-file check of the full rebuild would not see it either, if it wrote
 * before the hashes.)
 */
export function unchangedSince(stderr: string, listed: { size: number; mtimeNs: string }): boolean {
  const line = stderr.split('\n').reverse().find((l) => l.startsWith(statMarker));
  const match = line ? /^\S+=(\d+(?:\.\d*)?) (\d+)$/.exec(line) : null;
  if (!match) return false;
  return secondsToNs(match[1] as string) === listed.mtimeNs && Number(match[2]) === listed.size;
}

/** The first and last changed block of an in-place edit, or undefined when blocks moved. */
export function inPlaceSpan(plan: DeltaPlan): { first: number; last: number } | undefined {
  let first = -1;
  let last = -1;
  for (const [i, src] of plan.sources.entries()) {
    if (src.from === 'previous' && src.block !== i) return undefined;
    if (src.from === 'remote') {
      if (first < 0) first = i;
      last = i;
    }
  }
  return { first, last };
}

/**
 * The byte range of the new content to store again: from the previous version's chunk
 * boundary at or before the first changed byte to the boundary at or after the last one.
 * Chunks outside it are the previous version's, reused as they are.
 */
export function regionOf(starts: readonly number[], size: number, from: number, to: number): { s: number; e: number; before: number; after: number } {
  let before = 0;
  while (before + 1 < starts.length && (starts[before + 1] as number) <= from) before++;
  let after = before;
  while (after < starts.length && (starts[after] as number) < to) after++;
  return { s: starts[before] ?? 0, e: after < starts.length ? (starts[after] as number) : size, before, after };
}

async function* region(plan: DeltaPlan, current: readonly string[], file: PreviousFile, remote: ByteReader | undefined, blockSize: number, size: number, span: { s: number; e: number }, state: { broken: boolean }): AsyncGenerator<Buffer> {
  for (let b = Math.floor(span.s / blockSize); b * blockSize < span.e; b++) {
    const length = Math.min(blockSize, size - b * blockSize);
    let data: Buffer;
    if (plan.sources[b]?.from === 'remote') {
      data = remote ? await remote.read(length) : Buffer.alloc(0);
      // A fetched block must be the block the server hashed: else the file moved on meanwhile.
      if (data.length !== length || createHash('sha256').update(data).digest('hex') !== current[b]) {
        state.broken = true;
        return;
      }
    } else {
      data = await file.read(b * blockSize, length);
    }
    const from = Math.max(span.s, b * blockSize) - b * blockSize;
    const to = Math.min(span.e, b * blockSize + data.length) - b * blockSize;
    yield data.subarray(from, to);
  }
}

/**
 * The delta of a file edited in place (same size, no block moved: databases, VM images): only
 * the stretch between the chunk boundaries around the changed blocks is read back from the
 * vault and stored again; the chunks before and after are the previous version's. Every
 * fetched block is checked against the server's block hash and every kept block's hash equals
 * the server's, so the result is exactly the file the server hashed — without re-reading the
 * whole previous version or the whole file on the server. Undefined: not applicable, or the
 * file changed meanwhile (the caller falls back to the full rebuild).
 */
export async function inPlaceDelta(input: DeltaInput, plan: DeltaPlan, current: readonly string[], previousBlocks: readonly string[], file: PreviousFile, listed: { size: number; mtimeNs: string }): Promise<DeltaOutcome | undefined> {
  const { size } = listed;
  const span = inPlaceSpan(plan);
  const old = input.previous.chunks ?? [];
  if (!span || size !== file.size || current.length !== previousBlocks.length || old.length === 0) return undefined;
  const outcome = (chunks: string[]): DeltaOutcome => ({ chunks, size, blocks: [...current], how: 'delta', blocksTotal: current.length, blocksFetched: plan.blocksToFetch });
  if (span.first < 0) return outcome([...old]);
  const { blockSize, wire, signal } = input;
  const r = regionOf(file.starts, size, span.first * blockSize, Math.min(size, (span.last + 1) * blockSize));
  const proc = await fetchRanges(input.access, input.path, plan.ranges, blockSize, wire, signal, true);
  const state = { broken: false };
  let stored: { chunks: string[]; size: number };
  try {
    const remote = new ByteReader(counted(proc.stdout as Readable, (n) => (wire.received += n)) as AsyncIterable<Buffer>);
    stored = await input.ingest(region(plan, current, file, remote, blockSize, size, r, state));
    if (!state.broken && !(await remote.atEnd())) state.broken = true;
  } catch (err) {
    await proc.kill();
    throw err;
  }
  if (state.broken) await proc.kill();
  const exit = await proc.done;
  if (state.broken || exit.code !== 0 || stored.size !== r.e - r.s || !unchangedSince(exit.stderr, listed)) return undefined;
  return outcome([...old.slice(0, r.before), ...stored.chunks, ...old.slice(r.after)]);
}
