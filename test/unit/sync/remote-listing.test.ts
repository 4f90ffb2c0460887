import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ListingParser, listingArgv, secondsToNs } from '../../../src-main/sync/remote-listing';

function makeTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-listing-'));
  mkdirSync(join(root, 'sub dir/empty'), { recursive: true });
  writeFileSync(join(root, 'sub dir', 'café ☕.txt'), 'hello');
  writeFileSync(join(root, 'line\nbreak'), 'x');
  writeFileSync(join(root, '$(touch PWNED)'), '');
  symlinkSync('../elsewhere', join(root, 'link'));
  chmodSync(join(root, 'sub dir', 'café ☕.txt'), 0o640);
  utimesSync(join(root, 'sub dir', 'café ☕.txt'), 1_700_000_000.5, 1_700_000_000.25);
  return root;
}

describe('remote listing', () => {
  it('parses real GNU find output, whatever the file names', () => {
    const root = makeTree();
    const [cmd, ...args] = listingArgv();
    const out = execFileSync(cmd as string, args, { cwd: root });
    const parser = new ListingParser();
    const entries = [...out].length > 0 ? parser.push(out) : [];
    parser.end();
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect([...byPath.keys()].sort()).toEqual(['$(touch PWNED)', 'line\nbreak', 'link', 'sub dir', 'sub dir/café ☕.txt', 'sub dir/empty'].sort());
    expect(byPath.get('sub dir/café ☕.txt')).toMatchObject({ type: 'file', size: 5, mode: 0o640, mtimeNs: '1700000000250000000', uid: statSync(root).uid });
    expect(byPath.get('link')).toMatchObject({ type: 'symlink', linkTarget: '../elsewhere' });
    expect(byPath.get('sub dir/empty')?.type).toBe('dir');
    expect(parser.root).toMatchObject({ path: '', type: 'dir', mode: statSync(root).mode & 0o7777 });
  });

  it('accepts the stream in arbitrary pieces, down to single bytes', () => {
    const root = makeTree();
    const [cmd, ...args] = listingArgv();
    const out = execFileSync(cmd as string, args, { cwd: root });
    const whole = new ListingParser().push(out);
    const parser = new ListingParser();
    const pieces = [];
    for (let i = 0; i < out.length; i++) pieces.push(...parser.push(out.subarray(i, i + 1)));
    parser.end();
    expect(pieces).toEqual(whole);
  });

  it('detects a listing cut off mid-record', () => {
    const parser = new ListingParser();
    parser.push(Buffer.from('f\0./a\0'));
    expect(() => parser.end()).toThrow(/middle of a record/);
  });

  it('refuses paths that climb out of the tree', () => {
    const parser = new ListingParser();
    expect(() => parser.push(Buffer.from('f\0./../etc/passwd\x001\x001.0\x00644\x000\x000\0\0'))).toThrow(/suspicious/);
  });

  it('converts mtimes exactly', () => {
    expect(secondsToNs('1700000000.1234567890')).toBe('1700000000123456789');
    expect(secondsToNs('5')).toBe('5000000000');
    expect(() => secondsToNs('x')).toThrow();
  });
});
