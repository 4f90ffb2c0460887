import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../src-main/api/errors';
import { containerExec } from '../../../src-main/discovery/docker-exec';
import { labInfo } from '../../helpers/lab';

/**
 * `containerExec` on the lab: a timed-out or cancelled command leaves no process behind
 * (checked by polling the container's /proc with fresh execs), in the busybox tools container
 * and in a PostgreSQL container of our own (a crash there must not disturb the lab's) whose
 * PID 1 is the postmaster — which must see no child of ours end by a signal or an odd status
 * (it would restart every connection) — and normal runs keep their output and status.
 */
const info = labInfo();
const docker = new Docker({ socketPath: info.docker.socket });
const busybox = (info.standalone as { container?: string } | undefined)?.container ?? 'lab-standalone';
const postgres = `lbtest-exec-stop-pg-${process.pid}`;
const postgresImage = (info.images as Record<string, string> | undefined)?.postgres ?? 'lifeboat-lab/postgres:15';

beforeAll(async () => {
  execFileSync('docker', ['rm', '-f', '-v', postgres], { stdio: 'ignore' });
  execFileSync('docker', ['run', '-d', '--name', postgres, '--network', 'none', '-e', 'POSTGRES_USER=app', '-e', 'POSTGRES_PASSWORD=not-a-real-secret-3', '-e', 'POSTGRES_DB=app', postgresImage], { stdio: 'ignore' });
  const deadline = Date.now() + 120_000;
  while ((await containerExec(docker, postgres, ['pg_isready', '-q', '-h', '127.0.0.1']).catch(() => undefined))?.exitCode !== 0) {
    if (Date.now() > deadline) throw new Error(`${postgres} did not become ready`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

afterAll(() => {
  execFileSync('docker', ['rm', '-f', '-v', postgres], { stdio: 'ignore' });
});
const tick = () => new Promise((r) => setTimeout(r, 100));

/**
 * Command lines in the container that contain "$1$2". The two halves travel as separate
 * arguments, so the checker's own command line ("… sleep  97…") never matches.
 */
const listScript = `for f in /proc/[0-9]*/cmdline; do a=$(tr '\\0' ' ' < "$f" 2>/dev/null); case "$a" in *"$1$2"*) echo "$a";; esac; done`;

/** A sleep nothing else runs: `sleep 96xxxxxx`. */
function uniqueSleep(): { cmd: string; seconds: string } {
  const seconds = `96${randomInt(100_000, 999_999)}`;
  return { cmd: `sleep ${seconds}`, seconds };
}

async function processes(container: string, seconds: string): Promise<string[]> {
  const r = await containerExec(docker, container, ['sh', '-c', listScript, 'sh', 'sleep', ` ${seconds}`]);
  return r.stdout.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
}

async function untilRunning(container: string, seconds: string): Promise<void> {
  while (!(await processes(container, seconds)).includes(`sleep ${seconds}`)) await tick();
}

/** Polls until nothing mentions the sleep; the deadline only turns a hang into a readable failure. */
async function untilGone(container: string, seconds: string): Promise<void> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const left = await processes(container, seconds);
    if (left.length === 0 || Date.now() > deadline) return expect(left).toEqual([]);
    await tick();
  }
}

async function cancelled(container: string, argv: string[], seconds: string): Promise<unknown> {
  const controller = new AbortController();
  const run = containerExec(docker, container, argv, { signal: controller.signal, timeoutMs: 600_000 }).catch((e: unknown) => e);
  await untilRunning(container, seconds);
  controller.abort();
  return run;
}

async function postmasterCrashes(): Promise<number> {
  const logs = (await docker.getContainer(postgres).logs({ stdout: true, stderr: true, tail: 'all' } as never)) as unknown as Buffer;
  return (logs.toString('utf8').match(/terminated by signal|exited with exit code|server processes terminated; reinitializing/g) ?? []).length;
}

describe('containerExec stops the command in the container', () => {
  it('on timeout: a sleeping shell script and its sleep are gone', async () => {
    const s = uniqueSleep();
    let seen = false;
    const run = containerExec(docker, busybox, ['sh', '-c', `${s.cmd}; echo never`], { timeoutMs: 4000 }).catch((e: unknown) => e);
    const watch = untilRunning(busybox, s.seconds).then(() => (seen = true));
    const err = await run;
    await watch;
    expect(seen).toBe(true);
    expect(err).toBeInstanceOf(LifeboatError);
    expect((err as LifeboatError).code).toBe('timeout');
    await untilGone(busybox, s.seconds);
  });

  it('on cancel: a tool run directly, and a tree of shells', async () => {
    const s = uniqueSleep();
    expect(((await cancelled(busybox, ['sleep', s.seconds], s.seconds)) as LifeboatError).code).toBe('cancelled');
    await untilGone(busybox, s.seconds);
    const t = uniqueSleep();
    const tree = ['sh', '-c', `sh -c '${t.cmd} | cat; echo never' & ${t.cmd}; wait`];
    expect(((await cancelled(busybox, tree, t.seconds)) as LifeboatError).code).toBe('cancelled');
    await untilGone(busybox, t.seconds);
  });

  it('when the command ignores TERM: KILL after the grace period', async () => {
    const s = uniqueSleep();
    // The sleep inherits the ignored TERM, so only the KILL can end it.
    const err = await cancelled(busybox, ['sh', '-c', `trap '' TERM; ${s.cmd}; ${s.cmd}`], s.seconds);
    expect((err as LifeboatError).code).toBe('cancelled');
    await untilGone(busybox, s.seconds);
  });

  it('in a PostgreSQL container, without the postmaster seeing a child die by a signal', async () => {
    const before = await postmasterCrashes();
    const s = uniqueSleep();
    // A background job that outlives the foreground command (it ignores TERM, so it ends by the
    // KILL 5 s later) must still be reaped by its shell: orphaned, its 137 goes to the postmaster.
    const err = await cancelled(postgres, ['sh', '-c', `sh -c 'trap "" TERM; ${s.cmd} | cat' & ${s.cmd}; echo never`], s.seconds);
    expect((err as LifeboatError).code).toBe('cancelled');
    await untilGone(postgres, s.seconds);
    const t = uniqueSleep();
    const timedOut = await containerExec(docker, postgres, ['sh', '-c', `for i in 1 2 3; do ${t.cmd}; done`], { timeoutMs: 3000 }).catch((e: unknown) => e);
    expect((timedOut as LifeboatError).code).toBe('timeout');
    await untilGone(postgres, t.seconds);
    const ok = await containerExec(docker, postgres, ['sh', '-c', 'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -Atc "select 1"']);
    expect(ok.stdout.toString().trim()).toBe('1');
    expect(await postmasterCrashes()).toBe(before);
  });
});

describe('containerExec runs commands as before', () => {
  it('keeps exit code, stdout bytes and stderr (no pid marker in it)', async () => {
    for (const container of [busybox, postgres]) {
      const r = await containerExec(docker, container, ['sh', '-c', 'printf "a\\000b\\n"; echo to-stderr >&2; printf x; exit 5']);
      expect(r).toEqual({ exitCode: 5, stdout: Buffer.from('a\0b\nx'), stderr: 'to-stderr\n' });
      const direct = await containerExec(docker, container, ['printf', '%s|', 'a b', '']);
      expect(direct).toEqual({ exitCode: 0, stdout: Buffer.from('a b||'), stderr: '' });
      const positional = await containerExec(docker, container, ['sh', '-c', 'printf "%s|" "$0" "$@"', 'zero', 'one', 'two words']);
      expect(positional.stdout.toString()).toBe('zero|one|two words|');
    }
  });

  it('executes nothing from a name with shell metacharacters', async () => {
    const tag = randomBytes(4).toString('hex');
    const marker = `/tmp/lifeboat-PWNED-${tag}`;
    const evil = `it's $(touch ${marker}) ;&|<>\`touch ${marker}\` "q" \\ * %s`;
    const direct = await containerExec(docker, busybox, ['printf', '%s', evil]);
    expect(direct.stdout.toString('utf8')).toBe(evil);
    const viaShell = await containerExec(docker, busybox, ['sh', '-c', 'printf "%s" "$1"', 'sh', evil]);
    expect(viaShell.stdout.toString('utf8')).toBe(evil);
    const check = await containerExec(docker, busybox, ['sh', '-c', 'test -e "$1"; echo $?', 'sh', marker]);
    expect(check.stdout.toString().trim()).toBe('1');
  });

  it('reports a missing program as the exec fails, with its message', async () => {
    const r = await containerExec(docker, busybox, ['lifeboat-no-such-tool', 'x']);
    expect(r.exitCode).toBe(127);
    expect(r.stderr).toContain('lifeboat-no-such-tool');
  });
});
