import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupSummary } from '../../../src-main/api/backup-contract';
import type { Item } from '../../../src-main/api/discovery-contract';
import { LifeboatError } from '../../../src-main/api/errors';
import type { JobState } from '../../../src-main/api/jobs-contract';
import { type BackupRequest, type RunnerDeps, redactor, runBackup } from '../../../src-main/backup/backup-runner';
import type { BackupSource } from '../../../src-main/backup/source';
import { openVaultSession } from '../../../src-main/backup/vault-session';
import type { HostConnection } from '../../../src-main/hosts/host-service';
import { JobJournal } from '../../../src-main/jobs/job-journal';
import { JobRunner } from '../../../src-main/jobs/job-runner';
import { PASS, pieces, tempDir, textLike } from '../vault/helpers';
import { initVault } from '../../../src-main/vault/vault';
import { container, inventoryOf, item } from './fixtures';

const inventory = inventoryOf([
  {
    name: 'wiki',
    compose: true,
    configFiles: [],
    containers: [container('wiki-db-1'), container('wiki-app-1', { mounts: [{ type: 'volume', name: 'wiki_uploads', source: '/v', destination: '/srv', rw: true }] }), container('wiki-old-1', { state: 'exited' })],
    items: [
      item('wiki', 'postgres', 'wiki', { container: 'wiki-db-1' }),
      item('wiki', 'postgres', 'broken', { container: 'wiki-db-1' }),
      item('wiki', 'volume', 'wiki_db', { covered: true, volume: 'wiki_db' }),
      item('wiki', 'volume', 'wiki_uploads', { volume: 'wiki_uploads' }),
      item('wiki', 'bind', '/etc/wiki', { path: '/etc/wiki' }),
    ],
  },
]);

/** Records docker stop/start calls, in order. */
function fakeConn(calls: string[]): HostConnection {
  const docker = { getContainer: (name: string) => ({ stop: async () => void calls.push(`stop ${name}`), start: async () => void calls.push(`start ${name}`) }) };
  return { host: { name: 'nas' } as HostConnection['host'], docker: docker as unknown as HostConnection['docker'], close: () => void calls.push('close') };
}

/** Dumps store text; `broken` fails halfway; volumes store a tree; binds have no source. */
const fakeSources = (kind: Item['kind']): BackupSource | undefined => {
  if (kind === 'postgres') {
    return {
      kinds: ['postgres'],
      async backup(ctx) {
        const data = textLike(300_000, ctx.item.name.length);
        async function* body() {
          yield* pieces(data.subarray(0, 100_000));
          if (ctx.item.name === 'broken') throw new LifeboatError('remote-failed', 'pg_dump of "broken" failed (exit 1): PGPASSWORD=hunter2-secret rejected', 'fix it');
          yield* pieces(data.subarray(100_000));
        }
        const stored = await ctx.snapshot.addStream({ name: ctx.item.id, kind: 'postgres', info: { format: 'test' } }, body());
        return { stored, warnings: [], bytesTransferred: stored.size };
      },
    };
  }
  if (kind === 'volume') {
    return {
      kinds: ['volume'],
      async backup(ctx) {
        const tree = ctx.snapshot.addTree({ name: ctx.item.id, kind: 'volume' });
        await tree.addFile({ path: 'a.txt', mode: 0o644, uid: 0, gid: 0, mtime: 0 }, pieces(Buffer.from('hello')));
        return { stored: await tree.close(), warnings: ['one file changed while read'], bytesTransferred: 5 };
      },
    };
  }
  return undefined;
};

