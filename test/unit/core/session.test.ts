import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../../src-main/engine/engine';

describe('vault session (unlock once, for the app doors)', () => {
  const saved = process.env.LIFEBOAT_PASSPHRASE;
  delete process.env.LIFEBOAT_PASSPHRASE;
  const home = mkdtempSync(join(tmpdir(), 'lifeboat-session-'));
  const engine = createEngine({ door: 'bridge', home });
  afterAll(async () => {
    await engine.close();
    if (saved !== undefined) process.env.LIFEBOAT_PASSPHRASE = saved;
  });

  it('reports no vault, then a locked one, then unlocks only with the right passphrase', async () => {
    expect(await engine.call('vaultStatus', {})).toEqual({ dir: join(home, 'vault'), exists: false, unlocked: false, via: 'none' });
    await expect(engine.call('vaultUnlock', { passphrase: 'anything' })).rejects.toBeTruthy();
    await engine.call('vaultInit', { passphrase: 'correct horse battery staple' });
    expect(await engine.call('vaultStatus', {})).toMatchObject({ exists: true, unlocked: false });
    await expect(engine.call('vaultInfo', {})).rejects.toMatchObject({ code: 'bad-input', message: expect.stringContaining('passphrase') });
    await expect(engine.call('vaultUnlock', { passphrase: 'wrong' })).rejects.toMatchObject({ code: 'wrong-passphrase' });
    expect(await engine.call('vaultStatus', {})).toMatchObject({ unlocked: false, via: 'none' });
    expect(await engine.call('vaultUnlock', { passphrase: 'correct horse battery staple' })).toMatchObject({ unlocked: true, via: 'session' });
    await expect(engine.call('vaultInfo', {})).resolves.toBeTruthy();
    expect(await engine.call('vaultLock', {})).toMatchObject({ unlocked: false, via: 'none' });
    await expect(engine.call('vaultInfo', {})).rejects.toMatchObject({ code: 'bad-input' });
  }, 60_000);

  it('never returns the passphrase in any answer', async () => {
    await engine.call('vaultUnlock', { passphrase: 'correct horse battery staple' });
    const answers = JSON.stringify([await engine.call('vaultStatus', {}), await engine.call('vaultInfo', {})]);
    expect(answers).not.toContain('correct horse');
    expect(process.env.LIFEBOAT_PASSPHRASE).toBeUndefined();
  }, 60_000);
});
