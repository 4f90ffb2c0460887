import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { RemoteProcess } from '../../../src-main/hosts/remote-process';
import { type PullOptions, type PullPhase, pullTree } from '../../../src-main/sync/tree-pull';
import type { ShellAccess } from '../../../src-main/sync/access-ladder';
import type { ByteReader } from '../../../src-main/vault/ingest';
import type { FilesIngest } from '../../../src-main/vault/ingest-loop';
import type { ItemOptions } from '../../../src-main/vault/snapshot-writer';
import type { Vault } from '../../../src-main/vault/vault';
import { mutateScenario, seedScenario } from '../../helpers/tree-scenario';
import { diffViews, previousOf, serverView, vaultView } from '../../helpers/tree-view';
import { newVault, pseudoRandom, reopen, tempDir } from '../vault/helpers';
import { localAccess, runLocal } from './local-access';

const NAME = 'local/volume:data';

async function pull(vault: Vault, access: ShellAccess, options: PullOptions = {}, phase?: (p: PullPhase) => void) {
  const previous = await previousOf(vault, NAME);
  const writer = await vault.createSnapshot({ host: 'local' });
  const pulled = await pullTree(access, { snapshot: writer, vault, item: { name: NAME, kind: 'volume' }, ...(previous ? { previous } : {}), ...(phase ? { phase } : {}) }, options);
  const tree = writer.addTree({ name: NAME, kind: 'volume', info: {} });
  for (const e of pulled.entries) await tree.addEntry(e);
  await tree.close();
  return { snapshot: await writer.commit(), pulled };
}

async function expectEqual(vault: Vault, root: string, snapshot: Awaited<ReturnType<typeof pull>>['snapshot']) {
  expect(diffViews(serverView(root), await vaultView(vault, snapshot, NAME))).toEqual([]);
}

