import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerInspect, VolumeInspect } from '../../../src-main/discovery/docker-types';
import { buildStacks, itemId } from '../../../src-main/discovery/inventory';

const fixtures = join(__dirname, 'fixtures');
const containers = (JSON.parse(readFileSync(join(fixtures, 'lab-containers.json'), 'utf8')) as ContainerInspect[]).filter((c) => !c.Name.startsWith('/scale'));
const volumes = (JSON.parse(readFileSync(join(fixtures, 'lab-volumes.json'), 'utf8')) as VolumeInspect[]).filter((v) => !v.Name.startsWith('scale'));
const wikiDir = '/var/tmp/lifeboat-lab/stacks/wiki';

const stacks = buildStacks({
  containers,
  volumes,
  databases: new Map([
    ['wiki-db-1', { databases: [{ name: 'wiki', sizeBytes: 8_000_000 }] }],
    ['shop-db-1', { databases: [{ name: 'chinook', sizeBytes: 9_000_000 }] }],
    ['photos-db-1', { error: 'the server answered with exit code 1: access denied' }],
  ]),
  sqlite: new Map([['notes_data', [{ path: 'notes.sqlite', sizeBytes: 1_000_000 }]]]),
  stackFiles: new Map([['wiki', [{ path: `${wikiDir}/docker-compose.yml`, sizeBytes: 811 }, { path: `${wikiDir}/.env`, sizeBytes: 176 }]]]),
  certs: new Map([[`${wikiDir}/config`, [{ path: `${wikiDir}/config/tls/wiki.key`, sizeBytes: 200 }]]]),
  sizes: new Map([['volume:wiki_uploads', 70_000_000]]),
});
const items = stacks.flatMap((s) => s.items);
const ids = items.map((i) => i.id).sort();

describe('buildStacks on the captured lab', () => {
  it('finds the seeded stacks, standalone last', () => {
    expect(stacks.map((s) => s.name)).toEqual(['notes', 'photos', 'shop', 'wiki', '_']);
    expect(stacks.find((s) => s.name === '_')?.containers.map((c) => c.name)).toEqual(['lab-standalone', 'lab-stopped']);
  });

  it('gives every item a stable <stack>/<kind>:<name> id', () => {
    expect(ids).toEqual(
      [
        'notes/sqlite:notes_data/notes.sqlite',
        'notes/volume:notes_data',
        'photos/mysql:*',
        'photos/volume:photos_db',
        'photos/volume:photos_media',
        'shop/postgres:@globals',
        'shop/postgres:chinook',
        'shop/volume:shop_db',
        'wiki/bind:/var/tmp/lifeboat-lab/stacks/wiki/config',
        'wiki/postgres:@globals',
        'wiki/postgres:wiki',
        'wiki/secrets:certs',
        'wiki/secrets:compose',
        'wiki/volume:wiki_db',
        'wiki/volume:wiki_uploads',
        '_/volume:lab_dangling',
        '_/volume:standalone_data',
      ].sort(),
    );
    expect(itemId('_', 'volume', 'x')).toBe('_/volume:x');
  });

  it('marks listed databases\' data volumes covered, and not when the listing failed', () => {
    const get = (id: string) => items.find((i) => i.id === id);
    expect(get('wiki/volume:wiki_db')).toMatchObject({ covered: true, coveredBy: ['wiki/postgres:wiki', 'wiki/postgres:@globals'] });
    expect(get('wiki/volume:wiki_uploads')).toMatchObject({ covered: false, sizeBytes: 70_000_000 });
    expect(get('photos/volume:photos_db')?.covered).toBe(false);
    expect(get('photos/mysql:*')?.notes[0]).toContain('access denied');
  });

  it('flags secrets and notes dangling volumes', () => {
    const get = (id: string) => items.find((i) => i.id === id);
    expect(get('wiki/secrets:compose')).toMatchObject({ secret: true, files: [`${wikiDir}/docker-compose.yml`, `${wikiDir}/.env`], sizeBytes: 987 });
    expect(get('wiki/secrets:certs')?.secret).toBe(true);
    expect(get('_/volume:lab_dangling')?.notes).toContain('not used by any container');
    expect(get('wiki/bind:/var/tmp/lifeboat-lab/stacks/wiki/config')?.notes).toContain('mounted read-only');
  });

  it('never carries env values', () => {
    const text = JSON.stringify(stacks);
    for (const c of containers) {
      for (const e of c.Config?.Env ?? []) {
        const value = e.slice(e.indexOf('=') + 1);
        if (value.length > 8 && !value.startsWith('/')) expect(text).not.toContain(value);
      }
    }
  });

  it('prefixes database names with the service when a stack has two servers of a kind', () => {
    const db = containers.find((c) => c.Name === '/wiki-db-1') as ContainerInspect;
    const twin = { ...db, Id: 'twin', Name: '/wiki-db2-1', Config: { ...db.Config, Labels: { ...db.Config?.Labels, 'com.docker.compose.service': 'db2' } }, Mounts: [] };
    const s = buildStacks({ containers: [db, twin], volumes: [], databases: new Map([['wiki-db-1', { databases: [{ name: 'wiki' }] }], ['wiki-db2-1', { databases: [{ name: 'wiki' }] }]]) });
    expect(s[0]?.items.map((i) => i.id)).toEqual(['wiki/postgres:db/@globals', 'wiki/postgres:db/wiki', 'wiki/postgres:db2/@globals', 'wiki/postgres:db2/wiki']);
  });
});
