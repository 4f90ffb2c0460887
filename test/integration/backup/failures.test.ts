import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../../src-main/api/progress';
import { checkVault } from '../../../src-main/vault/check';
import { labInfo } from '../../helpers/lab';
import { dbLab, execIn, passphrase } from '../restore/db-helpers';
import { docker } from '../../helpers/volume-pull';
import { type BackupLab, backup, statuses } from './backup-helpers';

/**
 * A throwaway compose-style stack `lbbk<pid>`: a PostgreSQL server (databases `big`, ~90 MB,
 * and `small`) and an app container, so item ids are `lbbk<pid>/postgres:…` and the app is
 * what "stop the containers that use it" stops.
 */
const project = `lbbk${process.pid}`;
const db = `${project}-db-1`;
const app = `${project}-app-1`;
const big = `${project}/postgres:big`;
const small = `${project}/postgres:small`;
const realDump = '/usr/lib/postgresql/15/bin/pg_dump';

function labels(service: string): string[] {
  return ['--label', 'org.lifeboat.test=backup', '--label', `com.docker.compose.project=${project}`, '--label', `com.docker.compose.service=${service}`, '--label', 'com.docker.compose.oneoff=False'];
}

const psql = (database: string, sql: string) => execIn(db, `psql -v ON_ERROR_STOP=1 -q -U app -d ${database}`, sql);
const serverLog = () => execFileSync('sh', ['-c', 'docker logs "$1" 2>&1', 'sh', db], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
const pgDumpPids = () => execIn(db, 'pidof pg_dump || true').toString().trim();

/** Replaces pg_dump in the container with a script (PATH finds the versioned bin dir first). */
function fakePgDump(script: string): void {
  execIn(db, `[ -e ${realDump}.real ] || mv ${realDump} ${realDump}.real; cat > ${realDump}; chmod 755 ${realDump}`, `#!/bin/sh\n${script}\n`);
}
function realPgDump(): void {
  execIn(db, `if [ -e ${realDump}.real ]; then mv -f ${realDump}.real ${realDump}; fi`);
}

/** Runs `action` once, when the dump of `big` has streamed at least `bytes`; returns how to stop listening and whether it ran. */
function onceDumped(env: BackupLab, bytes: number, action: (p: Progress) => void): { off(): void; fired(): boolean } {
  let fired = false;
  const off = env.engine.onEvent((event, payload) => {
    const p = payload as Progress;
    if (event !== 'jobProgress' || fired || p.item !== big || p.phase !== 'dump' || p.bytesDone < bytes) return;
    fired = true;
    action(p);
  });
  return { off, fired: () => fired };
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('failed, empty, shrunken and cancelled dumps', () => {
  let env: BackupLab;

  beforeAll(async () => {
    const images = (labInfo() as { images?: Record<string, string> }).images ?? {};
    docker('rm', '-f', '-v', db, app);
    docker('run', '-d', '--name', db, ...labels('db'), '--network', 'none', '-e', 'POSTGRES_USER=app', '-e', 'POSTGRES_PASSWORD=not-a-real-secret-1', '-e', 'POSTGRES_DB=big', images.postgres ?? '');
    docker('run', '-d', '--name', app, ...labels('app'), '--network', 'none', images.tools ?? '');
    expect(await waitFor(() => { try { execIn(db, 'pg_isready -q -h 127.0.0.1'); return true; } catch { return false; } }, 60_000)).toBe(true);
    psql('big', "create table big as select i, repeat(md5(i::text), 8) as pad from generate_series(1, 300000) i;");
    psql('big', 'create database small;');
    psql('small', "create table t as select i, repeat('x', 200) as pad from generate_series(1, 20000) i;");
    env = await dbLab();
  });
  afterAll(async () => {
    await env?.close();
    docker('rm', '-f', '-v', db, app);
  });

  it('a dump killed halfway leaves that item failed, out of every snapshot, and the other items saved', async () => {
    const kill = onceDumped(env, 1024 * 1024, () => execIn(db, 'kill -9 $(pidof pg_dump)'));
    try {
      const summary = await backup(env, [big, 'notes/sqlite:notes_data/notes.sqlite']);
      expect(kill.fired()).toBe(true);
      expect(statuses(summary)).toEqual({ [big]: 'failed', 'notes/sqlite:notes_data/notes.sqlite': 'succeeded' });
      expect(summary.items[0]?.message).toMatch(/pg_dump|pg_restore/);
      expect(summary.status).toBe('partial');
      const vault = await env.vault();
      const snapshots = await vault.listSnapshots();
      expect(snapshots.map((s) => s.id)).toContain(summary.snapshot);
      expect(snapshots.flatMap((s) => s.items.map((i) => i.name))).not.toContain(big);
      const report = await checkVault(vault, {});
      expect(report.problems.filter((p) => p.level === 'error')).toEqual([]);
    } finally {
      kill.off();
    }
  });

  it('cancel stops the pg_dump inside the container', async () => {
    let running = '';
    const cancel = onceDumped(env, 512 * 1024, (p) => {
      running = pgDumpPids();
      void env.engine.call('jobCancel', { id: p.jobId });
    });
    try {
      const started = await env.engine.call('backup', { host: 'lab', items: [big], vault: env.vaultDir, vaultPassphrase: passphrase, wait: false });
      const summary = await env.engine.call('backupResult', { jobId: started.jobId });
      expect(cancel.fired()).toBe(true);
      expect(running).not.toBe('');
      expect(summary.status).toBe('cancelled');
      expect(summary.items[0]?.status).toBe('cancelled');
      expect(summary.snapshot).toBeUndefined();
      expect(await waitFor(() => pgDumpPids() === '', 5000)).toBe(true);
      // Nothing was orphaned to the postmaster (PID 1), which would take a stray child's death
      // by a signal for a crashed backend and restart the server.
      expect(serverLog()).not.toMatch(/terminated by signal|all server processes terminated/);
    } finally {
      cancel.off();
    }
  });

  it('an empty dump is an error, and so is a complete one from a tool that exited non-zero', async () => {
    try {
      fakePgDump('exit 0');
      const empty = await backup(env, [small]);
      expect(empty.error).toBeUndefined();
      expect(empty.items[0]).toMatchObject({ status: 'failed', message: expect.stringContaining('empty dump (0 bytes)') });
      expect(empty.snapshot).toBeUndefined();
      fakePgDump(`${realDump}.real "$@"; exit 3`);
      const nonZero = await backup(env, [small]);
      expect(nonZero.items[0]).toMatchObject({ status: 'failed', message: expect.stringContaining('exit 3') });
    } finally {
      realPgDump();
    }
  });

  it('warns when a dump is under half the size of the last one, on the summary and the snapshot item', async () => {
    const first = await backup(env, [small]);
    expect(first.items[0]?.status).toBe('succeeded');
    expect(first.warnings).toEqual([]);
    psql('small', 'delete from t where i > 5000;');
    const second = await backup(env, [small]);
    expect(second.items[0]?.status).toBe('succeeded');
    expect(second.warnings.join('\n')).toMatch(/under half the last one/);
    const vault = await env.vault();
    const item = (await vault.snapshot(second.snapshot ?? '')).items[0];
    expect(JSON.parse(item?.info.warnings ?? '[]')[0]).toMatch(/under half/);
    const { snapshots } = await env.engine.call('backupSnapshots', { vault: env.vaultDir, vaultPassphrase: passphrase });
    expect(snapshots.find((s) => s.id === second.snapshot)?.items[0]?.warnings[0]).toMatch(/under half/);
  });

  it('stops the containers that use an item during the copy and starts them again when the copy fails', async () => {
    const startedAt = () => docker('inspect', '-f', '{{.State.StartedAt}}', app);
    const before = startedAt();
    try {
      fakePgDump('echo partial; exit 5');
      const summary = await backup(env, [small], { stopContainersFor: [small] });
      expect(summary.items[0]?.status).toBe('failed');
      expect(docker('inspect', '-f', '{{.State.Running}}', app)).toBe('true');
      expect(startedAt()).not.toBe(before);
      const { logs } = await env.engine.call('jobLogs', { id: summary.jobId });
      const text = logs.map((l) => l.message).join('\n');
      expect(text).toContain(`stopping ${app}`);
      expect(text).toContain(`started ${app} again`);
      // The database server itself is never stopped: the dump needs it.
      expect(text).not.toContain(`stopping ${db}`);
    } finally {
      realPgDump();
    }
  });
});
