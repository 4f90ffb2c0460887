import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src-main/vault/snapshots';
import { packageRoot } from '../../../src-main/engine/paths';
import { labInfo } from '../../helpers/lab';
import { pseudoRandom } from '../../unit/vault/helpers';
import { dbLab, execIn } from '../restore/db-helpers';
import { docker } from '../../helpers/volume-pull';
import { type BackupLab, backup, statuses } from './backup-helpers';

/**
 * A throwaway stack `lbsq<pid>`: an app container WITH sqlite3 (online copies: a rollback
 * journal database under constant writes, a WAL database with committed rows still in its
 * -wal file) and a tools container WITHOUT it (copies with the container stopped: a good file
 * and a damaged one).
 */
const project = `lbsq${process.pid}`;
const withTool = `${project}-app-1`;
const without = `${project}-tools-1`;
const volOnline = `${project}_online`;
const volOffline = `${project}_offline`;
const id = (volume: string, file: string) => `${project}/sqlite:${volume}/${file}`;
const chinook = join(packageRoot(), '..', 'shared', 'fixtures', 'chinook', 'Chinook_Sqlite.sqlite');

function labels(service: string): string[] {
  return ['--label', 'org.lifeboat.test=backup-sqlite', '--label', `com.docker.compose.project=${project}`, '--label', `com.docker.compose.service=${service}`];
}

describe('SQLite copies', () => {
  let env: BackupLab;
  const rowsOf = (s: Snapshot, name: string) => JSON.parse(s.items.find((i) => i.name === name)?.info.rows ?? '{}') as Record<string, number>;

  beforeAll(async () => {
    const images = (labInfo() as { images?: Record<string, string> }).images ?? {};
    docker('rm', '-f', withTool, without);
    for (const v of [volOnline, volOffline]) {
      docker('volume', 'rm', '-f', v);
      docker('volume', 'create', '--label', 'org.lifeboat.test=backup-sqlite', '--label', `com.docker.compose.project=${project}`, v);
    }
    const online = docker('volume', 'inspect', volOnline, '--format', '{{.Mountpoint}}');
    const offline = docker('volume', 'inspect', volOffline, '--format', '{{.Mountpoint}}');
    copyFileSync(chinook, join(online, 'busy.sqlite'));
    copyFileSync(chinook, join(online, 'wal.sqlite'));
    copyFileSync(chinook, join(offline, 'good.sqlite'));
    // A SQLite header (so discovery lists it) over damaged pages.
    writeFileSync(join(offline, 'bad.sqlite'), Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.from([0x10, 0x00, 1, 1, 0, 64, 32, 32]), pseudoRandom(64 * 1024, 9)]));
    docker('run', '-d', '--name', withTool, ...labels('app'), '--network', 'none', '-v', `${volOnline}:/data`, images.app ?? '');
    docker('run', '-d', '--name', without, ...labels('tools'), '--network', 'none', '-v', `${volOffline}:/data`, images.tools ?? '');
    env = await dbLab();
  });
  afterAll(async () => {
    await env?.close();
    docker('rm', '-f', withTool, without);
    docker('volume', 'rm', '-f', volOnline, volOffline);
  });

  it('copies online while a writer inserts (rollback journal) and while rows wait in the -wal file (WAL)', async () => {
    // A WAL connection that keeps 500 committed rows in the -wal file (no checkpoint) and stays open.
    execIn(withTool, "sqlite3 /data/wal.sqlite 'PRAGMA journal_mode=WAL;' >/dev/null");
    docker('exec', '-d', withTool, 'sh', '-c', "(printf 'PRAGMA wal_autocheckpoint=0;\\nCREATE TABLE extra(i);\\nWITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<500) INSERT INTO extra SELECT i FROM c;\\n'; sleep 20) | sqlite3 /data/wal.sqlite");
    // A writer that keeps inserting into the rollback-journal database during the copy.
    docker('exec', '-d', withTool, 'sh', '-c', "sqlite3 /data/busy.sqlite 'CREATE TABLE log(i);'; i=0; while [ $i -lt 200 ]; do sqlite3 /data/busy.sqlite '.timeout 5000' \"INSERT INTO log VALUES ($i);\"; i=$((i+1)); done");
    await new Promise((r) => setTimeout(r, 500));
    const tmpBefore = execIn(withTool, 'ls -A /tmp').toString().trim();
    expect(Number(execIn(withTool, 'ls -l /data/wal.sqlite-wal | awk \'{print $5}\'').toString())).toBeGreaterThan(0);
    const summary = await backup(env, [id(volOnline, 'busy.sqlite'), id(volOnline, 'wal.sqlite')]);
    expect(summary.error).toBeUndefined();
    expect(statuses(summary)).toEqual({ [id(volOnline, 'busy.sqlite')]: 'succeeded', [id(volOnline, 'wal.sqlite')]: 'succeeded' });
    const snapshot = await (await env.vault()).snapshot(summary.snapshot ?? '');
    const wal = snapshot.items.find((i) => i.name === id(volOnline, 'wal.sqlite'));
    expect(wal?.info.journalMode).toBe('wal');
    expect(wal?.info.method).toMatch(/-wal under a read transaction, merged here/);
    expect(rowsOf(snapshot, id(volOnline, 'wal.sqlite')).extra).toBe(500);
    const busy = snapshot.items.find((i) => i.name === id(volOnline, 'busy.sqlite'));
    expect(busy?.info.journalMode).toBe('delete');
    expect(rowsOf(snapshot, id(volOnline, 'busy.sqlite')).Track).toBe(3503);
    // Nothing was written on the server: /tmp is as it was, and beside the databases only
    // SQLite's own files exist.
    expect(execIn(withTool, 'ls -A /tmp').toString().trim()).toBe(tmpBefore);
    expect(execIn(withTool, 'ls -A /data').toString().trim().split('\n').sort()).toEqual(['busy.sqlite', 'wal.sqlite', 'wal.sqlite-shm', 'wal.sqlite-wal']);
  });

  it('copies with the users stopped where no container has sqlite3, starts them again, and refuses a damaged file', async () => {
    const startedAt = () => docker('inspect', '-f', '{{.State.StartedAt}}', without);
    const before = startedAt();
    const summary = await backup(env, [id(volOffline, 'good.sqlite'), id(volOffline, 'bad.sqlite')]);
    expect(statuses(summary)).toEqual({ [id(volOffline, 'good.sqlite')]: 'succeeded', [id(volOffline, 'bad.sqlite')]: 'failed' });
    expect(summary.items[1]?.message).toMatch(/integrity_check|not a SQLite database|malformed/);
    expect(docker('inspect', '-f', '{{.State.Running}}', without)).toBe('true');
    expect(startedAt()).not.toBe(before);
    const snapshot = await (await env.vault()).snapshot(summary.snapshot ?? '');
    expect(snapshot.items.map((i) => i.name)).toEqual([id(volOffline, 'good.sqlite')]);
    expect(snapshot.items[0]?.info.method).toMatch(/stopped/);
    expect(rowsOf(snapshot, id(volOffline, 'good.sqlite')).Track).toBe(3503);
  });
});
