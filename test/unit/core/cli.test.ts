import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src-main/cli/command';
import { allCommands } from '../../../src-main/cli/commands/index';
import { formatBytes } from '../../../src-main/cli/output';
import { matchCommand, runCli } from '../../../src-main/cli/run-cli';
import { packageVersion } from '../../../src-main/engine/paths';

function fakeIo(): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  return { stdout, stderr, stdin: new PassThrough(), env: { LIFEBOAT_HOME: '/tmp/lifeboat-cli-test' }, out: () => out, err: () => err };
}

describe('cli', () => {
  it('prints the version for --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const io = fakeIo();
      expect(await runCli([flag], io, allCommands)).toBe(0);
      expect(io.out()).toBe(`lifeboat ${packageVersion()}\n`);
    }
  });

  it('prints JSON from `version --json` through the engine', async () => {
    const io = fakeIo();
    expect(await runCli(['version', '--json'], io, allCommands)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ name: 'lifeboat', door: 'cli' });
  });

  it('lists commands in --help', async () => {
    const io = fakeIo();
    expect(await runCli(['--help'], io, allCommands)).toBe(0);
    for (const c of allCommands) expect(io.out()).toContain(c.path.join(' '));
  });

  it('exits 2 with a next step for unknown commands and bad options', async () => {
    const io = fakeIo();
    expect(await runCli(['frobnicate'], io, allCommands)).toBe(2);
    expect(io.err()).toMatch(/unknown command "frobnicate"[\s\S]*lifeboat --help/);
    const io2 = fakeIo();
    expect(await runCli(['ping', '--bogus'], io2, allCommands)).toBe(2);
    expect(io2.err()).toMatch(/bogus[\s\S]*usage: lifeboat ping/);
    const io3 = fakeIo();
    expect(await runCli(['ping', 'extra'], io3, allCommands)).toBe(2);
  });

  it('reports errors as JSON when --json is given', async () => {
    const io = fakeIo();
    expect(await runCli(['version', '--json', '--nope'], io, allCommands)).toBe(2);
    expect(JSON.parse(io.out())).toMatchObject({ error: { code: 'bad-input' } });
  });

  it('matches the longest command path', () => {
    const commands = [
      { path: ['host'], summary: '', run: async () => 0 },
      { path: ['host', 'add'], summary: '', run: async () => 0 },
    ];
    expect(matchCommand(commands, ['host', 'add', 'x'])?.path).toEqual(['host', 'add']);
    expect(matchCommand(commands, ['host', 'list'])?.path).toEqual(['host']);
    expect(matchCommand(commands, ['nope'])).toBeUndefined();
  });

  it('formats byte counts for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 2 ** 30)).toBe('5.0 GiB');
  });
});