describe('the backup run', () => {
  const tmp = tempDir('lifeboat-runner-');
  const home = join(tmp.dir, 'home');
  const vault = join(tmp.dir, 'vault');
  const states: JobState[] = [];
  const journal = new JobJournal(join(home, 'catalog.sqlite'));
  const runner = new JobRunner({ state: (s) => (states.push(s), journal.state(s)), progress: () => undefined, log: (l) => journal.log(l) }, { reportEveryMs: 0 });

  beforeAll(async () => {
    await initVault({ dir: vault, passphrase: PASS, kdfLogN: 16 });
  });
  afterAll(() => {
    journal.close();
    tmp.cleanup();
  });

  function run(req: Partial<BackupRequest>, deps: Partial<RunnerDeps> = {}, calls: string[] = []): Promise<{ summary: BackupSummary; state: JobState }> {
    let summary!: BackupSummary;
    const full: BackupRequest = { host: 'nas', stopContainers: false, stopContainersFor: [], tags: ['t'], connect: { password: 'ssh-secret-pw' }, access: { home, env: {}, vault, passphrase: PASS }, ...req };
    const { done } = runner.submit({
      kind: 'backup',
      label: 'test',
      lane: 'host:nas',
      run: async (ctx) => {
        summary = await runBackup({ openHost: async () => fakeConn(calls), openVault: openVaultSession, discover: async () => inventory, sources: fakeSources, ...deps }, full, ctx);
      },
    });
    return done.then((state) => ({ summary, state }));
  }

  it('saves the good items into one snapshot, leaves the failed one out, skips kinds without a source', async () => {
    const { summary, state } = await run({});
    expect(Object.fromEntries(summary.items.map((i) => [i.item, i.status]))).toEqual({
      'wiki/postgres:wiki': 'succeeded',
      'wiki/postgres:broken': 'failed',
      'wiki/volume:wiki_uploads': 'succeeded',
      'wiki/bind:/etc/wiki': 'skipped',
    });
    expect(summary.items.map((i) => i.item)).not.toContain('wiki/volume:wiki_db');
    expect(summary.status).toBe('partial');
    expect(state.status).toBe('partial');
    expect(summary.warnings).toEqual(['wiki/volume:wiki_uploads: one file changed while read']);
    const session = await openVaultSession({ home, env: {}, vault, passphrase: PASS });
    try {
      const snap = await session.vault.snapshot(summary.snapshot ?? '');
      expect(snap.host).toBe('nas');
      expect(snap.tags).toEqual(['t']);
      expect(snap.items.map((i) => i.name)).toEqual(['wiki/postgres:wiki', 'wiki/volume:wiki_uploads']);
    } finally {
      await session.close();
    }
  });

  it('writes no snapshot when every item fails, and says why', async () => {
    const before = states.length;
    const { summary } = await run({ items: ['wiki/postgres:broken'] });
    expect(summary.status).toBe('failed');
    expect(summary.snapshot).toBeUndefined();
    expect(summary.items[0]?.hint).toBe('fix it');
    expect(states.length).toBeGreaterThan(before);
  });

  it('keeps secrets the caller gave out of messages and the journal', async () => {
    const { summary } = await run({ items: ['wiki/postgres:broken'], connect: { password: 'hunter2-secret' } });
    expect(summary.items[0]?.message).toContain('PGPASSWORD=*** rejected');
    const logs = journal.logs(summary.jobId).map((l) => l.message).join('\n');
    expect(logs).toContain('***');
    expect(logs).not.toContain('hunter2-secret');
    expect(journal.list(10).find((j) => j.state.id === summary.jobId)?.logLines).toBeGreaterThan(0);
    expect(redactor(['abc'])('abc')).toBe('abc'); // too short to be a secret worth masking
  });

  it('refuses unknown item ids and reports a run-level failure', async () => {
    const { summary } = await run({ items: ['wiki/postgres:nope'] });
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(/nas has no item "wiki\/postgres:nope"/);
    const unreachable = await run({}, { openHost: async () => { throw new LifeboatError('unreachable', 'cannot reach nas', 'check it'); } });
    expect(unreachable.summary.error).toBe('cannot reach nas — check it');
    expect(unreachable.summary.items).toEqual([]);
  });

  it('stops the running users of an item during its copy and starts them again, also when it fails', async () => {
    const calls: string[] = [];
    await run({ items: ['wiki/volume:wiki_uploads', 'wiki/postgres:broken'], stopContainers: true }, {}, calls);
    // The volume's user is stopped and restarted; the failed dump's stack apps too — never the server, never a stopped container.
    expect(calls).toEqual(['stop wiki-app-1', 'start wiki-app-1', 'stop wiki-app-1', 'start wiki-app-1', 'close']);
  });
});