describe('tree pull (local shell as the server)', { timeout: 30_000 }, () => {
  const tmp = tempDir('lifeboat-pull-');
  afterAll(() => tmp.cleanup());
  let n = 0;
  const setup = async () => {
    const base = join(tmp.dir, `case${++n}`);
    const root = join(base, 'tree');
    mkdirSync(join(root, 'a'), { recursive: true });
    mkdirSync(join(root, 'empty'));
    const keys = await newVault(join(base, 'vault'));
    return { root, vault: await reopen(join(base, 'vault'), keys) };
  };

  it('pulls incrementally: only added and changed files travel; deletes, renames, chmods and relinks read back exactly', async () => {
    const { root, vault } = await setup();
    seedScenario(root);
    const first = await pull(vault, localAccess(root));
    await expectEqual(vault, root, first.snapshot);
    expect(first.pulled.stats).toMatchObject({ files: 6, reused: 0, fetched: 6 });

    const changed = mutateScenario(root);
    const second = await pull(vault, localAccess(root));
    await expectEqual(vault, root, second.snapshot);
    const s = second.pulled.stats;
    expect(s).toMatchObject({ files: 6, reused: 3, fetched: 3, fetchedBytes: changed });
    // The wire carries the (gzipped) listing, the tar list and the three files in tar framing
    // (512-byte headers and padding, the archive rounded up to GNU tar's 10 KiB record).
    expect(s.wireReceived).toBeLessThan(changed + 3 * 1024 + 10_240 + 4096);

    const third = await pull(vault, localAccess(root));
    expect(third.pulled.stats).toMatchObject({ reused: 6, fetched: 0, fetchedBytes: 0 });
    await expectEqual(vault, root, third.snapshot);
  });

  it('reuses files whose previous entry only has millisecond times (compares like with like)', async () => {
    const { root, vault } = await setup();
    writeFileSync(join(root, 'a/x'), 'x');
    execFileSync('touch', ['-d', '2024-01-01 00:00:00.123456789', join(root, 'a/x')]);
    const first = await pull(vault, localAccess(root));
    const entry = first.pulled.entries.find((e) => e.path === 'a/x');
    expect(entry).toMatchObject({ mtime: 1704067200123, mtimeNs: '1704067200123456789' });
    // Rewrite history: an older snapshot that kept only milliseconds.
    const writer = await vault.createSnapshot({ host: 'local' });
    const tree = writer.addTree({ name: NAME, kind: 'volume' });
    for (const e of first.pulled.entries) {
      const { mtimeNs: _drop, ...legacy } = e;
      await tree.addEntry(legacy);
    }
    await tree.close();
    await writer.commit();
    const second = await pull(vault, localAccess(root));
    expect(second.pulled.stats).toMatchObject({ reused: 1, fetched: 0 });
  });

  it('leaves out a file that vanished between the listing and the tar, with a warning', async () => {
    const { root, vault } = await setup();
    writeFileSync(join(root, 'a/stays'), 'stays');
    writeFileSync(join(root, 'a/goes'), 'goes');
    const { snapshot, pulled } = await pull(vault, localAccess(root), {}, (p) => p === 'transfer' && unlinkSync(join(root, 'a/goes')));
    expect(pulled.warnings).toEqual([expect.stringMatching(/^a\/goes: vanished/)]);
    // (the directory's mtime moved when the file was deleted, after the listing)
    expect(diffViews(serverView(root, { mtimes: false }), await vaultView(vault, snapshot, NAME, { mtimes: false }))).toEqual([]);
  });

  it('stores the content tar read when a file changed after the listing, and fetches it again next time', async () => {
    const { root, vault } = await setup();
    writeFileSync(join(root, 'a/log'), 'line 1\n');
    const first = await pull(vault, localAccess(root), {}, (p) => p === 'transfer' && appendFileSync(join(root, 'a/log'), 'line 2\n'));
    expect(first.pulled.warnings).toEqual([]);
    const back = await vaultView(vault, first.snapshot, NAME, { mtimes: false });
    expect(back.get('a/log')).toBe(serverView(root, { mtimes: false }).get('a/log'));
    const second = await pull(vault, localAccess(root));
    expect(second.pulled.stats).toMatchObject({ fetched: 1 });
    await expectEqual(vault, root, second.snapshot);
  });

  it('never stores zero padding from a file that shrank while tar read it', async () => {
    const { root, vault } = await setup();
    const file = join(root, 'a/shrinks');
    writeFileSync(file, pseudoRandom(100_000, 5));
    writeFileSync(join(root, 'a/other'), 'other');
    let shrinkRounds = 1;
    const shrinkingTar = (script: string, args: readonly string[], o: Parameters<typeof runLocal>[2]): RemoteProcess | undefined => {
      if (!script.includes('exec tar') || shrinkRounds === 0) return undefined;
      shrinkRounds--;
      const real = execFileSync('sh', ['-c', script, 'sh', ...args], { input: o?.stdin as Buffer });
      truncateSync(file, 10_000 + shrinkRounds * 1000);
      return { stdout: Readable.from([real]), done: Promise.resolve({ code: 0, stderr: 'tar: a/shrinks: File shrank by 60000 bytes; padding with zeros\n' }), kill: async () => undefined };
    };
    const once = await pull(vault, localAccess(root, { intercept: shrinkingTar }));
    expect(once.pulled.warnings).toEqual([]);
    await expectEqual(vault, root, once.snapshot);

    writeFileSync(file, pseudoRandom(100_000, 6));
    shrinkRounds = 3;
    const always = await pull(vault, localAccess(root, { intercept: shrinkingTar }));
    expect(always.pulled.warnings).toEqual([expect.stringMatching(/^a\/shrinks: kept shrinking/)]);
    expect(always.pulled.entries.map((e) => e.path)).not.toContain('a/shrinks');
    expect(always.pulled.entries.map((e) => e.path)).toContain('a/other');
  });

  it('fetches only changed blocks of a large file and rebuilds it exactly (zero blocks, growth, shrink)', async () => {
    const { root, vault } = await setup();
    const opts = { deltaThreshold: 1024 * 1024, blockSize: 64 * 1024 };
    const file = join(root, 'disk.img');
    const data = pseudoRandom(4 * 1024 * 1024, 9);
    data.fill(0, 1024 * 1024, 2 * 1024 * 1024); // sparse-looking: 16 identical zero blocks
    writeFileSync(file, data);
    const first = await pull(vault, localAccess(root), opts);
    expect(first.pulled.entries.find((e) => e.path === 'disk.img')?.blocks?.size).toBe(64 * 1024);

    // In place: 100 bytes in block 40; a zero block now holds data, and data becomes zeros.
    execFileSync('sh', ['-c', `printf 'changed!%.0s' $(seq 1 12) | dd of="$1" bs=1 seek=$((40*65536+7)) conv=notrunc status=none`, 'sh', file]);
    const changed = readFileSync(file);
    changed.fill(0, 3 * 1024 * 1024, 3 * 1024 * 1024 + 64 * 1024);
    writeFileSync(file, changed);
    const second = await pull(vault, localAccess(root), opts);
    await expectEqual(vault, root, second.snapshot);
    // block 40 fetched; the zeroed block 48 is served from an old zero block
    expect(second.pulled.stats).toMatchObject({ delta: 1, deltaBlocks: 64, deltaBlocksFetched: 1, fetched: 0 });
    expect(second.pulled.stats.wireReceived).toBeLessThan(64 * 1024 + 64 * 120 + 8192);

    appendFileSync(file, pseudoRandom(100_000, 10));
    const grown = await pull(vault, localAccess(root), opts);
    await expectEqual(vault, root, grown.snapshot);
    expect(grown.pulled.stats.deltaBlocksFetched).toBe(2);

    truncateSync(file, 3 * 1024 * 1024 + 1000);
    const shrunk = await pull(vault, localAccess(root), opts);
    await expectEqual(vault, root, shrunk.snapshot);
    expect(shrunk.pulled.stats.deltaBlocksFetched).toBe(1);
  });

  it('an edit in place stores again only the chunks around the changed blocks', async () => {
    const { root, vault } = await setup();
    const opts = { deltaThreshold: 1024 * 1024, blockSize: 64 * 1024 };
    const file = join(root, 'app.db');
    writeFileSync(file, pseudoRandom(6 * 1024 * 1024, 21));
    const first = await pull(vault, localAccess(root), opts);
    const before = first.pulled.entries.find((e) => e.path === 'app.db')?.chunks ?? [];
    expect(before.length).toBeGreaterThan(3);
    execFileSync('sh', ['-c', 'printf "page one" | dd of="$1" bs=1 seek=3000000 conv=notrunc status=none; printf "page two" | dd of="$1" bs=1 seek=3100000 conv=notrunc status=none', 'sh', file]);
    let ranges = '';
    const second = await pull(vault, localAccess(root, { onRun: (script) => script.includes('exec sh -s') && (ranges = script) }), opts);
    await expectEqual(vault, root, second.snapshot);
    expect(ranges).not.toBe('');
    expect(second.pulled.stats).toMatchObject({ delta: 1, deltaBlocksFetched: 2 });
    const after = second.pulled.entries.find((e) => e.path === 'app.db')?.chunks ?? [];
    // the first and last chunks are the previous version's, untouched
    expect(after[0]).toBe(before[0]);
    expect(after.at(-1)).toBe(before.at(-1));
    expect(after.filter((c) => !before.includes(c)).length).toBeLessThanOrEqual(3);
    // touched but identical: nothing travels, the old chunks stay
    execFileSync('touch', [file]);
    const third = await pull(vault, localAccess(root), opts);
    expect(third.pulled.stats).toMatchObject({ delta: 1, deltaBlocksFetched: 0 });
    expect(third.pulled.entries.find((e) => e.path === 'app.db')?.chunks).toEqual(after);
    await expectEqual(vault, root, third.snapshot);
  });

  it('computes the old block hashes from the vault when the previous entry has none', async () => {
    const { root, vault } = await setup();
    const file = join(root, 'db.sqlite');
    writeFileSync(file, pseudoRandom(2 * 1024 * 1024, 11));
    await pull(vault, localAccess(root), { deltaThreshold: 64 * 1024 * 1024 });
    execFileSync('sh', ['-c', `printf xyz | dd of="$1" bs=1 seek=1000000 conv=notrunc status=none`, 'sh', file]);
    const second = await pull(vault, localAccess(root), { deltaThreshold: 1024 * 1024, blockSize: 128 * 1024 });
    expect(second.pulled.stats).toMatchObject({ delta: 1, deltaBlocks: 16, deltaBlocksFetched: 1 });
    await expectEqual(vault, root, second.snapshot);
  });

  it('fetches a file whole when it changed between block hashing and the range fetch', async () => {
    const { root, vault } = await setup();
    const opts = { deltaThreshold: 1024 * 1024, blockSize: 64 * 1024 };
    const file = join(root, 'moving.bin');
    writeFileSync(file, pseudoRandom(2 * 1024 * 1024, 12));
    await pull(vault, localAccess(root), opts);
    execFileSync('sh', ['-c', `printf a | dd of="$1" bs=1 seek=5 conv=notrunc status=none`, 'sh', file]);
    const racing = localAccess(root, {
      onRun: (script) => {
        if (script.includes('exec sh -s')) execFileSync('sh', ['-c', `printf b | dd of="$1" bs=1 seek=1500000 conv=notrunc status=none`, 'sh', file]);
      },
    });
    const second = await pull(vault, racing, opts);
    expect(second.pulled.stats).toMatchObject({ delta: 0, fetched: 1 });
    // content as it is now; the stored mtime is the listing's, so the next pull fetches it again
    expect(diffViews(serverView(root, { mtimes: false }), await vaultView(vault, second.snapshot, NAME, { mtimes: false }))).toEqual([]);
    const third = await pull(vault, localAccess(root), opts);
    expect(third.pulled.stats).toMatchObject({ delta: 1, deltaBlocksFetched: 0 });
    await expectEqual(vault, root, third.snapshot);
  });

  it('without split/dd on the server, changed large files come whole in the tar', async () => {
    const { root, vault } = await setup();
    const tools = new Set(['gnufind', 'gnutar']);
    const file = join(root, 'big.bin');
    writeFileSync(file, pseudoRandom(2 * 1024 * 1024, 13));
    await pull(vault, localAccess(root, { tools }), { deltaThreshold: 1024 * 1024 });
    appendFileSync(file, 'more');
    const second = await pull(vault, localAccess(root, { tools }), { deltaThreshold: 1024 * 1024 });
    expect(second.pulled.stats).toMatchObject({ delta: 0, fetched: 1, fetchedBytes: 2 * 1024 * 1024 + 4 });
    await expectEqual(vault, root, second.snapshot);
  });

  it('a cancel while the tar source is held for backpressure rejects once the tar is killed, and leaves the vault usable', async () => {
    const { root, vault } = await setup();
    for (let i = 0; i < 8; i++) writeFileSync(join(root, `a/small${i}`), pseudoRandom(3 * 1024 * 1024, 100 + i));
    writeFileSync(join(root, 'big'), pseudoRandom(40 * 1024 * 1024, 99));
    const controller = new AbortController();
    let abortedWhileHeld = false;
    let killed = false;
    // The real tar, cancelled the first time the pull holds it (a file waiting for room in the
    // vault, or a large body queued past its limit): the abort lands once the current call
    // stack is done, like a click would, with the source still paused.
    const heldTar = (script: string, args: readonly string[], o: Parameters<typeof runLocal>[2]): RemoteProcess | undefined => {
      if (!script.includes('exec tar')) return undefined;
      const real = runLocal(script, args, o);
      const { stdout } = real;
      const pause = stdout.pause.bind(stdout);
      stdout.pause = () => {
        queueMicrotask(() => {
          if (controller.signal.aborted) return;
          abortedWhileHeld = stdout.isPaused();
          controller.abort();
        });
        return pause();
      };
      return {
        stdout,
        done: real.done,
        kill: async () => {
          await real.kill();
          await real.done;
          killed = true;
        },
      };
    };
    const writer = await vault.createSnapshot({ host: 'local' });
    const item = { name: NAME, kind: 'volume', signal: controller.signal } as const;
    await expect(pullTree(localAccess(root, { intercept: heldTar }), { snapshot: writer, vault, item, signal: controller.signal })).rejects.toMatchObject({ code: 'cancelled' });
    expect(abortedWhileHeld).toBe(true);
    expect(killed).toBe(true);
    await writer.abort();
    // Nothing left waiting or held (segments, the ingest loop): the next pull stores it all.
    const after = await pull(vault, localAccess(root));
    await expectEqual(vault, root, after.snapshot);
  });

  it('a vault failure in the middle of a large file fails the pull at once (the held source is not left paused)', async () => {
    const { root, vault } = await setup();
    writeFileSync(join(root, 'big'), pseudoRandom(60 * 1024 * 1024, 9));
    const writer = await vault.createSnapshot({ host: 'local' });
    // The vault gives up 2 MiB into the file, while the tar keeps sending: the body queues past
    // its limit and the source is held — a hold nobody would ever release.
    const failing = new Proxy(writer, {
      get(target, prop) {
        if (prop !== 'ingestFiles') return (Reflect.get(target, prop) as () => unknown).bind(target);
        return (item: ItemOptions): FilesIngest => {
          const files = target.ingestFiles(item);
          return {
            ...files,
            add: (source, onChunk) => {
              let read = 0;
              const reader: ByteReader = {
                readInto: async (buf, offset, length) => {
                  if (read > 2 * 1024 * 1024) throw new Error('disk full (test)');
                  const n = await (source as ByteReader).readInto(buf, offset, length);
                  read += n;
                  return n;
                },
              };
              return files.add(reader, onChunk);
            },
          };
        };
      },
    });
    await expect(pullTree(localAccess(root), { snapshot: failing, vault, item: { name: NAME, kind: 'volume' } })).rejects.toThrow('disk full (test)');
    await writer.abort();
    const after = await pull(vault, localAccess(root));
    await expectEqual(vault, root, after.snapshot);
  });

  it('fails with not-found when the root is gone', async () => {
    const { vault } = await setup();
    const writer = await vault.createSnapshot({ host: 'local' });
    await expect(pullTree(localAccess(join(tmp.dir, 'nope')), { snapshot: writer, vault, item: { name: NAME, kind: 'volume' } })).rejects.toMatchObject({ code: 'not-found' });
    await writer.abort();
    rmSync(join(tmp.dir, 'nope'), { force: true, recursive: true });
  });
});
