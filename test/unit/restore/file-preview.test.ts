import { describe, expect, it } from 'vitest';
import { modeString, printableName } from '../../../src-main/api/tree-format';
import { planFiles, planPreview } from '../../../src-main/restore/file-preview';
import { verifyListing } from '../../../src-main/restore/in-place';
import { parseScratchListing } from '../../../src-main/restore/volume-drill';
import type { ListedEntry } from '../../../src-main/sync/remote-listing';
import type { TreeEntry } from '../../../src-main/vault/snapshots';

const t = Date.UTC(2024, 0, 1);
const entry = (path: string, extra: Partial<TreeEntry> = {}): TreeEntry => ({ path, type: 'file', mode: 0o644, uid: 33, gid: 33, mtime: t, size: 10, ...extra });
const live = (path: string, extra: Partial<ListedEntry> = {}): ListedEntry => ({ path, type: 'file', size: 10, mtimeNs: `${BigInt(t) * 1_000_000n}`, mode: 0o644, uid: 33, gid: 33, ...extra });

describe('planFiles', () => {
  const planned = [entry('same'), entry('bigger'), entry('chmod'), entry('new', { size: 5 }), entry('d', { type: 'dir', size: 0 }), entry('l', { type: 'symlink', size: 0, link: 'same' })];
  const now = [live('same'), live('bigger', { size: 99 }), live('chmod', { mode: 0o600 }), live('d', { type: 'dir', size: 4096, mtimeNs: '1' }), live('l', { type: 'symlink', size: 4, linkTarget: 'other' }), live('extra', { size: 7 })];

  it('counts creates, overwrites, differences and (when replacing) deletes with their bytes', () => {
    const plan = planFiles(planned.map((e) => ({ outPath: e.path, entry: e })), now, true);
    expect(plan.create).toEqual({ count: 1, bytes: 5 });
    expect(plan.overwrite.count).toBe(5);
    expect(plan.differences.map((d) => d.path)).toEqual(['bigger', 'chmod', 'l']);
    expect(plan.delete).toEqual({ count: 1, bytes: 7 });
    expect(plan.differences[1]?.live).toContain('0600');
    const preview = planPreview(plan, 'volume x');
    expect(preview.summary).toBe('volume x: 1 to create (5 B); 5 to overwrite (30 B), 3 of them differ from live; 1 to delete (7 B)');
    expect(preview.details.every((d) => d.differs)).toBe(true);
  });

  it('never deletes when not replacing, and directory times do not count as a difference', () => {
    const plan = planFiles(planned.map((e) => ({ outPath: e.path, entry: e })), now, false);
    expect(plan.delete.count).toBe(0);
    expect(plan.differences.map((d) => d.path)).not.toContain('d');
  });
});

describe('verifyListing', () => {
  const expected = [{ outPath: 'a/b', entry: { type: 'file', size: 3 } }];
  it('accepts exactly the snapshot (implicit parents included) and names what is wrong', () => {
    expect(verifyListing(expected, [live('a', { type: 'dir' }), live('a/b', { size: 3 })])).toBeUndefined();
    expect(verifyListing(expected, [live('a', { type: 'dir' })])).toMatch(/"a\/b" is missing/);
    expect(verifyListing(expected, [live('a', { type: 'dir' }), live('a/b', { size: 4 })])).toMatch(/not what the snapshot holds/);
    expect(verifyListing(expected, [live('a', { type: 'dir' }), live('a/b', { size: 3 }), live('junk')])).toMatch(/1 unexpected/);
  });
});

describe('parseScratchListing', () => {
  it('reads busybox stat records with any name, links and hashes', () => {
    const out = Buffer.from(['81a4 33 33 10 1704067200\nabc\n./we\nird name\0\0', 'a1ff 0 0 10 1704067200\n-\n./link\0/etc/hosts\0', '41ed 0 0 4096 1\n-\n./d\0\0'].join(''));
    expect(parseScratchListing(out)).toEqual([
      { path: 'we\nird name', type: 'file', mode: 0o644, uid: 33, gid: 33, size: 10, mtimeSec: 1704067200, sha256: 'abc' },
      { path: 'link', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 10, mtimeSec: 1704067200, link: '/etc/hosts' },
      { path: 'd', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 4096, mtimeSec: 1 },
    ]);
    expect(() => parseScratchListing(Buffer.from('81a4 0 0 1 1\n-\n./cut'))).toThrow(/middle of a record/);
  });
});

describe('tree-format', () => {
  it('prints modes like ls -l and names without control characters', () => {
    expect(modeString('dir', 0o755)).toBe('drwxr-xr-x');
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('file', 0o1644)).toBe('-rw-r--r-T');
    expect(modeString('symlink', 0o777)).toBe('lrwxrwxrwx');
    expect(printableName('a\nb\u007f')).toBe('a\\x0ab\\x7f');
  });
});
