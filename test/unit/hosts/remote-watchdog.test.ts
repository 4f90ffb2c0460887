import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PidMarkerReader, containerStopArgv, containerWatchedArgv, maxExecStdin, procTreeFunctions, watchdogStdinLine, watchedCommand } from '../../../src-main/hosts/remote-watchdog';
import { shellQuote } from '../../../src-main/sync/shell-quote';

const quotedScript = /^exec sh -c ('(?:[^']|'\\'')*') lifeboat-exec /;

describe('watchedCommand', () => {
  it('runs the command, single-quoted, as the watchdog script’s only argument', () => {
    const line = watchedCommand(`printf '%s' 'it'\\''s'`);
    expect(line).toMatch(quotedScript);
    expect(line.endsWith(` lifeboat-exec ${shellQuote(`printf '%s' 'it'\\''s'`)}`)).toBe(true);
    expect(line).toContain(shellQuote(procTreeFunctions).slice(1, 40));
  });

  it('puts the watchdog inside sudo only for exactly `sudo -n sh -c` and single-quoted words', () => {
    const inner = `sh -c ${shellQuote('du -s "$@"')} sh ${shellQuote("/srv/it's")} -x`;
    expect(watchedCommand(`sudo -n ${inner}`)).toMatch(new RegExp(`^exec sudo -n -- sh -c '.*' lifeboat-exec ${escape(shellQuote(inner))}$`, 's'));
    expect(watchedCommand(`sudo -n -- ${inner}`)).toMatch(/^exec sudo -n -- sh -c /);
    for (const other of [
      'sudo -n true; id',
      'sudo -n true && id',
      `sudo -n sh -c 'id' ; rm -rf /tmp/x`,
      `sudo -n sh -c 'id' | cat`,
      'sudo -n sh -c "$(id)"',
      'sudo -n sh -c $(id)',
      'sudo -n docker system dial-stdio',
      `sudo -n sh -c 'id' sh\nid`,
      `sudo  -n sh -c 'id'`,
    ]) {
      expect(watchedCommand(other), other).toMatch(quotedScript);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('watchdogStdinLine', () => {
  it('is an empty line without stdin', () => {
    expect(watchdogStdinLine().toString()).toBe('\n');
    expect(watchdogStdinLine('').toString()).toBe('\n');
  });

  it('escapes every byte but a safe few as \\0ooo, NUL included, and ends with one newline', () => {
    expect(watchdogStdinLine(Buffer.from([0, 10, 92, 37, 39, 0xff])).toString()).toBe('\\0000\\0012\\0134\\0045\\0047\\0377\n');
    expect(watchdogStdinLine('ab/c.d_e-f 9').toString()).toBe('ab/c.d_e-f\\00409\n');
    const line = watchdogStdinLine(Buffer.from(Array.from({ length: 256 }, (_, i) => i))).toString('latin1');
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(line).toMatch(/^[A-Za-z0-9_./\\-]*\n$/);
  });

  it('refuses more than the exec limit', () => {
    expect(() => watchdogStdinLine(Buffer.alloc(maxExecStdin + 1))).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});

describe('containerWatchedArgv and containerStopArgv', () => {
  it('keeps a `sh -c` script in its shell, with the trap and the pid first on its first line', () => {
    const w = containerWatchedArgv(['sh', '-c', 'line1\nline2', 'zero', 'a b']);
    expect(w.trapped).toBe(true);
    expect(w.argv).toEqual(['sh', '-c', `trap 'wait; exit 143' TERM; echo "lifeboat-pid:$$" >&2; line1\nline2`, 'zero', 'a b']);
  });

  it('execs anything else from a small shell, every word an argument', () => {
    const w = containerWatchedArgv(['pg_dump', '-Fc', '$(id)']);
    expect(w).toEqual({ argv: ['sh', '-c', `echo "lifeboat-pid:$$" >&2; exec "$@"`, 'sh', 'pg_dump', '-Fc', '$(id)'], trapped: false });
    expect(containerWatchedArgv(['bash', '-c', 'x']).trapped).toBe(false);
    expect(() => containerWatchedArgv([])).toThrow(expect.objectContaining({ code: 'bad-input' }));
  });

  it('stops a pid given as digits only', () => {
    const argv = containerStopArgv('42', true);
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv.slice(3)).toEqual(['lifeboat-stop', '42', '1']);
    expect(containerStopArgv('7', false).at(-1)).toBe('0');
    for (const bad of ['', '0', '1;id', '-1', '$$']) expect(() => containerStopArgv(bad, false)).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});

/**
 * The watchdog itself, run here by each shell a server may have as `sh` (dash, bash in its sh
 * mode, busybox ash): a temp dir with an `sh` link goes first in PATH.
 * The pipe to its stdin plays the SSH channel.
 */
const shells = [
  ['dash', '/usr/bin/dash'],
  ['bash', '/usr/bin/bash'],
  ['busybox', '/usr/bin/busybox'],
].filter(([, path]) => existsSync(path as string)) as [string, string][];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function shellDir(binary: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-watchdog-'));
  dirs.push(dir);
  symlinkSync(binary, join(dir, 'sh'));
  return dir;
}

function start(dir: string, command: string, stdin?: string | Buffer): { child: ChildProcess; done: Promise<{ code: number | null; stdout: Buffer; stderr: string }> } {
  const sh = join(dir, 'sh');
  const child = spawn(sh, ['-c', watchedCommand(command)], { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin?.write(watchdogStdinLine(stdin));
  const done = new Promise<{ code: number | null; stdout: Buffer; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err })));
  return { child, done };
}

/** Command lines of this machine's processes that contain `text`. */
function commandLines(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      if (line.includes(text)) found.push(line);
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('the watchdog under a bash login', () => {
  it.runIf(existsSync('/usr/bin/bash'))('has ~/.bashrc sourced once per exec, by the login shell, as before', async () => {
    const home = mkdtempSync(join(tmpdir(), 'lifeboat-watchdog-home-'));
    dirs.push(home);
    writeFileSync(join(home, '.bashrc'), 'echo sourced >&2\n');
    // bash sources ~/.bashrc for `bash -c` when SSH_CLIENT is set: what sshd's login shell does.
    const child = spawn('/usr/bin/bash', ['-c', watchedCommand('echo ran')], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, SSH_CLIENT: '127.0.0.1 1 22', SHELL: '/usr/bin/bash' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdin.write(watchdogStdinLine());
    await new Promise((r) => child.on('close', r));
    child.stdin.end();
    expect({ out, err }).toEqual({ out: 'ran\n', err: 'sourced\n' });
  });
});

describe.each(shells)('the watchdog under %s', (_name, binary) => {
  const dir = shellDir(binary);

  it('leaves exit code, stdout and stderr of a normal run as they are, with no stdin by default', async () => {
    const { child, done } = start(dir, `printf 'a\\000b\\n'; echo to-stderr >&2; wc -c; exit 7`);
    const r = await done;
    child.stdin?.end();
    expect(r).toEqual({ code: 7, stdout: Buffer.from('a\0b\n0\n'), stderr: 'to-stderr\n' });
  });

  it('hands the command its stdin byte for byte', async () => {
    const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from("'$(id)`;\\c%b\n\n")]);
    const { child, done } = start(dir, 'cat', data);
    const r = await done;
    child.stdin?.end();
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual(data);
  });

  it('runs nothing when stdin closes before its first line', async () => {
    const sh = join(dir, 'sh');
    const child = spawn(sh, ['-c', watchedCommand('echo ran')], { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.end();
    await new Promise((r) => child.on('close', r));
    expect(out).toBe('');
  });

  it('stops the whole tree when stdin closes under a running command', async () => {
    const seconds = `95${randomInt(100_000, 999_999)}`;
    const { child, done } = start(dir, `sh -c 'sleep ${seconds} | cat; echo never'; echo never`);
    while (!commandLines(`sleep ${seconds}`).includes(`sleep ${seconds}`)) await tick();
    child.stdin?.end();
    const r = await done;
    expect(r.stdout.toString()).toBe('');
    expect(r.code).toBe(143);
    while (commandLines(`sleep ${seconds}`).length > 0) await tick();
  });
});

describe('the pid marker on a container command\'s stderr', () => {
  const read = (pieces: string[], end = false) => {
    const pids: (string | undefined)[] = [];
    let stderr = '';
    const r = new PidMarkerReader((p) => pids.push(p), (c) => (stderr += c.toString()));
    for (const p of pieces) r.push(Buffer.from(p));
    if (end) r.end();
    return { pids, stderr };
  };

  it('takes the pid from a marker line split across chunks and passes the rest on', () => {
    expect(read(['lifeboat-p', 'id:4', '2\nwarn', 'ing\n', 'more'])).toEqual({ pids: ['42'], stderr: 'warning\nmore' });
  });

  it('reports no pid when the first line is something else, and keeps that line as stderr', () => {
    expect(read(['sh: exec: nope: not found\n'])).toEqual({ pids: [undefined], stderr: 'sh: exec: nope: not found\n' });
    expect(read(['x'.repeat(300)])).toEqual({ pids: [undefined], stderr: 'x'.repeat(300) });
  });

  it('waits for a partial marker, and gives up on it when the stream ends', () => {
    expect(read(['lifeboat-pid:12'])).toEqual({ pids: [], stderr: '' });
    expect(read(['lifeboat-pid:12'], true)).toEqual({ pids: [undefined], stderr: 'lifeboat-pid:12' });
  });
});
