import { describe, expect, it } from 'vitest';
import { planPull, sameMtime } from '../../../src-main/sync/quick-check';
import type { ListedEntry } from '../../../src-main/sync/remote-listing';

const file = (path: string, size: number, mtimeNs = '1', mode = 0o644): ListedEntry => ({ path, type: 'file', size, mtimeNs, mode, uid: 0, gid: 0 });

describe('quick check', () => {
  it('reuses unchanged files, fetches new and changed ones, and notes deletions', () => {
    const previous = [file('same', 10), file('changed-size', 10), file('changed-time', 10, '1'), file('gone', 5), file('chmod', 3)];
    const current = [
      file('same', 10),
      file('changed-size', 11),
      file('changed-time', 10, '2'),
      file('new', 7),
      file('chmod', 3, '1', 0o600),
      { path: 'dir', type: 'dir', size: 4096, mtimeNs: '1', mode: 0o755, uid: 0, gid: 0 } as ListedEntry,
    ];
    const plan = planPull(current, previous);
    expect(plan.reuse.map((e) => e.path).sort()).toEqual(['chmod', 'same']);
    expect(plan.reuse.find((e) => e.path === 'chmod')?.mode).toBe(0o600);
    expect(plan.fetch.map((e) => e.path).sort()).toEqual(['changed-size', 'changed-time', 'new']);
    expect(plan.metadataOnly.map((e) => e.path)).toEqual(['dir']);
    expect(plan.deleted).toEqual(['gone']);
    expect(plan.bytesToFetch).toBe(11 + 10 + 7);
  });

  it('sends large changed files to the block delta and fetches everything on a first pull', () => {
    const big = 64 * 1024 * 1024;
    const plan = planPull([file('db.sqlite', big, '2'), file('small', 1, '2')], [file('db.sqlite', big, '1'), file('small', 1, '1')]);
    expect(plan.delta.map((d) => d.current.path)).toEqual(['db.sqlite']);
    expect(plan.fetch.map((e) => e.path)).toEqual(['small']);
    const first = planPull([file('db.sqlite', big)], []);
    expect(first.fetch.map((e) => e.path)).toEqual(['db.sqlite']);
    expect(first.delta).toEqual([]);
  });

  it('treats a type change as new content', () => {
    const plan = planPull([file('x', 3)], [{ path: 'x', type: 'symlink', size: 3, mtimeNs: '1', mode: 0o777, uid: 0, gid: 0, linkTarget: 'y' }]);
    expect(plan.fetch.map((e) => e.path)).toEqual(['x']);
  });

  it('compares mtimes at the stored precision: exact nanoseconds, or whole milliseconds for older entries', () => {
    const listed = file('a', 1, '1700000000123456789');
    expect(sameMtime(file('a', 1, '1700000000123456789'), listed)).toBe(true);
    expect(sameMtime(file('a', 1, '1700000000123456788'), listed)).toBe(false);
    expect(sameMtime({ ...file('a', 1, '1700000000123000000'), mtimePrecision: 'ms' }, listed)).toBe(true);
    expect(sameMtime({ ...file('a', 1, '1700000000124000000'), mtimePrecision: 'ms' }, listed)).toBe(false);
    const plan = planPull([listed], [{ ...file('a', 1, '1700000000123000000'), mtimePrecision: 'ms' }]);
    expect(plan.reuse.map((e) => e.path)).toEqual(['a']);
  });
});
