import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync, chmodSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Header, Pax } from 'tar';
import { describe, expect, it } from 'vitest';
import { safeExtract } from '../../../src-main/restore/safe-extract';

interface FakeEntry {
  path: string;
  type?: string;
  body?: string;
  linkpath?: string;
  size?: number;
  mode?: number;
}

/** Builds a raw tar stream entry by entry, without any of a packer's sanitising. */
function rawTar(entries: FakeEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const fields = { path: e.path, type: (e.type ?? 'File') as Header['type'], size: e.size ?? body.length, mode: e.mode ?? 0o644, mtime: new Date(1_700_000_000_000), uid: 0, gid: 0, linkpath: e.linkpath ?? '' };
    if (e.path.length > 99 || (e.linkpath ?? '').length > 99) blocks.push(new Pax({ path: e.path, linkpath: e.linkpath ?? '' } as never).encode());
    const header = new Header(fields as never);
    header.encode();
    blocks.push(header.block as Buffer);
    if (body.length > 0) blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function sandbox() {
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-extract-'));
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'sentinel'), 'untouched');
  return { root, outside, staging: join(root, 'work', 'staging') };
}

function treeOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

const malicious: Array<[string, FakeEntry[]]> = [
  ['dot-dot path', [{ path: '../outside/evil', body: 'x' }]],
  ['dot-dot in the middle', [{ path: 'a/../../outside/evil', body: 'x' }]],
  ['absolute path', [{ path: '/tmp/lifeboat-abs-evil', body: 'x' }]],
  ['symlink escaping, then a file through it', [{ path: 'link', type: 'SymbolicLink', linkpath: '../../outside' }, { path: 'link/evil', body: 'x' }]],
  ['symlink to an absolute path', [{ path: 'etc', type: 'SymbolicLink', linkpath: '/etc' }]],
  ['inner symlink, then a file through it', [{ path: 'sub/', type: 'Directory' }, { path: 'inner', type: 'SymbolicLink', linkpath: 'sub' }, { path: 'inner/evil', body: 'x' }]],
  ['hard link escaping', [{ path: 'h', type: 'Link', linkpath: '../outside/sentinel' }]],
  ['hard link to an absolute path', [{ path: 'h', type: 'Link', linkpath: '/etc/passwd' }]],
  ['hard link to something not unpacked', [{ path: 'h', type: 'Link', linkpath: 'nope' }]],
  ['deep nesting', [{ path: `${'d/'.repeat(200)}f`, body: 'x' }]],
  ['character device', [{ path: 'null', type: 'CharacterDevice' }]],
  ['fifo', [{ path: 'pipe', type: 'FIFO' }]],
  ['duplicate entry overwriting an earlier file', [{ path: 'a', body: 'first' }, { path: 'a', body: 'second' }]],
  ['backslash path', [{ path: '..\\outside\\evil', body: 'x' }]],
];

describe('safe extraction', () => {
  it.each(malicious)('refuses %s and writes nothing outside, leaving no staging behind', async (_name, entries) => {
    const { root, outside, staging } = sandbox();
    const before = treeOf(root);
    await expect(safeExtract(Readable.from([rawTar(entries)]), staging)).rejects.toMatchObject({ code: 'corrupt', message: expect.stringContaining('refused archive entry') });
    expect(existsSync(staging)).toBe(false);
    expect(readFileSync(join(outside, 'sentinel'), 'utf8')).toBe('untouched');
    expect(treeOf(root)).toEqual(before.concat(['work']).sort());
    expect(existsSync('/tmp/lifeboat-abs-evil')).toBe(false);
  });

  it('refuses entries over the size limit', async () => {
    const { staging } = sandbox();
    await expect(safeExtract(Readable.from([rawTar([{ path: 'big', body: 'x'.repeat(2000) }])]), staging, { limits: { maxEntrySize: 1000 } })).rejects.toThrow(/exceeds/);
  });

  it('refuses to unpack into an existing directory', async () => {
    const { root } = sandbox();
    await expect(safeExtract(Readable.from([rawTar([])]), join(root, 'outside'))).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses a truncated archive', async () => {
    const { staging } = sandbox();
    const whole = rawTar([{ path: 'f', body: 'y'.repeat(5000) }]);
    await expect(safeExtract(Readable.from([whole.subarray(0, 2048)]), staging)).rejects.toThrow();
    expect(existsSync(staging)).toBe(false);
  });

  it('unpacks a real tar with modes, mtimes, symlinks, hard links and empty dirs intact', async () => {
    const { root, staging } = sandbox();
    const src = join(root, 'src');
    mkdirSync(join(src, 'docs', 'empty'), { recursive: true });
    writeFileSync(join(src, 'docs', "it's $(x).txt"), 'hello');
    chmodSync(join(src, 'docs', "it's $(x).txt"), 0o640);
    utimesSync(join(src, 'docs', "it's $(x).txt"), 1_600_000_000, 1_600_000_000);
    symlinkSync("it's $(x).txt", join(src, 'docs', 'link'));
    execFileSync('ln', [join(src, 'docs', "it's $(x).txt"), join(src, 'hard')]);
    const archive = execFileSync('tar', ['-C', src, '-cf', '-', '.']);
    const report = await safeExtract(Readable.from([archive]), staging);
    expect(report).toMatchObject({ files: 1, symlinks: 1, hardlinks: 1 });
    const file = join(staging, 'docs', "it's $(x).txt");
    expect(readFileSync(file, 'utf8')).toBe('hello');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(statSync(file).mtimeMs).toBe(1_600_000_000_000);
    expect(readlinkSync(join(staging, 'docs', 'link'))).toBe("it's $(x).txt");
    expect(lstatSync(join(staging, 'docs', 'empty')).isDirectory()).toBe(true);
    expect(statSync(join(staging, 'hard')).ino).toBe(statSync(file).ino);
  });
});
