import { cpSync, readFileSync, readdirSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkVault } from '../../../src-main/vault/check';
import type { Snapshot } from '../../../src-main/vault/snapshots';
import { type VaultKeys, openVault } from '../../../src-main/vault/vault';
import { PASS, backupBuffer, collect, newVault, pseudoRandom, reopen, tempDir, textLike } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** Every object file of a vault (relative paths), packs first. */
function objectFiles(dir: string): string[] {
  const out: string[] = [];
  for (const sub of readdirSync(join(dir, 'data'))) for (const f of readdirSync(join(dir, 'data', sub))) out.push(`data/${sub}/${f}`);
  for (const d of ['index', 'snapshots']) for (const f of readdirSync(join(dir, d))) out.push(`${d}/${f}`);
  return out;
}

describe('damage is detected, named, and never turns into wrong bytes', () => {
  const tmp = tempDir();
  const pristine = `${tmp.dir}/pristine`;
  let keys: VaultKeys;
  const contents = new Map<string, Buffer>();
  let snapshots: Snapshot[] = [];
  let trial = 0;

  beforeAll(async () => {
    keys = await newVault(pristine);
    const vault = await reopen(pristine, keys);
    const one = Buffer.concat([pseudoRandom(700_000, 5), textLike(500_000, 1)]);
    const two = Buffer.concat([one.subarray(0, 400_000), pseudoRandom(800_000, 6)]);
    contents.set('one', one);
    contents.set('two', two);
    await backupBuffer(vault, 'one', one);
    await backupBuffer(vault, 'two', two);
    snapshots = await vault.readAllSnapshots();
    await vault.close();
  });
  afterAll(() => tmp.cleanup());

  /** Copies the pristine vault, applies `damage`, and checks detection and safe reads. */
  async function damaged(damage: (dir: string) => void, expectedFiles: string[], mustFail = true) {
    const dir = `${tmp.dir}/t${trial++}`;
    cpSync(pristine, dir, { recursive: true });
    damage(dir);
    const vault = await reopen(dir, keys);
    const report = await checkVault(vault, { readData: true });
    const errors = report.problems.filter((p) => p.level === 'error');
    if (mustFail) expect(report.ok).toBe(false);
    for (const file of expectedFiles) expect(errors.map((e) => e.file), `damage in ${file}`).toContain(file);
    for (const s of snapshots) {
      for (const item of s.items) {
        const bytes = await collect(vault.readItem(s, item.name)).catch(() => undefined);
        if (bytes) expect(bytes.equals(contents.get(item.name) as Buffer)).toBe(true);
      }
    }
    await vault.close();
    rmSync(dir, { recursive: true, force: true });
  }

  it('finds a flipped byte anywhere in any object file', async () => {
    const files = objectFiles(pristine);
    expect(files.length).toBeGreaterThanOrEqual(5);
    let flips = 0;
    for (const file of files) {
      const size = statSync(join(pristine, file)).size;
      // Headers, footers and trailers at fixed places, plus random places (mostly blob bytes).
      const spots = new Set([0, 5, 39, 40, size - 1, size - 9, size - 17, size - 40]);
      for (let i = 0; i < 2; i++) spots.add(Math.floor(Math.random() * size));
      for (const at of [...spots].filter((p) => p >= 0 && p < size)) {
        await damaged((dir) => {
          const bytes = readFileSync(join(dir, file));
          bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(Math.random() * 8));
          writeFileSync(join(dir, file), bytes);
        }, [file]);
        flips++;
      }
    }
    expect(flips).toBeGreaterThan(30);
  }, 120_000);

  it('finds truncated and missing files', async () => {
    for (const file of objectFiles(pristine)) {
      const size = statSync(join(pristine, file)).size;
      await damaged((dir) => truncateSync(join(dir, file), Math.floor(Math.random() * size)), [file]);
      // A deleted snapshot is simply gone (nothing names it); anything else breaks a reference.
      await damaged((dir) => rmSync(join(dir, file)), file.startsWith('data/') ? [file] : [], !file.startsWith('snapshots/'));
    }
  }, 60_000);

  it('finds swapped files (contents moved under another name)', async () => {
    const files = objectFiles(pristine);
    const packs = files.filter((f) => f.startsWith('data/'));
    const snaps = files.filter((f) => f.startsWith('snapshots/'));
    const index = files.filter((f) => f.startsWith('index/'));
    const swap = (dir: string, a: string, b: string) => {
      renameSync(join(dir, a), join(dir, `${a}.x`));
      renameSync(join(dir, b), join(dir, a));
      renameSync(join(dir, `${a}.x`), join(dir, b));
    };
    if (packs.length >= 2) await damaged((dir) => swap(dir, packs[0]!, packs[1]!), [packs[0]!, packs[1]!]);
    await damaged((dir) => swap(dir, snaps[0]!, snaps[1]!), [snaps[0]!, snaps[1]!]);
    await damaged((dir) => {
      const a = readFileSync(join(dir, index[0]!));
      writeFileSync(join(dir, index[0]!), readFileSync(join(dir, snaps[0]!)));
      writeFileSync(join(dir, snaps[0]!), a);
    }, [index[0]!, snaps[0]!]);
    // Two blobs of one pack exchanged in place: each fails to authenticate where it now is.
    // (The largest pack: each crypto worker fills packs of its own, and metadata has one too.)
    const largest = [...packs].sort((a, b) => statSync(join(pristine, b)).size - statSync(join(pristine, a)).size)[0]!;
    await damaged((dir) => {
      const pack = largest;
      const bytes = readFileSync(join(dir, pack));
      const a = bytes.subarray(40, 1040);
      const b = Buffer.from(bytes.subarray(bytes.length - 100_000, bytes.length - 99_000));
      bytes.set(Buffer.from(a), bytes.length - 100_000);
      bytes.set(b, 40);
      writeFileSync(join(dir, pack), bytes);
    }, [largest]);
  }, 60_000);

  it('refuses damaged keys and config with a clear error', async () => {
    const dir = `${tmp.dir}/keys`;
    cpSync(pristine, dir, { recursive: true });
    const key = readdirSync(join(dir, 'keys'))[0]!;
    const doc = JSON.parse(readFileSync(join(dir, 'keys', key), 'utf8')) as { data: string };
    const data = Buffer.from(doc.data, 'base64');
    data[10] = (data[10] as number) ^ 1;
    writeFileSync(join(dir, 'keys', key), JSON.stringify({ ...doc, data: data.toString('base64') }));
    await expect(openVault({ dir, passphrase: PASS })).rejects.toMatchObject({ code: 'wrong-passphrase' });
    writeFileSync(join(dir, 'config'), '{"format":"lifeboat-vault","version":1');
    await expect(openVault({ dir, passphrase: PASS })).rejects.toMatchObject({ code: 'vault-format' });
  });
});
