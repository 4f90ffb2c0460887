import type { BackupSummary } from '../api/backup-contract';
import { etaIsMeaningful, formatBytes, formatSeconds } from '../api/format';
import type { ItemOutcome, JobState } from '../api/jobs-contract';
import type { Progress } from '../api/progress';
import type { CliIo } from './command';

const marks: Record<ItemOutcome['status'], string> = { succeeded: 'ok', failed: 'FAILED', skipped: 'skipped', cancelled: 'cancelled' };

/** One status line: phase, item, a bar when the total is known, bytes, rate and ETA, cut to the terminal's width. */
export function progressLine(p: Progress, columns = 100): string {
  const total = p.bytesTotal ?? 0;
  const parts = [p.phase.padEnd(8), p.item ?? p.label];
  if (total > 0) {
    const frac = Math.min(1, p.bytesDone / total);
    const width = 20;
    const fill = Math.round(frac * width);
    parts.push(`[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${formatBytes(p.bytesDone)} / ~${formatBytes(total)}`);
  } else if (p.bytesDone > 0) {
    parts.push(formatBytes(p.bytesDone));
  }
  if (p.rate >= 1) parts.push(`${formatBytes(Math.round(p.rate))}/s`);
  if (etaIsMeaningful(p) && p.etaSeconds !== undefined) parts.push(`ETA ${formatSeconds(p.etaSeconds)}`);
  const line = parts.join('  ');
  return line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line;
}

/** One line per finished item, as it finishes. */
export function outcomeLine(o: ItemOutcome): string {
  const size = o.bytes !== undefined ? `  ${formatBytes(o.bytes)}` : '';
  const why = o.status !== 'succeeded' && o.message ? `: ${o.message}` : '';
  const warn = o.warnings.length > 0 ? `  (${o.warnings.length} warning${o.warnings.length === 1 ? '' : 's'})` : '';
  return `${marks[o.status].padEnd(9)} ${o.item}${size}${warn}${why}`;
}

/**
 * Draws a backup's progress on stderr while it runs (only on a terminal): a status line that
 * redraws in place, and a line per item as it finishes. Returns the function that stops it.
 */
export function attachProgress(io: CliIo, jobId: () => string | undefined, on: (listener: (event: string, payload: unknown) => void) => () => void): () => void {
  const { stderr } = io;
  if (!stderr.isTTY) return () => undefined;
  let shown = false;
  let printed = 0;
  const clear = () => {
    if (shown) stderr.write('\r\x1b[K');
    shown = false;
  };
  const off = on((event, payload) => {
    const id = jobId();
    if (event === 'jobProgress') {
      const p = payload as Progress;
      if (id && p.jobId !== id) return;
      stderr.write(`\r\x1b[K${progressLine(p, stderr.columns ?? 100)}`);
      shown = true;
    } else if (event === 'jobState') {
      const s = payload as JobState;
      if (id && s.id !== id) return;
      for (const o of s.items.slice(printed)) {
        clear();
        stderr.write(`${outcomeLine(o)}\n`);
      }
      printed = Math.max(printed, s.items.length);
    }
  });
  return () => {
    off();
    clear();
  };
}

/** The end of a run as text: every item, warnings, the snapshot, the verdict. */
export function summaryText(s: BackupSummary): string {
  const lines: string[] = [];
  const width = Math.max(4, ...s.items.map((i) => i.item.length));
  for (const i of s.items) {
    const size = i.size !== undefined ? formatBytes(i.size) : '-';
    const time = i.seconds !== undefined ? formatSeconds(i.seconds) : '';
    lines.push(`${marks[i.status].padEnd(9)} ${i.item.padEnd(width)}  ${size.padStart(10)}  ${time.padStart(8)}${i.status !== 'succeeded' && i.message ? `  ${i.message}` : ''}`);
    if (i.status === 'failed' && i.hint) lines.push(`${' '.repeat(10)}${i.hint}`);
  }
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  if (s.error) lines.push(`error: ${s.error}`);
  const ok = s.items.filter((i) => i.status === 'succeeded').length;
  const stats = s.stats ? `, ${formatBytes(s.stats.bytesIn)} read, ${formatBytes(s.stats.storedNew)} new in the vault` : '';
  lines.push(
    s.snapshot
      ? `snapshot ${s.snapshot.slice(0, 8)} of ${s.host}: ${ok} of ${s.items.length} items saved${stats} in ${formatSeconds(s.seconds)} (${s.status})`
      : `no snapshot written: ${ok} of ${s.items.length} items saved (${s.status}) in ${formatSeconds(s.seconds)}`,
  );
  return `${lines.join('\n')}\n`;
}
