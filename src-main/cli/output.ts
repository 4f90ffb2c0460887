import type { ErrorCode, ErrorPayload } from '../api/errors';
import { toErrorPayload } from '../api/errors';
import type { CliIo } from './command';

/** Prints a value as one JSON document, for `--json` and scripts. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints aligned rows; the first row is the header. */
export function printTable(io: CliIo, rows: string[][]): void {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  for (const row of rows) {
    io.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}\n`);
  }
}

/** Exit status per error code: 2 for usage problems, 130 for cancel, 1 otherwise. */
export function exitCodeFor(code: ErrorCode): number {
  if (code === 'bad-input') return 2;
  if (code === 'cancelled') return 130;
  return 1;
}

/** Reports a failure as `lifeboat: message` plus the next step, or as JSON with `--json`. */
export function reportError(io: CliIo, err: unknown, json: boolean): number {
  const payload: ErrorPayload = toErrorPayload(err);
  if (json) {
    io.stdout.write(`${JSON.stringify({ error: payload }, null, 2)}\n`);
  } else {
    io.stderr.write(`lifeboat: ${payload.message}\n`);
    if (payload.hint) io.stderr.write(`  ${payload.hint}\n`);
  }
  return exitCodeFor(payload.code);
}

/** Sizes for people; one implementation for every door. */
export { formatBytes } from '../api/format';
