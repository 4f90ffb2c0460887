import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerInfo, databaseKind, dataMount, envNames, isSystemBind, safeLabels, stackOf } from '../../../src-main/discovery/classify';
import type { ContainerInspect } from '../../../src-main/discovery/docker-types';

const fixtures = join(__dirname, 'fixtures');
const containers = JSON.parse(readFileSync(join(fixtures, 'lab-containers.json'), 'utf8')) as ContainerInspect[];
const byName = (name: string) => {
  const c = containers.find((x) => x.Name === `/${name}`);
  if (!c) throw new Error(`fixture has no ${name}`);
  return c;
};

describe('classifiers on captured docker inspect JSON', () => {
  it('groups containers into compose stacks, others into _', () => {
    expect(stackOf(byName('wiki-db-1'))).toEqual({
      name: 'wiki',
      compose: true,
      service: 'db',
      workingDir: '/var/tmp/lifeboat-lab/stacks/wiki',
      configFiles: ['/var/tmp/lifeboat-lab/stacks/wiki/docker-compose.yml'],
    });
    expect(stackOf(byName('lab-standalone')).name).toBe('_');
    expect(stackOf(byName('lab-stopped')).compose).toBe(false);
  });

  it('detects database servers and only them', () => {
    const kinds = Object.fromEntries(containers.map((c) => [c.Name.slice(1), databaseKind(c) ?? null]));
    expect(kinds).toMatchObject({
      'wiki-db-1': 'postgres',
      'shop-db-1': 'postgres',
      'photos-db-1': 'mysql',
      'wiki-app-1': null,
      'photos-app-1': null,
      'notes-app-1': null,
      'lab-standalone': null,
      'lab-stopped': null,
    });
  });

  it('detects a database from its processes when image and env say nothing', () => {
    const plain: ContainerInspect = { Id: 'x', Name: '/custom', Config: { Image: 'acme/app:1', Env: [] } };
    expect(databaseKind(plain)).toBeUndefined();
    expect(databaseKind(plain, ['/usr/lib/postgresql/15/bin/postgres -D /data'])).toBe('postgres');
    expect(databaseKind(plain, ['mariadbd --user=mysql'])).toBe('mysql');
  });

  it('does not mistake a database client app for a server', () => {
    const client: ContainerInspect = { Id: 'y', Name: '/app', Config: { Image: 'ghost:5', Env: ['MYSQL_HOST=db', 'MYSQL_USER=ghost'] } };
    expect(databaseKind(client)).toBeUndefined();
  });

  it('finds the data volume of each database', () => {
    expect(dataMount(byName('wiki-db-1'), 'postgres')?.name).toBe('wiki_db');
    expect(dataMount(byName('photos-db-1'), 'mysql')?.name).toBe('photos_db');
    const parent: ContainerInspect = {
      Id: 'z',
      Name: '/pg',
      Config: { Env: ['PGDATA=/var/lib/postgresql/data/pgdata'] },
      Mounts: [{ Type: 'volume', Name: 'pg', Source: '/v', Destination: '/var/lib/postgresql/data', RW: true }],
    };
    expect(dataMount(parent, 'postgres')?.name).toBe('pg');
  });

  it('reports env names only and hides secret-looking label values', () => {
    const c = byName('wiki-app-1');
    const info = containerInfo(c);
    expect(info.envNames).toContain('WIKI_DB_PASSWORD');
    expect(JSON.stringify(info)).not.toMatch(/WIKI_DB_PASSWORD=/);
    expect(envNames(c).every((n) => !n.includes('='))).toBe(true);
    expect(safeLabels({ Id: 'l', Name: '/l', Config: { Labels: { 'traefik.http.middlewares.a.basicauth.users': 'u:$apr1$x', 'com.docker.compose.service': 'app' } } })).toEqual({
      'traefik.http.middlewares.a.basicauth.users': '<hidden>',
      'com.docker.compose.service': 'app',
    });
  });

  it('ignores operating-system bind mounts', () => {
    expect(isSystemBind('/var/run/docker.sock')).toBe(true);
    expect(isSystemBind('/proc/sys')).toBe(true);
    expect(isSystemBind('/etc/localtime')).toBe(true);
    expect(isSystemBind('/var/tmp/lifeboat-lab/stacks/wiki/config')).toBe(false);
    expect(isSystemBind('/srv/proc-data')).toBe(false);
  });
});
