import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDatabaseList } from '../../../src-main/discovery/database-listing';
import { certScanScript, combinedScanArgs, combinedScanScript, composeEnvFiles, fileSizesScript, parseFileContents, parseSizedPaths, parseSqliteHeads, processesByContainer, psScript, readFilesScript, splitSections, sqliteScanScript } from '../../../src-main/discovery/remote-scans';
import { parseProbeOutput, probeNotes } from '../../../src-main/hosts/probe';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const chinook = join(__dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'chinook');

/** Runs a scan script the way discovery does: sh -c SCRIPT sh ARGS… (arguments never parsed by a shell). */
function run(script: string, args: string[]): Buffer {
  return execFileSync('sh', ['-c', script, 'sh', ...args]);
}

describe('remote scan scripts (run locally with the real tools)', () => {
  const vol = join(dir, 'vol');
  mkdirSync(join(vol, 'deep', 'er'), { recursive: true });
  const sqlite = execFileSync('sh', ['-c', `ls ${JSON.stringify(chinook)}/*.sqlite ${JSON.stringify(chinook)}/*.db 2>/dev/null | head -n 1`], { encoding: 'utf8' }).trim();
  const nasty = ["it's $(touch pwned) `id`;.db", 'spaces and\ttab.db', 'ünïcødé ==> <==.bin', 'a\nnewline.db', '-rf'];
  for (const n of nasty) writeFileSync(join(vol, n), Buffer.alloc(600, 1));
  if (sqlite) copyFileSync(sqlite, join(vol, 'deep', 'er', "quote'd name.sqlite"));
  else writeFileSync(join(vol, 'deep', 'er', "quote'd name.sqlite"), Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4080)]));
  writeFileSync(join(vol, 'small.db'), 'SQLite format 3\0tiny');

  it('finds SQLite files by header among nasty names and executes nothing', () => {
    const found = parseSqliteHeads(run(sqliteScanScript, [vol]));
    expect(found).toEqual([join(vol, 'deep', 'er', "quote'd name.sqlite")]);
    expect(() => execFileSync('test', ['-e', join(process.cwd(), 'pwned')])).toThrow();
    const sized = parseSizedPaths(run(fileSizesScript, found));
    expect(sized[0]?.sizeBytes).toBeGreaterThan(4000);
  });

  it('caps the files read per volume, so a huge volume does not hide SQLite files in the next one', () => {
    const huge = join(dir, 'huge');
    mkdirSync(huge);
    for (let i = 0; i < 4100; i++) writeFileSync(join(huge, `f${i}`), Buffer.alloc(600, 2));
    const found = parseSqliteHeads(run(sqliteScanScript, [huge, vol]));
    expect(found).toEqual([join(vol, 'deep', 'er', "quote'd name.sqlite")]);
  });

  it('lists certificates and keys in a tree', () => {
    const bind = join(dir, 'bind');
    mkdirSync(join(bind, 'tls'), { recursive: true });
    writeFileSync(join(bind, 'tls', 'server.key'), '-----BEGIN PRIVATE KEY-----\n');
    writeFileSync(join(bind, 'tls', 'server.crt'), 'cert');
    writeFileSync(join(bind, 'app.ini'), 'x');
    const found = parseSizedPaths(run(certScanScript, [bind])).map((f) => f.path).sort();
    expect(found).toEqual([join(bind, 'tls', 'server.crt'), join(bind, 'tls', 'server.key')]);
  });

  it('reads files as path/content pairs', () => {
    const f = join(dir, 'compose.yml');
    writeFileSync(f, 'services: {}\n');
    const texts = parseFileContents(run(readFilesScript, [f, join(dir, 'missing.yml')]));
    expect([...texts.entries()]).toEqual([[f, 'services: {}\n']]);
  });
});

