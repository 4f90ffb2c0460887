import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src-main/engine/paths';
import { labInfo } from '../../helpers/lab';
import { dbLab, execIn } from '../restore/db-helpers';
import { docker } from '../../helpers/volume-pull';
import { type BackupLab, backup, statuses, storedBytes } from './backup-helpers';

/**
 * Every name a server controls, made hostile: the compose project (so every item id), a
 * PostgreSQL database and table, a MariaDB database, a SQLite file in a volume, an env_file
 * and the stack's working directory. Each would create a marker file under /tmp (on the host
 * or in a container) if anything were ever executed.
 */
const tag = `${process.pid}`;
const marker = (n: number) => `/tmp/lbp${tag}-${n}`;
const project = `lbmeta${tag}$(touch ${marker(1)});x`;
const pgName = `m$(touch ${marker(2)});'x'"y"\`touch ${marker(3)}\`|&*`;
const tableName = `t $(touch ${marker(4)}) 'x'`;
const myName = `m$(touch ${marker(5)});'q' |&*`;
/** File names cannot hold "/", so their markers are relative: they would land in the shell's working directory. */
const relMarker = `PWNED-${tag}`;
const fileName = `db $(touch ${relMarker}) 'x' \`touch ${relMarker}b\`.sqlite`;
const evilDir = `it's $(touch ${marker(8)}) ;&|<> "q" *`;
const root = `/tmp/lbbk-meta-${tag}`;
const dir = join(root, evilDir);
const names = { pg: `lbmeta-${tag}-pg`, my: `lbmeta-${tag}-my`, app: `lbmeta-${tag}-app`, volume: `lbmeta_${tag}_data` };

function labels(service: string): string[] {
  return ['--label', 'org.lifeboat.test=backup-meta', '--label', `com.docker.compose.project=${project}`, '--label', `com.docker.compose.service=${service}`, '--label', `com.docker.compose.project.working_dir=${dir}`, '--label', `com.docker.compose.project.config_files=${join(dir, 'docker-compose.yml')}`];
}

