import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../../src-main/cli/command';
import { allCommands } from '../../../src-main/cli/commands/index';
import { runCli } from '../../../src-main/cli/run-cli';
import { PASS, newVault, pseudoRandom, tempDir, textLike } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

interface FakeIo extends CliIo {
  out(): Buffer;
  err(): string;
}

function fakeIo(env: NodeJS.ProcessEnv, input?: Buffer): FakeIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const out: Buffer[] = [];
  let err = '';
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d) => (err += String(d)));
  stdin.end(input ?? Buffer.alloc(0));
  return { stdout, stderr, stdin, env, out: () => Buffer.concat(out), err: () => err };
}

describe('vault commands', () => {
  const tmp = tempDir();
  const env = { LIFEBOAT_VAULT: `${tmp.dir}/vault`, LIFEBOAT_PASSPHRASE: PASS };
  const cli = async (argv: string[], input?: Buffer, extraEnv: NodeJS.ProcessEnv = {}) => {
    const io = fakeIo({ ...env, ...extraEnv }, input);
    const code = await runCli(argv, io, allCommands);
    return { code, out: io.out(), err: io.err(), json: () => JSON.parse(io.out().toString()) as Record<string, unknown> };
  };
  beforeAll(() => {
    vi.stubEnv('LIFEBOAT_HOME', `${tmp.dir}/home`);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
    tmp.cleanup();
  });

  it('vault init calibrates scrypt to at least 64 MiB and refuses to overwrite', async () => {
    const where = { LIFEBOAT_VAULT: `${tmp.dir}/fresh` };
    const init = await cli(['vault', 'init', '--json'], undefined, where);
    expect(init.code, init.err).toBe(0);
    expect(init.json()).toMatchObject({ version: 1, kdf: { name: 'scrypt', r: 8 } });
    expect((init.json().kdf as { N: number }).N).toBeGreaterThanOrEqual(2 ** 16);
    const again = await cli(['vault', 'init'], undefined, where);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already a vault/);
  });

  it('backup-stdin, snapshots, cat, check, info, catalog rebuild, prune, copy, passwd', async () => {
    // Made with the scrypt floor so each command's key derivation stays quick.
    await newVault(env.LIFEBOAT_VAULT);

    const data = Buffer.concat([pseudoRandom(1_000_000, 1), textLike(800_000)]);
    const backup = await cli(['backup-stdin', 'wiki/db', '--tag', 'nightly', '--json'], data);
    expect(backup.code, backup.err).toBe(0);
    const snap = (backup.json().snapshot as { id: string; short: string });
    await cli(['backup-stdin', 'wiki/db', '--tag', 'nightly', '--json'], data);

    const list = await cli(['snapshots', '--json']);
    expect((list.json().snapshots as unknown[]).length).toBe(2);
    expect((await cli(['snapshots'])).out.toString()).toMatch(new RegExp(`${snap.short}.*nightly.*wiki/db`));

    const cat = await cli(['cat', snap.short, 'wiki/db']);
    expect(cat.code, cat.err).toBe(0);
    expect(cat.out.equals(data)).toBe(true);
    expect((await cli(['cat', snap.short, 'nope'])).code).toBe(1);

    const check = await cli(['check', '--read-data']);
    expect(check.code, check.out.toString()).toBe(0);
    expect(check.out.toString()).toMatch(/no errors/);
    const info = await cli(['vault', 'info', '--json']);
    expect(info.json()).toMatchObject({ snapshots: 2, keys: 1, locks: [] });
    expect((await cli(['catalog', 'rebuild', '--json'])).json()).toEqual({ before: 2, after: 2 });

    const dry = await cli(['prune', '--keep-last', '1', '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out.toString()).toMatch(/would remove 1 snapshot/);
    expect((await cli(['prune'])).code).toBe(2);
    expect((await cli(['prune', '--keep-last', 'x'])).code).toBe(2);
    expect((await cli(['prune', '--keep-last', '1', '--json'])).json()).toMatchObject({ removedSnapshots: [expect.any(String)] });

    const copy = await cli(['copy', '--to', `${tmp.dir}/usb`, '--json']);
    expect(copy.code, copy.err).toBe(0);
    expect(copy.json()).toMatchObject({ created: true, copied: { snapshots: 1 } });
    const fromCopy = await cli(['snapshots', '--json'], undefined, { LIFEBOAT_VAULT: `${tmp.dir}/usb` });
    expect((fromCopy.json().snapshots as unknown[]).length).toBe(1);

    const passwd = await cli(['vault', 'passwd'], undefined, { LIFEBOAT_NEW_PASSPHRASE: 'new secret' });
    expect(passwd.code, passwd.err).toBe(0);
    const wrong = await cli(['snapshots']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/passphrase does not open/);
    expect((await cli(['snapshots'], undefined, { LIFEBOAT_PASSPHRASE: 'new secret' })).code).toBe(0);
  }, 60_000);

  it('needs a passphrase from the environment or a file, never argv', async () => {
    const io = fakeIo({ LIFEBOAT_VAULT: `${tmp.dir}/vault` });
    expect(await runCli(['snapshots'], io, allCommands)).toBe(2);
    expect(io.err()).toMatch(/LIFEBOAT_PASSPHRASE or use --passphrase-file/);
    expect(await runCli(['snapshots', '--passphrase', 'x'], fakeIo({}), allCommands)).toBe(2);
  });
});
