import { LifeboatError, toErrorPayload } from '../api/errors';
import type { TableStats } from '../databases/table-stats';
import { addWarning } from './dump-stream';
import { databaseName } from './item-plan';
import type { SourceContext, SourceResult } from './source';

/** The server container and database of a dump item, or `unsupported` when discovery could not list them. */
export function dumpTarget(ctx: SourceContext): { container: string; database: string } {
  const container = ctx.item.container;
  const database = databaseName(ctx.item, ctx.inventory);
  if (!container || database === '*') {
    throw new LifeboatError('unsupported', `the databases of ${container ?? 'this server'} could not be listed, so ${ctx.item.id} cannot be dumped`, ctx.item.notes[0] ?? 'start the database container and run discovery again');
  }
  return { container, database };
}

/** The image of the item's container, recorded so a drill can start a scratch copy of it. */
export function containerImage(ctx: SourceContext): string | undefined {
  const name = ctx.item.container;
  return ctx.inventory.stacks.flatMap((s) => s.containers).find((c) => c.name === name)?.image;
}

/**
 * Records exact row counts per table in `info.rows` (JSON: table → rows), and ordered content
 * checksums in `info.checksums` (JSON: table → checksum) with `info.checksumMethod` when the
 * count gives them, for drills that restore the dump and compare. A failed count is a warning,
 * never a failed backup: the dump itself is what matters.
 */
export async function recordRows(ctx: SourceContext, info: Record<string, string>, warnings: string[], count: () => Promise<TableStats>, checksumMethod?: string): Promise<void> {
  ctx.job.meter.setPhase('count', `Counting rows of ${ctx.item.id}`, { item: ctx.item.id });
  ctx.job.report(true);
  try {
    const stats = await count();
    info.rows = JSON.stringify(Object.fromEntries(Object.entries(stats).map(([table, s]) => [table, s.rows])));
    const sums = Object.entries(stats).filter(([, s]) => s.checksum !== undefined);
    if (checksumMethod && sums.length > 0) {
      info.checksums = JSON.stringify(Object.fromEntries(sums.map(([table, s]) => [table, s.checksum])));
      info.checksumMethod = checksumMethod;
    }
  } catch (err) {
    if (ctx.job.signal.aborted) throw err;
    addWarning({ info, warnings }, `row counts were not recorded: ${toErrorPayload(err).message}`);
  }
}

/**
 * Stores a checked dump stream as the item, reporting bytes as they arrive. `info` is read
 * when the item is recorded, after the stream ended, so warnings found at its end are in it.
 * `cleanup` stops the remote processes if the vault fails before the stream was even read
 * (a stream that started cleans up after itself).
 */
export async function storeDump(ctx: SourceContext, info: Record<string, string>, warnings: string[], stream: AsyncIterable<Buffer>, cleanup: () => Promise<void>): Promise<SourceResult> {
  const { job, item } = ctx;
  job.meter.setPhase('dump', `Dumping ${item.id}`, { item: item.id, ...(ctx.previous ? { bytesTotal: ctx.previous.item.size } : {}) });
  job.report(true);
  let stored;
  try {
    const onBytes = (n: number) => {
      job.meter.add(n);
      job.report();
    };
    stored = await ctx.snapshot.addStream({ name: item.id, kind: item.kind, info, signal: job.signal, onBytes }, stream);
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
  job.report(true);
  return { stored, warnings, bytesTransferred: stored.size };
}

/** Passes a stream through and hands its first `bytes` bytes (or all, if shorter) to `onHead` once. */
export async function* withHead(stream: AsyncIterable<Buffer>, bytes: number, onHead: (head: Buffer) => void): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  let seen = false;
  for await (const chunk of stream) {
    if (!seen) {
      head = Buffer.concat([head, chunk.subarray(0, bytes - head.length)]);
      if (head.length >= bytes) {
        seen = true;
        onHead(head);
      }
    }
    yield chunk;
  }
  if (!seen) onHead(head);
}
