import type { Progress } from './progress';

/**
 * 1536 → "1.5 KiB". Shared by the CLI and the renderer (which may import only src-main/api),
 * so sizes read the same at every door.
 */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** `4.2 s`, `3 min 07 s`: durations read the same in the CLI and the app. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
}

/** What a progress line needs of the contract's Progress (tests pass bare figures). */
type ProgressFigures = Pick<Progress, 'bytesDone' | 'bytesTotal' | 'rate' | 'etaSeconds'>;

/** The smoothed rate needs a little data before its ETA means anything. */
export function etaIsMeaningful(p: ProgressFigures): boolean {
  const total = p.bytesTotal ?? 0;
  return p.etaSeconds !== undefined && p.rate >= 1 && total > 0 && p.bytesDone >= Math.min(total / 20, 256 * 1024) && p.bytesDone < total;
}

/**
 * "12.0 MiB of ~66.0 MiB · 30.0 MiB/s · about 2.0 s left", leaving out what is not known yet
 * (an empty string while a phase moves no bytes, e.g. counting rows), so a screen never shows
 * "0 B" for work that is not about bytes. `estimate` marks totals that are estimates.
 */
export function progressFigures(p: ProgressFigures, estimate = false): string {
  const parts: string[] = [];
  if (p.bytesTotal) parts.push(`${formatBytes(p.bytesDone)} of ${estimate ? '~' : ''}${formatBytes(p.bytesTotal)}`);
  else if (p.bytesDone > 0) parts.push(formatBytes(p.bytesDone));
  if (p.rate >= 1 && parts.length > 0) parts.push(`${formatBytes(Math.round(p.rate))}/s`);
  if (etaIsMeaningful(p) && p.etaSeconds !== undefined) parts.push(`about ${formatSeconds(p.etaSeconds)} left`);
  return parts.join(' · ');
}
