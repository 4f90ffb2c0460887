import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { type BodySink, type TarMember, memberPath, receiveTar, tarMembers } from '../../../src-main/sync/tar-ingest';
import { StreamHasher, decodeBlocks, encodeBlocks } from '../../../src-main/sync/tree-entries';
import { pseudoRandom, tempDir } from '../vault/helpers';

async function read(stream: Readable, slow = false): Promise<Array<Omit<TarMember, 'body'> & { sha: string; bytes: number }>> {
  const out = [];
  for await (const m of tarMembers(stream)) {
    const h = createHash('sha256');
    let bytes = 0;
    for await (const c of m.body) {
      h.update(c);
      bytes += c.length;
      if (slow) await new Promise((r) => setImmediate(r));
    }
    const { body: _body, ...rest } = m;
    out.push({ ...rest, sha: h.digest('hex').slice(0, 12), bytes });
  }
  return out;
}

/** The same through `receiveTar`; `slow` holds the source for a tick after every chunk. */
async function readPush(stream: Readable, slow = false, signal?: AbortSignal): Promise<{ members: Array<Omit<TarMember, 'body'> & { sha: string; bytes: number }>; failed: string[] }> {
  const members: Array<Omit<TarMember, 'body'> & { sha: string; bytes: number }> = [];
  const failed: string[] = [];
  await receiveTar(
    stream,
    (m, flow) => {
      const h = createHash('sha256');
      let bytes = 0;
      const sink: BodySink = {
        write: (c) => {
          h.update(c);
          bytes += c.length;
          if (slow) setImmediate(flow.hold());
        },
        end: () => members.push({ ...m, sha: h.digest('hex').slice(0, 12), bytes }),
        fail: () => failed.push(m.path),
      };
      return sink;
    },
    signal ? { signal } : {},
  ).catch((err: unknown) => {
    throw Object.assign(err as Error, { failed });
  });
  return { members, failed };
}

