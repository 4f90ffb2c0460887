import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Progress } from '../../../src-main/api/progress';
import { createEngine } from '../../../src-main/engine/engine';
import { PASS, newVault, pseudoRandom, tempDir } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

describe('vault requests through the engine', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('reports progress, honours cancellation, and refuses stdio requests at other doors', async () => {
    const vault = `${tmp.dir}/v`;
    await newVault(vault);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const engine = createEngine({ door: 'cli', home: `${tmp.dir}/home`, stdio: { stdin, stdout } });
    const events: Progress[] = [];
    engine.onEvent((event, payload) => {
      if (event === 'jobProgress') events.push(payload as Progress);
    });

    // A backup cancelled half-way leaves no snapshot.
    const controller = new AbortController();
    const pending = engine.call('vaultBackupStdin', { vault, passphrase: PASS, name: 'slow' }, { signal: controller.signal });
    stdin.write(pseudoRandom(3_000_000, 1));
    setTimeout(() => controller.abort(), 600);
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    stdin.destroy();
    expect((await engine.call('vaultSnapshots', { vault, passphrase: PASS })).snapshots).toEqual([]);

    const stdin2 = new PassThrough();
    const engine2 = createEngine({ door: 'cli', home: `${tmp.dir}/home`, stdio: { stdin: stdin2, stdout } });
    engine2.onEvent((event, payload) => {
      if (event === 'jobProgress') events.push(payload as Progress);
    });
    stdin2.end(pseudoRandom(5_000_000, 2));
    const out = await engine2.call('vaultBackupStdin', { vault, passphrase: PASS, name: 'fast', tags: ['t'] });
    expect(out.snapshot.items[0]).toMatchObject({ name: 'fast', kind: 'stdin', size: 5_000_000 });
    const check = await engine2.call('vaultCheck', { vault, passphrase: PASS, readData: true });
    expect(check.ok).toBe(true);
    expect(events.some((e) => e.phase === 'read-data' && e.bytesDone > 0)).toBe(true);
    expect(events.some((e) => e.phase === 'backup')).toBe(true);
    await engine.close();
    await engine2.close();

    const bridge = createEngine({ door: 'bridge', home: `${tmp.dir}/home` });
    await expect(bridge.call('vaultCat', { vault, passphrase: PASS, snapshot: 'latest', item: 'fast' })).rejects.toMatchObject({ code: 'unsupported' });
    await bridge.close();
  }, 30_000);
});
