import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../../src-main/api/discovery-contract';
import { runCli } from '../../../src-main/cli/run-cli';
import { allCommands } from '../../../src-main/cli/commands/index';
import { discoverHost } from '../../../src-main/discovery/discover';
import { labInfo } from '../../helpers/lab';
import { labSecret, labUrl, makeService, tempHomes } from './hosts-helpers';

const info = labInfo() as ReturnType<typeof labInfo> & {
  stacks: Record<string, { workingDir: string; volumes: string[]; databases?: { engine: string; database: string }[]; sqlite?: { volume: string; path: string }[]; binds?: { source: string }[] }>;
  standalone: { volume: string };
  dangling: { volume: string };
};
let homes: ReturnType<typeof tempHomes>;
const savedEnv = { LIFEBOAT_HOME: process.env.LIFEBOAT_HOME, HOME: process.env.HOME };

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(args, { stdout, stderr, stdin: new PassThrough(), env: process.env }, allCommands);
  return { code, out, err };
}

/** The items the lab seeds, derived from lab:info (databases → dumps, their volumes covered). */
function expectedItems(): string[] {
  const ids: string[] = [];
  for (const [name, s] of Object.entries(info.stacks)) {
    const dataVolumes = new Set<string>();
    for (const db of s.databases ?? []) {
      const kind = db.engine === 'postgres' ? 'postgres' : 'mysql';
      ids.push(`${name}/${kind}:${db.database}`);
      if (kind === 'postgres') ids.push(`${name}/postgres:@globals`);
      dataVolumes.add(s.volumes.find((v) => v.endsWith('_db')) ?? '');
    }
    for (const v of s.volumes) ids.push(`${name}/volume:${v}`);
    for (const q of s.sqlite ?? []) ids.push(`${name}/sqlite:${q.volume}${q.path.replace(/^\/data/, '')}`);
    for (const b of s.binds ?? []) ids.push(`${name}/bind:${b.source}`);
    ids.push(`${name}/secrets:compose`);
  }
  ids.push('wiki/secrets:certs', `_/volume:${info.standalone.volume}`, `_/volume:${info.dangling.volume}`);
  return [...new Set(ids)].sort();
}

function seededIds(inv: Inventory): string[] {
  const lab = new Set([...Object.keys(info.stacks), '_']);
  return inv.stacks
    .filter((s) => lab.has(s.name))
    .flatMap((s) => s.items.map((i) => i.id))
    .filter((id) => !id.startsWith('_/') || id === `_/volume:${info.standalone.volume}` || id === `_/volume:${info.dangling.volume}`)
    .sort();
}

beforeAll(() => {
  homes = tempHomes();
  process.env.LIFEBOAT_HOME = homes.home;
  process.env.HOME = homes.userHome;
});
afterAll(() => {
  process.env.LIFEBOAT_HOME = savedEnv.LIFEBOAT_HOME;
  process.env.HOME = savedEnv.HOME;
  if (savedEnv.LIFEBOAT_HOME === undefined) delete process.env.LIFEBOAT_HOME;
  homes.cleanup();
});

describe('discovery of the seeded lab', () => {
  let inv: Inventory;

  it('host add and discover through the CLI', async () => {
    const add = await cli(['host', 'add', 'lab', labUrl(), '--identity', info.ssh.identityFile, '--fingerprint', info.ssh.hostKeyFingerprint]);
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    expect(add.out).toContain(info.ssh.hostKeyFingerprint);
    const list = await cli(['host', 'list', '--json']);
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ name: 'lab', url: labUrl() })]);
    const d = await cli(['discover', 'lab', '--json']);
    expect(d.code).toBe(0);
    inv = JSON.parse(d.out) as Inventory;
    const text = await cli(['discover', 'lab']);
    expect(text.out).toContain('wiki/postgres:wiki');
  });

  it('finds exactly the seeded stacks and items, with the right kinds', () => {
    expect(seededIds(inv)).toEqual(expectedItems());
    for (const s of inv.stacks) for (const i of s.items) expect(i.id).toBe(`${s.name}/${i.kind}:${i.name}`);
    const wiki = inv.stacks.find((s) => s.name === 'wiki');
    expect(wiki?.containers.map((c) => c.name)).toEqual(['wiki-app-1', 'wiki-db-1']);
    expect(wiki?.workingDir).toBe(info.stacks.wiki?.workingDir);
    const items = inv.stacks.flatMap((s) => s.items);
    expect(items.find((i) => i.id === 'wiki/volume:wiki_db')?.covered).toBe(true);
    expect(items.find((i) => i.id === 'photos/volume:photos_db')?.covered).toBe(true);
    expect(items.find((i) => i.id === 'wiki/volume:wiki_uploads')?.sizeBytes).toBeGreaterThan(64 * 2 ** 20);
    expect(items.find((i) => i.id === 'shop/postgres:chinook')?.sizeBytes).toBeGreaterThan(0);
    expect(items.find((i) => i.id === 'wiki/secrets:certs')?.files?.map((f) => f.split('/').pop())).toEqual(['wiki.crt', 'wiki.key']);
    expect(items.find((i) => i.id === 'wiki/secrets:compose')?.files).toContain(`${info.stacks.wiki?.workingDir}/.env`);
  });

  it('lists env names but never env values', async () => {
    const text = JSON.stringify(inv);
    expect(text).toContain('POSTGRES_PASSWORD');
    const env = JSON.parse(await cli(['discover', 'lab']).then((r) => JSON.stringify(r.out + r.err))) as string;
    for (const name of ['wiki', 'shop', 'photos', 'notes']) {
      const secrets = labSecret(`${info.stacks[name]?.workingDir}/.env`).split('\n').map((l) => l.split('=').slice(1).join('=')).filter((v) => v.length >= 8);
      for (const s of secrets) {
        expect(text).not.toContain(s);
        expect(env).not.toContain(s);
      }
    }
  });
});

describe('discovery as a non-root user (docker group, no sudo)', () => {
  it('finds the same databases and SQLite files through containers', async () => {
    const svc = makeService(tempHomes());
    await svc.add('pw', labUrl(info.ssh.passwordUser), { password: labSecret(info.ssh.passwordFile), fingerprints: [info.ssh.hostKeyFingerprint] });
    const conn = await svc.open('pw', {});
    try {
      const inv = await discoverHost(conn);
      const ids = inv.stacks.flatMap((s) => s.items.map((i) => i.id));
      expect(ids).toContain('notes/sqlite:notes_data/notes.sqlite');
      expect(ids).toContain('shop/postgres:chinook');
      expect(ids).toContain('photos/mysql:photos');
      expect(inv.access?.fileAccess).toBe('none');
      expect(inv.stacks.flatMap((s) => s.items).find((i) => i.id === 'photos/volume:photos_media')?.sizeBytes).toBeGreaterThan(0);
    } finally {
      conn.close();
    }
  });
});
