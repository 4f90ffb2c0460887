import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeExtract } from '../../../src-main/restore/safe-extract';
import { tarHeader } from '../../../src-main/restore/tar-writer';
import { type TreeSource, type TreeTarReport, emptyTarReport, lentTreeTar, plannedEntries, treeTar, treeTarFromVault } from '../../../src-main/restore/tree-tar';
import type { Snapshot, TreeEntry } from '../../../src-main/vault/snapshots';
import type { Vault } from '../../../src-main/vault/vault';
import { newVault, pseudoRandom, reopen, tempDir } from '../vault/helpers';

const t0 = Date.UTC(2024, 0, 1);
const longName = `${'n'.repeat(150)}/${'é'.repeat(60)}.txt`;

async function* bytes(...parts: Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}

/** A tree with everything a volume has: hostile names, long paths, links, an empty dir, a 3 MiB file. */
async function buildTree(vault: Vault): Promise<Snapshot> {
  const writer = await vault.createSnapshot({ host: 'lab' });
  const tree = writer.addTree({ name: 'wiki/volume:wiki_uploads', kind: 'volume', info: { volume: 'wiki_uploads' } });
  const base = { uid: 33, gid: 33, mtime: t0 };
  await tree.addEntry({ ...base, path: 'docs', type: 'dir', mode: 0o755, size: 0 });
  await tree.addFile({ ...base, path: 'docs/café ☕.txt', mode: 0o644 }, bytes(Buffer.from('coffee\n')));
  await tree.addFile({ ...base, path: "docs/$(touch pwned) it's.txt", mode: 0o600, mtime: t0 + 123 }, bytes(Buffer.from('no shell here\n')));
  await tree.addEntry({ ...base, path: 'empty', type: 'dir', mode: 0o700, size: 0 });
  await tree.addEntry({ ...base, path: 'n'.repeat(150), type: 'dir', mode: 0o755, size: 0 });
  await tree.addFile({ ...base, path: longName, mode: 0o640 }, bytes(Buffer.from('long\n')));
  await tree.addFile({ ...base, path: 'big.bin', mode: 0o644, mtimeNs: `${t0 / 1000}123456789` }, bytes(pseudoRandom(3 * 1024 * 1024, 5)));
  await tree.addFile({ ...base, path: 'zero', mode: 0o644 }, bytes());
  await tree.addEntry({ ...base, path: 'rel-link', type: 'symlink', mode: 0o777, size: 0, link: 'docs/café ☕.txt' });
  await tree.addEntry({ ...base, path: 'hosts-link', type: 'symlink', mode: 0o777, size: 0, link: '/etc/hosts' });
  await tree.addEntry({ ...base, path: 'fifo', type: 'other', mode: 0o644, size: 0 });
  await tree.close();
  return writer.commit();
}

