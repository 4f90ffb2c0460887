import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../src-main/api/errors';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import { shellQuote } from '../../../src-main/hosts/ssh-exec';
import { labInfo } from '../../helpers/lab';
import { labSecret, labUrl, makeService, tempHomes } from './hosts-helpers';

/**
 * What a timed-out or cancelled `sshExec` leaves on the server: nothing. Each test runs a
 * command that sleeps and writes nothing (so no SIGPIPE can end it), makes sure it is running,
 * stops it, and then polls with fresh execs (as root, who sees every user's processes) until
 * no process of it is left.
 */
const info = labInfo();
const homes = tempHomes();
const conns: Record<'root' | 'user' | 'sudo', HostConnection | undefined> = { root: undefined, user: undefined, sudo: undefined };
const tick = () => new Promise((r) => setTimeout(r, 100));

function open(which: keyof typeof conns): HostConnection {
  const conn = conns[which];
  if (!conn) throw new Error(`no ${which} connection`);
  return conn;
}

/**
 * A sleep no other process on the machine runs (`sleep 97xxxxxx`); `pattern` matches the sleep
 * and every process with it in its arguments (the watchdog shells), `running` the sleep itself.
 */
function uniqueSleep(): { cmd: string; pattern: string; running: string } {
  const seconds = `97${randomInt(100_000, 999_999)}`;
  // The bracket keeps the patterns from matching the shells that run pgrep.
  return { cmd: `sleep ${seconds}`, pattern: `[s]leep ${seconds}`, running: `^[s]leep ${seconds}$` };
}

async function processes(pattern: string): Promise<string> {
  const r = await open('root').exec!(`pgrep -af ${shellQuote(pattern)} || true`);
  return r.stdout.toString('utf8').trim();
}

async function untilRunning(pattern: string): Promise<void> {
  while (!(await processes(pattern))) await tick();
}

/** Polls until no process matches; the deadline only turns a hang into a readable failure. */
async function untilGone(pattern: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const left = await processes(pattern);
    if (!left || Date.now() > deadline) return expect(left).toBe('');
    await tick();
  }
}

/** Runs `command`, cancels it once the sleep itself runs, and returns the rejection. */
async function cancelled(conn: HostConnection, command: string, running: string): Promise<unknown> {
  const controller = new AbortController();
  const run = conn.exec!(command, { signal: controller.signal, timeoutMs: 600_000 }).catch((e: unknown) => e);
  await untilRunning(running);
  controller.abort();
  return run;
}

/** Runs `command` with a time limit, checks that the sleep ran meanwhile, returns the rejection. */
async function timedOut(conn: HostConnection, command: string, running: string, timeoutMs: number): Promise<unknown> {
  let seen = false;
  const run = conn.exec!(command, { timeoutMs }).catch((e: unknown) => e);
  const watch = untilRunning(running).then(() => (seen = true));
  const err = await run;
  await watch;
  expect(seen).toBe(true);
  return err;
}

beforeAll(async () => {
  const service = makeService(homes);
  const fingerprints = [info.ssh.hostKeyFingerprint];
  await service.add('root', labUrl(), { identityFile: info.ssh.identityFile, fingerprints });
  await service.add('user', labUrl(info.ssh.passwordUser), { password: labSecret(info.ssh.passwordFile), fingerprints });
  await service.add('sudo', labUrl(info.ssh.sudoUser ?? 'labsudo'), { identityFile: info.ssh.identityFile, fingerprints });
  conns.root = await service.open('root', {});
  conns.user = await service.open('user', { password: labSecret(info.ssh.passwordFile) });
  conns.sudo = await service.open('sudo', {});
});

afterAll(() => {
  for (const conn of Object.values(conns)) conn?.close();
  homes.cleanup();
});