function pieces(data: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

describe('tar members from a stream', () => {
  const tmp = tempDir('lifeboat-tar-');
  afterAll(() => tmp.cleanup());
  const root = join(tmp.dir, 'src');
  mkdirSync(join(root, 'd/empty'), { recursive: true });
  const long = `${'x'.repeat(150)}/${'y'.repeat(120)}.txt`;
  mkdirSync(join(root, 'x'.repeat(150)));
  writeFileSync(join(root, long), 'long');
  writeFileSync(join(root, 'line\nbreak $(x)'), 'nl');
  writeFileSync(join(root, 'big'), pseudoRandom(3_000_000, 1));
  writeFileSync(join(root, 'zero'), '');
  linkSync(join(root, 'big'), join(root, 'hard'));
  symlinkSync('../outside', join(root, 'link'));
  const names = ['d', 'd/empty', 'x'.repeat(150), long, 'line\nbreak $(x)', 'big', 'zero', 'hard', 'link'];

  it('reads GNU tar output fed a NUL list: long names, newlines, hard links, symlinks, empty files and dirs', async () => {
    const tar = execFileSync('tar', ['-C', root, '--null', '--verbatim-files-from', '--no-recursion', '--numeric-owner', '-T', '-', '-cf', '-'], { input: names.map((n) => `${n}\0`).join(''), maxBuffer: 64 << 20 });
    for (const size of [tar.length, 777, 1]) {
      const got = await read(pieces(tar, size === 1 ? 512 : size));
      expect(got.map((m) => [m.path, m.type])).toEqual([
        ['d', 'dir'],
        ['d/empty', 'dir'],
        ['x'.repeat(150), 'dir'],
        [long, 'file'],
        ['line\nbreak $(x)', 'file'],
        ['big', 'file'],
        ['zero', 'file'],
        ['hard', 'hardlink'],
        ['link', 'symlink'],
      ]);
      expect(got.find((m) => m.path === 'big')).toMatchObject({ size: 3_000_000, bytes: 3_000_000, sha: createHash('sha256').update(pseudoRandom(3_000_000, 1)).digest('hex').slice(0, 12) });
      expect(got.find((m) => m.path === 'hard')).toMatchObject({ linkpath: 'big', bytes: 0 });
      expect(got.find((m) => m.path === 'link')).toMatchObject({ linkpath: '../outside' });
    }
  });

  it('receiveTar (push) reads the same members and bodies, whatever the piece size, also while held', async () => {
    const tar = execFileSync('tar', ['-C', root, '--null', '--verbatim-files-from', '--no-recursion', '--numeric-owner', '-T', '-', '-cf', '-'], { input: names.map((n) => `${n}\0`).join(''), maxBuffer: 64 << 20 });
    const expected = await read(pieces(tar, 65536));
    for (const size of [tar.length, 777, 512]) expect((await readPush(pieces(tar, size))).members).toEqual(expected);
    expect((await readPush(pieces(tar, 4096), true)).members).toEqual(expected);
  });

  it('receiveTar fails the open body and rejects on a truncated stream, and stops on abort', async () => {
    const tar = execFileSync('tar', ['-C', root, '-cf', '-', 'zero', 'big'], { maxBuffer: 64 << 20 });
    await expect(readPush(pieces(tar.subarray(0, 1_000_000), 65536))).rejects.toMatchObject({ code: 'corrupt', failed: ['big'] });
    const controller = new AbortController();
    const source = pieces(tar, 4096);
    source.once('data', () => controller.abort());
    await expect(readPush(source, false, controller.signal)).rejects.toMatchObject({ code: 'cancelled' });
    expect(source.destroyed).toBe(true);
  });

  it('keeps up with a slow consumer and lets it skip bodies', async () => {
    const tar = execFileSync('tar', ['-C', root, '-cf', '-', 'big', 'zero', 'd'], { maxBuffer: 64 << 20 });
    const slow = await read(pieces(tar, 65536), true);
    expect(slow.map((m) => m.bytes)).toEqual([3_000_000, 0, 0, 0]);
    const paths: string[] = [];
    for await (const m of tarMembers(pieces(tar, 65536))) paths.push(m.path); // bodies never read
    expect(paths).toEqual(['big', 'zero', 'd', 'd/empty']);
  });

  it('fails on a truncated stream instead of yielding a short file', async () => {
    const tar = execFileSync('tar', ['-C', root, '-cf', '-', 'big'], { maxBuffer: 64 << 20 });
    await expect(read(pieces(tar.subarray(0, 1_000_000), 65536))).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('stops on abort', async () => {
    const tar = execFileSync('tar', ['-C', root, '-cf', '-', 'big'], { maxBuffer: 64 << 20 });
    const controller = new AbortController();
    const run = (async () => {
      for await (const m of tarMembers(pieces(tar, 4096), controller.signal)) for await (const _c of m.body) controller.abort();
    })();
    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('refuses absolute and parent paths', () => {
    expect(memberPath('./a/b/')).toBe('a/b');
    expect(memberPath('.')).toBe('');
    for (const bad of ['/etc/passwd', 'a/../../x', '..', 'a//b']) expect(() => memberPath(bad)).toThrow(/suspicious/);
  });
});

describe('stream hashes', () => {
  it('match coreutils split --filter=sha256sum block for block, and round-trip through the stored form', () => {
    const tmp = tempDir('lifeboat-hash-');
    const data = pseudoRandom(300_000, 4);
    writeFileSync(join(tmp.dir, 'f'), data);
    const remote = execFileSync('sh', ['-c', `split -b 65536 --filter=sha256sum -- "$1" | cut -d' ' -f1`, 'sh', join(tmp.dir, 'f')], { encoding: 'utf8' }).trim().split('\n');
    const hasher = new StreamHasher(65536);
    for (let i = 0; i < data.length; i += 10_000) hasher.update(data.subarray(i, i + 10_000));
    const { sha256, blocks } = hasher.digest();
    expect(blocks).toEqual(remote);
    expect(sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(decodeBlocks(encodeBlocks(blocks))).toEqual(blocks);
    expect(encodeBlocks(blocks).length).toBe(Math.ceil((blocks.length * 32) / 3) * 4);
    tmp.cleanup();
  });
});