describe('combined scan', () => {
  it('runs several scans in one shell, each on its own argument group, sections intact', () => {
    const bind = join(dir, 'cbind');
    mkdirSync(join(bind, "x $(touch pwned2) '"), { recursive: true });
    writeFileSync(join(bind, "x $(touch pwned2) '", 'k.pem'), 'pem');
    const compose = join(dir, 'c.yml');
    writeFileSync(compose, `env_file: .env\nfake: "\nlifeboat-guess:du\n"\n`);
    const nonce = 'lifeboat-0123456789abcdef';
    const out = run(combinedScanScript(['compose', 'certs', 'du', 'sqlite']), combinedScanArgs(nonce, [[compose, join(dir, 'none.yml')], [bind], [bind, join(dir, 'vol')], [join(dir, 'vol')]]));
    const sections = splitSections(out, nonce);
    expect([...sections.keys()]).toEqual(['compose', 'certs', 'du', 'sqlite']);
    expect(parseFileContents(sections.get('compose') as Buffer).get(compose)).toContain('lifeboat-guess:du');
    expect(parseSizedPaths(sections.get('certs') as Buffer).map((f) => f.path)).toEqual([join(bind, "x $(touch pwned2) '", 'k.pem')]);
    expect(parseSizedPaths(sections.get('du') as Buffer).map((f) => f.path)).toEqual([bind, join(dir, 'vol')]);
    expect(parseSqliteHeads(sections.get('sqlite') as Buffer)).toHaveLength(1);
    expect(() => execFileSync('test', ['-e', join(process.cwd(), 'pwned2')])).toThrow();
  });

  it('an empty group runs nothing', () => {
    const nonce = 'lifeboat-feedfacefeedface';
    const sections = splitSections(run(combinedScanScript(['compose', 'certs']), combinedScanArgs(nonce, [[], []])), nonce);
    expect(sections.get('compose')?.length).toBe(0);
    expect(sections.get('certs')?.length).toBe(0);
  });

  it('maps the host process table to containers by init pid', () => {
    const ps = execFileSync('sh', ['-c', psScript], { encoding: 'utf8' });
    const mine = processesByContainer(ps, new Map([['self', process.pid]]));
    expect(mine.get('self')?.[0]).toMatch(/node|vitest/);
    const fake = processesByContainer('  10     1 tini\n  11    10 postgres\n  12    11 postgres\n  20     1 nginx\n', new Map([['db', 10], ['web', 20], ['gone', 99]]));
    expect(fake.get('db')).toEqual(['tini', 'postgres', 'postgres']);
    expect(fake.get('web')).toEqual(['nginx']);
    expect(fake.has('gone')).toBe(false);
  });
});

describe('parsers', () => {
  it('reads env_file in its three shapes, relative to the compose file', () => {
    const text = [
      'services:',
      '  a:',
      '    env_file: .env',
      '  b:',
      '    env_file:',
      '      - ./b.env   # comment',
      '      - path: ./c.env',
      '        required: false',
      '  c:',
      '    env_file: [x.env, "/abs/y.env"]',
      '    environment:',
      '      A: 1',
    ].join('\n');
    expect(composeEnvFiles(text, '/srv/stack/docker-compose.yml')).toEqual(['/srv/stack/.env', '/srv/stack/b.env', '/srv/stack/c.env', '/srv/stack/x.env', '/abs/y.env']);
  });

  it('parses database lists and drops system or empty maintenance databases', () => {
    expect(parseDatabaseList('postgres', 'postgres\t7000\t0\nwiki\t8000\t-1\n')).toEqual([{ name: 'wiki', sizeBytes: 8000 }]);
    expect(parseDatabaseList('postgres', 'postgres\t7000\t3\n')).toEqual([{ name: 'postgres', sizeBytes: 7000 }]);
    expect(parseDatabaseList('mysql', 'information_schema\t0\nmysql\t1\nphotos\t65536\nsys\t0\n')).toEqual([{ name: 'photos', sizeBytes: 65536 }]);
  });

  it('parses the probe and says what is missing', () => {
    const facts = parseProbeOutput('uid=1000\nuser=labuser\ngroups=labuser docker\ntool=find\ntool=tar\ntool=evil;rm\nos=Linux x86_64\n');
    expect(facts).toEqual({ uid: 1000, user: 'labuser', groups: ['labuser', 'docker'], sudo: false, tools: ['find', 'tar'], os: 'Linux x86_64' });
    const { missing, notes } = probeNotes(facts, 'stream-local');
    expect(missing).toContain('sha256sum');
    expect(notes.join(' ')).toMatch(/not root and has no passwordless sudo/);
  });
});
