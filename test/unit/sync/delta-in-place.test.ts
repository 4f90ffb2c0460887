import { describe, expect, it } from 'vitest';
import { regionOf, unchangedSince } from '../../../src-main/sync/delta-in-place';

describe('in-place delta', () => {
  it('spans the chunk boundaries around the changed bytes', () => {
    const starts = [0, 100, 250, 400, 700];
    expect(regionOf(starts, 1000, 260, 300)).toEqual({ s: 250, e: 400, before: 2, after: 3 });
    expect(regionOf(starts, 1000, 250, 400)).toEqual({ s: 250, e: 400, before: 2, after: 3 });
    expect(regionOf(starts, 1000, 90, 720)).toEqual({ s: 0, e: 1000, before: 0, after: 5 });
    expect(regionOf(starts, 1000, 701, 1000)).toEqual({ s: 700, e: 1000, before: 4, after: 5 });
    expect(regionOf([0], 50, 10, 20)).toEqual({ s: 0, e: 50, before: 0, after: 1 });
  });

  it('accepts the fetch only when the file still has the listed size and exact mtime', () => {
    const listed = { size: 4096, mtimeNs: '1700000000123456789' };
    expect(unchangedSince('lifeboat-stat=1700000000.1234567890 4096\n', listed)).toBe(true);
    expect(unchangedSince('dd: noise\nlifeboat-stat=1700000000.1234567890 4096\n', listed)).toBe(true);
    expect(unchangedSince('lifeboat-stat=1700000000.1234567880 4096\n', listed)).toBe(false);
    expect(unchangedSince('lifeboat-stat=1700000000.1234567890 4097\n', listed)).toBe(false);
    expect(unchangedSince('find: ./x: No such file or directory\n', listed)).toBe(false);
  });
});