async function ready(container: string, probe: string): Promise<void> {
  const end = Date.now() + 90_000;
  for (;;) {
    try {
      execIn(container, probe);
      return;
    } catch {
      if (Date.now() > end) throw new Error(`${container} did not become ready`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function markersFound(): string[] {
  const hit = (f: string) => f.startsWith(`lbp${tag}-`) || f.startsWith(relMarker);
  const found = ['/tmp', '/', '/root', root].flatMap((d) => (existsSync(d) ? readdirSync(d).filter(hit).map((f) => join(d, f)) : []));
  for (const c of [names.pg, names.my, names.app]) {
    const inside = execIn(c, `ls -a /tmp / /data /var/lib/postgresql /var/lib/mysql 2>/dev/null | grep -c '^lbp${tag}-\\|^${relMarker}' || true`).toString().trim();
    if (inside !== '0') found.push(`${c}: ${inside}`);
  }
  return found;
}

describe('names with shell metacharacters in a backup', () => {
  let env: BackupLab;
  let ids: string[] = [];

  beforeAll(async () => {
    const images = (labInfo() as { images?: Record<string, string> }).images ?? {};
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'docker-compose.yml'), `services:\n  app:\n    env_file:\n      - ./${fileName}.env\n`);
    writeFileSync(join(dir, `${fileName}.env`), 'TOKEN=not-a-real-one\n');
    writeFileSync(join(dir, '.env'), 'A=1\n', { mode: 0o600 });
    docker('rm', '-f', '-v', names.pg, names.my, names.app);
    docker('volume', 'rm', '-f', names.volume);
    docker('volume', 'create', '--label', 'org.lifeboat.test=backup-meta', '--label', `com.docker.compose.project=${project}`, names.volume);
    const mountpoint = docker('volume', 'inspect', names.volume, '--format', '{{.Mountpoint}}');
    copyFileSync(join(packageRoot(), '..', 'shared', 'fixtures', 'chinook', 'Chinook_Sqlite.sqlite'), join(mountpoint, fileName));
    docker('run', '-d', '--name', names.pg, ...labels('pg'), '--network', 'none', '-e', 'POSTGRES_USER=app', '-e', 'POSTGRES_PASSWORD=not-a-real-secret-2', images.postgres ?? '');
    docker('run', '-d', '--name', names.my, ...labels('my'), '--network', 'none', '-e', 'MARIADB_ROOT_PASSWORD=not-a-real-secret-3', images.mariadb ?? '');
    docker('run', '-d', '--name', names.app, ...labels('app'), '--network', 'none', '-v', `${names.volume}:/data`, images.app ?? '');
    await ready(names.pg, 'pg_isready -q -h 127.0.0.1');
    const ident = (n: string) => `"${n.replace(/"/g, '""')}"`;
    execIn(names.pg, 'psql -v ON_ERROR_STOP=1 -q -U app -d app', `CREATE DATABASE ${ident(pgName)};`);
    execFileSync('docker', ['exec', '-i', '-e', `PGDATABASE=${pgName}`, names.pg, 'psql', '-v', 'ON_ERROR_STOP=1', '-q', '-U', 'app'], { input: `CREATE TABLE ${ident(tableName)} AS SELECT generate_series(1, 42) AS i;` });
    await ready(names.my, 'mariadb-admin --protocol=tcp -h127.0.0.1 -uroot -p"$MARIADB_ROOT_PASSWORD" ping');
    execIn(names.my, 'mariadb -uroot -p"$MARIADB_ROOT_PASSWORD"', `CREATE DATABASE \`${myName}\`; CREATE TABLE \`${myName}\`.t (i int); INSERT INTO \`${myName}\`.t VALUES (1),(2),(3);`);
    env = await dbLab();
    const inv = await env.engine.call('discover', { host: 'lab' });
    ids = inv.stacks.filter((s) => s.name === project).flatMap((s) => s.items.filter((i) => i.kind !== 'volume').map((i) => i.id));
  }, 240_000);

  afterAll(async () => {
    await env?.close();
    docker('rm', '-f', '-v', names.pg, names.my, names.app);
    docker('volume', 'rm', '-f', names.volume);
    rmSync(root, { recursive: true, force: true });
    for (let n = 1; n <= 8; n++) rmSync(marker(n), { force: true });
  });

  it('would notice a marker (the check itself works)', () => {
    execIn(names.app, `touch /tmp/lbp${tag}-99`);
    expect(markersFound()).toEqual([`${names.app}: 1`]);
    execIn(names.app, `rm /tmp/lbp${tag}-99`);
    expect(markersFound()).toEqual([]);
  });

  it('finds every hostile item', () => {
    expect(ids).toEqual(
      expect.arrayContaining([`${project}/postgres:${pgName}`, `${project}/postgres:@globals`, `${project}/mysql:${myName}`, `${project}/sqlite:${names.volume}/${fileName}`, `${project}/secrets:compose`]),
    );
  });

  it('backs them all up and executes nothing', async () => {
    const summary = await backup(env, ids);
    expect(statuses(summary)).toEqual(Object.fromEntries(ids.map((i) => [i, 'succeeded'])));
    expect(markersFound()).toEqual([]);
    expect(existsSync(marker(1))).toBe(false);
    const vault = await env.vault();
    const snapshot = await vault.snapshot(summary.snapshot ?? '');
    const pg = snapshot.items.find((i) => i.name === `${project}/postgres:${pgName}`);
    expect(pg?.info.database).toBe(pgName);
    expect(JSON.parse(pg?.info.rows ?? '{}')).toEqual({ [`public.${tableName}`]: 42 });
    const toc = execIn(names.pg, 'pg_restore --list; rc=$?; cat >/dev/null; exit $rc', await storedBytes(vault, snapshot.id, `${project}/postgres:${pgName}`)).toString();
    expect(toc).toContain('TABLE DATA public');
    const my = snapshot.items.find((i) => i.name === `${project}/mysql:${myName}`);
    expect(JSON.parse(my?.info.rows ?? '{}')).toEqual({ t: 3 });
    const dump = (await storedBytes(vault, snapshot.id, `${project}/mysql:${myName}`)).toString();
    expect(dump).toContain('-- Dump completed');
    const files: string[] = [];
    for await (const e of vault.readTree(snapshot, `${project}/secrets:compose`)) files.push(e.path);
    expect(files).toContain(join(dir, `${fileName}.env`).slice(1));
  });
});
