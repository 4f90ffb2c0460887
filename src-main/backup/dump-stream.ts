import { LifeboatError } from '../api/errors';
import { formatBytes } from '../api/format';
import type { RemoteExit, RemoteProcess } from '../hosts/remote-process';
import type { PreviousItem } from './source';

/** Checks a dump while it streams: a second reader of the same bytes (e.g. pg_restore). */
export interface DumpVerifier {
  write(chunk: Buffer): Promise<void>;
  /** All bytes were written; throws when the verifier rejects the dump. */
  finish(): Promise<void>;
  /** Stops the verifier (the dump failed or was cancelled). */
  abort(): Promise<void>;
}

/** What `checkedDump` checks and where it writes its findings. */
export interface DumpChecks {
  /** Shown in errors, e.g. `pg_dump of "wiki" in wiki-db-1`. */
  readonly what: string;
  readonly previous?: PreviousItem;
  /** The item's info; warnings land here as `warnings` (JSON) before the item is recorded. */
  readonly info: Record<string, string>;
  /** The run's warnings for this item (the summary shows them). */
  readonly warnings: string[];
  readonly verifier?: DumpVerifier;
  /** Checks the dump's last bytes (e.g. mysqldump's "-- Dump completed" line); returns a problem or undefined. */
  readonly checkTail?: (tail: string) => string | undefined;
  /**
   * Decides from how the remote side ended instead of its exit code (e.g. the status lines of a
   * pipeline); returns what went wrong, completing "<what> …", or undefined. A tool that
   * succeeded with no output is left to the empty-dump check.
   */
  readonly checkExit?: (exit: RemoteExit, bytes: number) => string | undefined;
  readonly signal?: AbortSignal;
}

/** The last line of a tool's stderr, shortened; never holds secrets (none were in argv or env of ours). */
export function lastLine(stderr: string): string {
  const line = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** "failed (exit 3): <the tool's last line>", for error messages. */
export function exitText(status: number | string | null | undefined, stderr: string): string {
  const why = lastLine(stderr.replace(/^lifeboat-status:.*$/gm, ''));
  return `failed (exit ${status ?? '?'})${why ? `: ${why}` : ''}`;
}

/** Adds a warning to the run's list and to the item's `info.warnings` (JSON array). */
export function addWarning(checks: Pick<DumpChecks, 'info' | 'warnings'>, text: string): void {
  checks.warnings.push(text);
  const list = checks.info.warnings ? (JSON.parse(checks.info.warnings) as string[]) : [];
  checks.info.warnings = JSON.stringify([...list, text]);
}

/**
 * The anomaly rule for dumps: 0 bytes is an error (never a green tick); under half the size of
 * the last good copy is a warning on the snapshot item.
 */
export function sizeAnomaly(bytes: number, previous: PreviousItem | undefined, what: string): { error?: string; warning?: string } {
  if (bytes === 0) return { error: `${what} produced an empty dump (0 bytes)` };
  const last = previous?.item.size ?? 0;
  if (last > 0 && bytes < last / 2) {
    return { warning: `${what} is ${formatBytes(bytes)}, under half the last one (${formatBytes(last)} on ${previous?.snapshot.time.slice(0, 10)}); check that no data was lost` };
  }
  return {};
}

/**
 * Streams a dump tool's stdout into the vault and only lets it count when it is good: the
 * tool exited 0, the verifier accepted every byte, the tail looks complete and the dump is not
 * empty. Any failure throws from inside the stream, so the writer leaves the item out of the
 * snapshot; a consumer that stops early (vault error, cancel) kills the remote tool.
 */
export async function* checkedDump(proc: RemoteProcess, checks: DumpChecks): AsyncGenerator<Buffer> {
  let bytes = 0;
  let tail = Buffer.alloc(0);
  let finished = false;
  try {
    for await (const chunk of proc.stdout as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      tail = Buffer.concat([tail, chunk.subarray(Math.max(0, chunk.length - 512))]).subarray(-512);
      if (checks.verifier) await checks.verifier.write(chunk);
      yield chunk;
    }
    const exit = await proc.done;
    if (checks.signal?.aborted) throw new LifeboatError('cancelled', `${checks.what} was cancelled`);
    const problem = checks.checkExit ? checks.checkExit(exit, bytes) : exit.code !== 0 ? exitText(exit.code ?? exit.signal, exit.stderr) : undefined;
    if (problem) throw new LifeboatError('remote-failed', `${checks.what} ${problem}`, 'the item is left out of the snapshot; fix the cause on the server and run the backup again');
    const size = sizeAnomaly(bytes, checks.previous, checks.what);
    if (size.error) throw new LifeboatError('remote-failed', size.error, 'an empty dump is never a backup: check the database and the tool\'s output on the server');
    const tailProblem = checks.checkTail?.(tail.toString('latin1'));
    if (tailProblem) throw new LifeboatError('remote-failed', `${checks.what}: ${tailProblem}`, 'the dump looks cut off; run the backup again');
    if (checks.verifier) {
      finished = true;
      await checks.verifier.finish();
    }
    if (size.warning) addWarning(checks, size.warning);
    finished = true;
  } finally {
    if (!finished) {
      await checks.verifier?.abort().catch(() => undefined);
      await proc.kill().catch(() => undefined);
    }
  }
}