describe('sshExec stops the remote command', () => {
  it('on timeout, as root: the sleeping command and its shell are gone', async () => {
    const s = uniqueSleep();
    const err = await timedOut(open('root'), `sh -c '${s.cmd}; echo never'`, s.running, 4000);
    expect(err).toBeInstanceOf(LifeboatError);
    expect((err as LifeboatError).code).toBe('timeout');
    await untilGone(s.pattern);
  });

  it('on cancel, as root', async () => {
    const s = uniqueSleep();
    const err = await cancelled(open('root'), `${s.cmd}; ${s.cmd}`, s.running);
    expect((err as LifeboatError).code).toBe('cancelled');
    await untilGone(s.pattern);
  });

  it('on cancel and on timeout, as a user without root', async () => {
    const s = uniqueSleep();
    const err = await cancelled(open('user'), `sh -c 'sh -c "${s.cmd}"'`, s.running);
    expect((err as LifeboatError).code).toBe('cancelled');
    await untilGone(s.pattern);
    const t = uniqueSleep();
    const err2 = await timedOut(open('user'), `${t.cmd} & ${t.cmd}`, t.running, 4000);
    expect((err2 as LifeboatError).code).toBe('timeout');
    await untilGone(t.pattern);
  });

  it('as root under sudo -n, and through a plain sudo', async () => {
    const s = uniqueSleep();
    const err = await cancelled(open('sudo'), `sudo -n sh -c ${shellQuote(`${s.cmd}; echo never`)} sh`, s.running);
    expect((err as LifeboatError).code).toBe('cancelled');
    await untilGone(s.pattern);
    const t = uniqueSleep();
    const plain = await cancelled(open('sudo'), `sudo -n ${t.cmd}`, t.running);
    expect((plain as LifeboatError).code).toBe('cancelled');
    await untilGone(t.pattern);
  });

  it('when a command ignores TERM: KILL after the grace period', async () => {
    // The sleep inherits the ignored TERM, so only the KILL can end it.
    const s = uniqueSleep();
    const err = await cancelled(open('root'), `trap '' TERM; ${s.cmd}`, s.running);
    expect((err as LifeboatError).code).toBe('cancelled');
    await untilGone(s.pattern);
  });
});

describe('sshExec runs commands as before', () => {
  it('keeps exit code, stdout bytes and stderr of normal runs, for root and a user', async () => {
    for (const which of ['root', 'user', 'sudo'] as const) {
      const r = await open(which).exec!(`printf 'a\\000b\\n'; echo to-stderr >&2; printf x; exit 7`);
      expect(r.code).toBe(7);
      expect(r.stdout).toEqual(Buffer.from('a\0b\nx'));
      expect(r.stderr).toBe('to-stderr\n');
      expect(r.signal).toBeUndefined();
      const ok = await open(which).exec!('id -un');
      expect({ code: ok.code, out: ok.stdout.toString().trim() }).toEqual({ code: 0, out: which === 'root' ? 'root' : which === 'user' ? info.ssh.passwordUser : (info.ssh.sudoUser ?? 'labsudo') });
    }
  });

  it('gives the command no stdin unless asked, and exact bytes when asked (through sudo -n too)', async () => {
    const none = await open('root').exec!('wc -c');
    expect(none.stdout.toString().trim()).toBe('0');
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const data = Buffer.concat([all, Buffer.from("\n'$(x)`;\\c%b\n"), all]);
    const back = await open('root').exec!('cat', { stdin: data });
    expect(back.stdout).toEqual(data);
    const sudo = await open('sudo').exec!(`sudo -n sh -c 'id -u; cat'`, { stdin: data });
    expect(sudo.stdout).toEqual(Buffer.concat([Buffer.from('0\n'), data]));
  });

  it('executes nothing from a name with shell metacharacters, in the command or on stdin', async () => {
    const tag = randomBytes(4).toString('hex');
    const marker = `/tmp/lifeboat-PWNED-${tag}`;
    const evil = `it's $(touch ${marker}) ;&|<>\`touch ${marker}\` "q" \\ * %s %b \\c`;
    const r = await open('root').exec!(`printf '%s' ${shellQuote(evil)}`);
    expect(r.stdout.toString('utf8')).toBe(evil);
    const viaStdin = await open('sudo').exec!(`sudo -n sh -c 'cat; printf "%s" "$1"' sh ${shellQuote(evil)}`, { stdin: evil });
    expect(viaStdin.stdout.toString('utf8')).toBe(evil + evil);
    expect((await open('root').exec!(`test -e ${shellQuote(marker)}; echo $?`)).stdout.toString().trim()).toBe('1');
  });

  it('still reports sudo for the probe of a sudo user, and a refused sudo as before', async () => {
    const probe = await open('sudo').exec!('sudo -n true && echo sudo=yes');
    expect(probe.stdout.toString()).toBe('sudo=yes\n');
    const refused = await open('user').exec!(`sudo -n sh -c 'id -u'`);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout.toString()).toBe('');
  });
});