function gnuExtract(archive: Buffer, dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-x', '-f', '-', '-C', dir, '--numeric-owner', '--same-owner', '--same-permissions', '--delay-directory-restore', '--keep-old-files'], { input: archive });
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('treeTar', () => {
  const tmp = tempDir('lifeboat-treetar-');
  let vault: Vault;
  let snap: Snapshot;
  beforeAll(async () => {
    const keys = await newVault(join(tmp.dir, 'vault'));
    vault = await reopen(join(tmp.dir, 'vault'), keys, { workers: 0 });
    snap = await buildTree(vault);
  });
  afterAll(async () => {
    await vault.close();
    tmp.cleanup();
  });

  it('builds an archive GNU tar unpacks exactly (names, modes, owners, ns times, links)', async () => {
    const report = emptyTarReport();
    const archive = await collect(treeTarFromVault(vault, snap, snap.items[0]!, { outsideLinks: 'keep' }, report));
    const out = join(tmp.dir, 'gnu');
    gnuExtract(archive, out);
    expect(readFileSync(join(out, 'docs/café ☕.txt'), 'utf8')).toBe('coffee\n');
    expect(readFileSync(join(out, "docs/$(touch pwned) it's.txt"), 'utf8')).toBe('no shell here\n');
    expect(readFileSync(join(out, longName), 'utf8')).toBe('long\n');
    expect(readFileSync(join(out, 'big.bin')).equals(pseudoRandom(3 * 1024 * 1024, 5))).toBe(true);
    expect(lstatSync(join(out, 'zero')).size).toBe(0);
    expect(readlinkSync(join(out, 'hosts-link'))).toBe('/etc/hosts');
    expect(readlinkSync(join(out, 'rel-link'))).toBe('docs/café ☕.txt');
    const secret = lstatSync(join(out, "docs/$(touch pwned) it's.txt"), { bigint: true });
    expect(Number(secret.mode & 0o7777n)).toBe(0o600);
    expect([secret.uid, secret.gid]).toEqual([33n, 33n]);
    expect(secret.mtimeNs).toBe(BigInt(t0 + 123) * 1_000_000n);
    expect(lstatSync(join(out, 'big.bin'), { bigint: true }).mtimeNs).toBe(BigInt(`${t0 / 1000}123456789`));
    expect(Number(lstatSync(join(out, 'empty')).mode & 0o7777)).toBe(0o700);
    expect(readdirSync(out)).not.toContain('fifo');
    expect(report).toMatchObject({ files: 5, dirs: 3, symlinks: 2, outsideLinks: 1 });
    expect(report.warnings.join()).toContain('fifo');
  });

  it('for this machine, skips links that leave the folder and unpacks through safe-extract', async () => {
    const report = emptyTarReport();
    const stream = treeTarFromVault(vault, snap, snap.items[0]!, { outsideLinks: 'skip' }, report);
    const staging = join(tmp.dir, 'local', 'staging');
    const r = await safeExtract(stream, staging);
    expect(r.symlinks).toBe(1);
    expect(readdirSync(staging)).not.toContain('hosts-link');
    expect(report.warnings.join()).toContain('hosts-link');
  });

  it('the lent archive (vault read into a shared ring on workers) is byte for byte the owned one', async () => {
    const owned = await collect(treeTarFromVault(vault, snap, snap.items[0]!, { outsideLinks: 'keep' }, emptyTarReport()));
    const report = emptyTarReport();
    const parts: Buffer[] = [];
    // Copy each chunk before asking for the next: that is the contract of a lent archive.
    for await (const chunk of lentTreeTar(vault, snap, snap.items[0]!, { outsideLinks: 'keep' }, report)) parts.push(Buffer.from(chunk));
    expect(Buffer.concat(parts).equals(owned)).toBe(true);
    expect(report).toMatchObject({ files: 5, dirs: 3, symlinks: 2 });
  });

  it('a lent archive stops at a damaged blob (the tag is checked on the worker)', async () => {
    const dir = join(tmp.dir, 'damaged');
    const keys = await newVault(dir);
    const v = await reopen(dir, keys);
    try {
      const s = await buildTree(v);
      // The data packs (each crypto worker fills its own): one flipped bit in the middle of each.
      const packs = execFileSync('find', [join(dir, 'data'), '-type', 'f', '-size', '+1M'], { encoding: 'utf8' }).trim().split('\n');
      expect(packs.length).toBeGreaterThanOrEqual(1);
      for (const pack of packs) {
        const bytes = readFileSync(pack);
        const at = Math.floor(bytes.length / 2);
        bytes[at] = (bytes[at] as number) ^ 1;
        writeFileSync(pack, bytes);
      }
      const drain = async () => {
        for await (const chunk of lentTreeTar(v, s, s.items[0]!, { outsideLinks: 'keep' }, emptyTarReport())) void chunk;
      };
      await expect(drain()).rejects.toThrow(/authentication failed|does not match its id/);
    } finally {
      await v.close();
    }
  });

  it('a subtree is re-rooted at its own name; a missing one is not-found', async () => {
    const report = emptyTarReport();
    const out = join(tmp.dir, 'sub');
    gnuExtract(await collect(treeTarFromVault(vault, snap, snap.items[0]!, { outsideLinks: 'keep', subtree: 'docs' }, report)), out);
    expect(readdirSync(out)).toEqual(['docs']);
    expect(readdirSync(join(out, 'docs')).sort()).toEqual(["$(touch pwned) it's.txt", 'café ☕.txt']);
    const one = join(tmp.dir, 'one');
    gnuExtract(await collect(treeTarFromVault(vault, snap, snap.items[0]!, { outsideLinks: 'keep', subtree: 'docs/café ☕.txt' }, emptyTarReport())), one);
    expect(readdirSync(one)).toEqual(['café ☕.txt']);
    await expect(collect(treeTarFromVault(vault, snap, snap.items[0]!, { outsideLinks: 'keep', subtree: 'nope' }, emptyTarReport()))).rejects.toThrow(/no file or folder "nope"/);
    const planned = await plannedEntries(vault, snap, snap.items[0]!, { outsideLinks: 'keep', subtree: 'docs' });
    expect(planned.entries.map((e) => e.outPath)).toEqual(['docs', 'docs/café ☕.txt', "docs/$(touch pwned) it's.txt"]);
  });
});

function fakeSource(entries: TreeEntry[], body: (e: TreeEntry) => Buffer[] = (e) => [Buffer.alloc(e.size)]): TreeSource {
  return {
    async *entries() {
      yield* entries;
    },
    pieces: (e) => body(e).map((b) => ({ length: b.length, read: async () => b })),
  };
}

async function drain(source: TreeSource, outsideLinks: 'keep' | 'skip' = 'keep'): Promise<{ archive: Buffer; report: TreeTarReport }> {
  const report = emptyTarReport();
  const parts: Buffer[] = [];
  for await (const b of treeTar(source, { outsideLinks }, report)) parts.push(b);
  return { archive: Buffer.concat(parts), report };
}

const e = (path: string, type: TreeEntry['type'], extra: Partial<TreeEntry> = {}): TreeEntry => ({ path, type, mode: 0o644, uid: 0, gid: 0, mtime: t0, size: 0, ...extra });

describe('treeTar refuses hand-crafted trees before writing anything', () => {
  const cases: Array<[string, TreeEntry[]]> = [
    ['dot-dot', [e('../evil', 'file', { size: 1 })]],
    ['dot-dot inside', [e('a/../../evil', 'file', { size: 1 })]],
    ['absolute', [e('/etc/evil', 'file', { size: 1 })]],
    ['empty part', [e('a//b', 'file', { size: 1 })]],
    ['symlink then a file through it', [e('link', 'symlink', { link: '/etc' }), e('link/passwd', 'file', { size: 1 })]],
    ['relative symlink then a dir through it', [e('d', 'dir'), e('l', 'symlink', { link: 'd' }), e('l/x', 'dir')]],
    ['file then a child', [e('f', 'file', { size: 1 }), e('f/x', 'file', { size: 1 })]],
    ['duplicate', [e('a', 'file', { size: 1 }), e('a', 'file', { size: 1 })]],
    ['a link replacing a directory already used', [e('d/x', 'file', { size: 1 }), e('d', 'symlink', { link: '/' })]],
    ['NUL', [e('a\0b', 'file', { size: 1 })]],
    ['deep nesting', [e(`${'d/'.repeat(200)}f`, 'file', { size: 1 })]],
    ['oversized', [e('huge', 'file', { size: 2 ** 41 })]],
  ];
  for (const [name, entries] of cases) {
    it(name, async () => {
      await expect(drain(fakeSource(entries))).rejects.toThrow(/unsafe entry|refused/);
    });
  }

  it('a file whose content is shorter or longer than its size stops the archive', async () => {
    await expect(drain(fakeSource([e('a', 'file', { size: 10 })], () => [Buffer.alloc(5)]))).rejects.toThrow(/fewer bytes/);
    await expect(drain(fakeSource([e('a', 'file', { size: 10 })], () => [Buffer.alloc(11)]))).rejects.toThrow(/more bytes/);
  });

  it('escaping links are kept for servers and skipped for this machine', async () => {
    const tree = [e('up', 'symlink', { link: '../../etc' }), e('ok', 'symlink', { link: 'x/../y' })];
    expect((await drain(fakeSource(tree), 'keep')).report).toMatchObject({ symlinks: 2, outsideLinks: 1 });
    expect((await drain(fakeSource(tree), 'skip')).report).toMatchObject({ symlinks: 1, outsideLinks: 0 });
  });
});

describe('tarHeader', () => {
  it('checksums and pax records parse with GNU tar', () => {
    const dir = tempDir('lifeboat-tarhdr-');
    try {
      const name = `dir with spaces/${'x'.repeat(120)}`;
      const blocks = [tarHeader({ path: 'dir with spaces', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeMs: t0, size: 0 }), tarHeader({ path: name, type: 'file', mode: 0o4755, uid: 3_000_000, gid: 5, mtimeMs: t0 + 1, size: 3 }), Buffer.from('abc'), Buffer.alloc(509), Buffer.alloc(1024)];
      writeFileSync(join(dir.dir, 'a.tar'), Buffer.concat(blocks));
      const listing = execFileSync('tar', ['-tvf', join(dir.dir, 'a.tar'), '--numeric-owner', '--full-time'], { encoding: 'utf8' });
      expect(listing).toContain(name);
      expect(listing).toContain('3000000/5');
      expect(listing).toContain('-rwsr-xr-x');
    } finally {
      dir.cleanup();
    }
  });
});
