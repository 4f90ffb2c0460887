import { describe, expect, it } from 'vitest';
import { etaIsMeaningful, formatBytes, formatSeconds, progressFigures } from '../../../src-main/api/format';

describe('shared formatting (CLI and app)', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 2 ** 20)).toBe('200 MiB');
    expect(formatSeconds(4.25)).toBe('4.3 s');
    expect(formatSeconds(42.4)).toBe('42 s');
    expect(formatSeconds(187)).toBe('3 min 07 s');
  });

  it('leaves out figures a phase does not have: no "0 B" while counting rows', () => {
    expect(progressFigures({ bytesDone: 0, rate: 0 })).toBe('');
    expect(progressFigures({ bytesDone: 3 * 2 ** 20, rate: 0 })).toBe('3.0 MiB');
    expect(progressFigures({ bytesDone: 0, bytesTotal: 2 ** 20, rate: 0 })).toBe('0 B of 1.0 MiB');
    expect(progressFigures({ bytesDone: 2 ** 20, bytesTotal: 4 * 2 ** 20, rate: 2 ** 20, etaSeconds: 3 }, true)).toBe('1.0 MiB of ~4.0 MiB · 1.0 MiB/s · about 3.0 s left');
  });

  it('shows an ETA only once the rate has some data behind it, and never past the end', () => {
    const total = 100 * 2 ** 20;
    expect(etaIsMeaningful({ bytesDone: 1024, bytesTotal: total, rate: 5000, etaSeconds: 9 })).toBe(false);
    expect(etaIsMeaningful({ bytesDone: total / 2, bytesTotal: total, rate: 5000, etaSeconds: 9 })).toBe(true);
    expect(etaIsMeaningful({ bytesDone: total, bytesTotal: total, rate: 5000, etaSeconds: 0 })).toBe(false);
    expect(etaIsMeaningful({ bytesDone: total / 2, rate: 5000, etaSeconds: 9 })).toBe(false);
  });
});
