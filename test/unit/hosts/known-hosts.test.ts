import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostKeyStore, hostKeyError, makeHostVerifier } from '../../../src-main/hosts/host-keys';
import { entryMatches, globMatch, knownHostsName, parseKnownHosts, removeHostLines } from '../../../src-main/hosts/known-hosts';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function newKey(type = 'ed25519'): { line: string; blob: Buffer } {
  const file = join(dir, `key${n++}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const [t, b64] = readFileSync(`${file}.pub`, 'utf8').split(' ');
  return { line: `${t} ${b64}`, blob: Buffer.from(b64 ?? '', 'base64') };
}

describe('known_hosts parsing and matching', () => {
  it('names non-standard ports in brackets', () => {
    expect(knownHostsName('nas', 22)).toBe('nas');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches globs and negations like OpenSSH', () => {
    expect(globMatch('*.lan', 'nas.lan')).toBe(true);
    expect(globMatch('10.0.0.?', '10.0.0.7')).toBe(true);
    expect(globMatch('10.0.0.?', '10.0.0.77')).toBe(false);
    const [e] = parseKnownHosts(`*.lan,!evil.lan ${newKey().line}`, 'f');
    expect(e && entryMatches(e, 'nas.lan', 22)).toBe(true);
    expect(e && entryMatches(e, 'evil.lan', 22)).toBe(false);
    expect(e && entryMatches(e, 'nas.lan', 2222)).toBe(false);
  });

  it('matches lines hashed by ssh-keygen -H (|1|salt|hash)', () => {
    const key = newKey();
    const file = join(dir, 'hashed');
    writeFileSync(file, `[127.0.0.1]:2222 ${key.line}\nplain.example ${key.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => e.hashed)).toBe(true);
    expect(entries.some((e) => entryMatches(e, '127.0.0.1', 2222))).toBe(true);
    expect(entries.some((e) => entryMatches(e, 'plain.example', 22))).toBe(true);
    expect(entries.some((e) => entryMatches(e, '127.0.0.1', 22))).toBe(false);
  });

  it('skips garbage and comments, keeps markers', () => {
    const k = newKey();
    const entries = parseKnownHosts(`# c\n\nnot a line\n@revoked bad.example ${k.line}\n@cert-authority *.x ${k.line}\n@weird h ${k.line}`, 'f');
    expect(entries.map((e) => e.marker)).toEqual(['revoked', 'cert-authority']);
  });

  it('removes exactly one host and leaves the rest untouched', () => {
    const k = newKey();
    const text = `# mine\n[h]:2222 ${k.line}\nh ${k.line}\nother,[h]:2222 ${k.line}\n`;
    const { text: out, removed } = removeHostLines(text, 'h', 2222);
    expect(removed).toBe(1);
    expect(out).toBe(`# mine\nh ${k.line}\nother,[h]:2222 ${k.line}\n`);
  });
});

describe('HostKeyStore', () => {
  it('reports unknown, known, changed and revoked keys; trusts into its own file only', () => {
    const own = join(dir, 'own_known_hosts');
    const user = join(dir, 'user_known_hosts');
    const a = newKey();
    const b = newKey();
    const r = newKey('ecdsa');
    writeFileSync(user, `[srv]:2222 ${a.line}\n@revoked [srv]:2222 ${r.line}\n`);
    const userBefore = readFileSync(user, 'utf8');
    const store = new HostKeyStore(own, [user, join(dir, 'missing')]);
    expect(store.check('srv', 2222, a.blob).status).toBe('known');
    expect(store.check('srv', 2222, r.blob).status).toBe('revoked');
    const changed = store.check('srv', 2222, b.blob);
    expect(changed.status).toBe('changed');
    expect(changed.source).toBe(`${user}:1`);
    expect(store.check('new', 22, b.blob).status).toBe('unknown');
    store.trust('new', 22, b.blob);
    store.trust('new', 22, b.blob);
    expect(readFileSync(own, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(store.check('new', 22, b.blob).status).toBe('known');
    expect(readFileSync(user, 'utf8')).toBe(userBefore);
    // ssh-keygen reads what we wrote
    const found = execFileSync('ssh-keygen', ['-F', 'new', '-f', own], { encoding: 'utf8' });
    expect(found).toContain('ssh-ed25519');
    expect(store.forget('new', 22)).toBe(1);
    expect(store.check('new', 22, b.blob).status).toBe('unknown');
  });

  it('prefers the algorithms already trusted for a host', () => {
    const user = join(dir, 'pref');
    writeFileSync(user, `rsahost ${newKey('rsa').line}\n`);
    const store = new HostKeyStore(join(dir, 'none'), [user]);
    expect(store.preferredAlgorithms('rsahost', 22).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(store.preferredAlgorithms('other', 22)[0]).toBe('ssh-ed25519');
  });

  it('verifier accepts unknown keys only by flag or matching fingerprint, never changed ones', () => {
    const own = join(dir, 'verifier_own');
    const a = newKey();
    const b = newKey();
    const store = new HostKeyStore(own, []);
    const seen: string[] = [];
    const record = (c: { status: string; accepted: boolean }) => seen.push(`${c.status}:${c.accepted}`);
    expect(makeHostVerifier(store, 'h', 22, {}, record)(a.blob)).toBe(false);
    const fp = store.check('h', 22, a.blob).presented.fingerprint;
    expect(makeHostVerifier(store, 'h', 22, { fingerprints: [fp] }, record)(a.blob)).toBe(true);
    expect(makeHostVerifier(store, 'h', 22, { fingerprints: [fp] }, record)(b.blob)).toBe(false);
    store.trust('h', 22, a.blob);
    expect(makeHostVerifier(store, 'h', 22, { acceptNew: true }, record)(b.blob)).toBe(false);
    expect(seen).toEqual(['unknown:false', 'unknown:true', 'unknown:false', 'changed:false']);
  });

  it('explains a changed key with both fingerprints and the fix', () => {
    const own = join(dir, 'explain_own');
    const a = newKey();
    const b = newKey();
    const store = new HostKeyStore(own, []);
    store.trust('h', 2222, a.blob);
    const check = { ...store.check('h', 2222, b.blob), accepted: false };
    const err = hostKeyError(check, { hostName: 'nas', ownFile: own });
    expect(err.code).toBe('host-key-changed');
    expect(err.message).toContain(check.presented.fingerprint);
    expect(err.message).toContain(check.expected?.[0]?.fingerprint);
    expect(err.hint).toContain('lifeboat host rm nas');
    const unknown = hostKeyError({ ...store.check('x', 22, b.blob), accepted: false });
    expect(unknown.code).toBe('host-key-unknown');
    expect(unknown.hint).toContain(`--fingerprint ${check.presented.fingerprint}`);
  });

  it('suggests "host rm" only when that host alone uses the key; otherwise a command that clears it', () => {
    const own = join(dir, "owners dir's", 'known_hosts');
    const a = newKey();
    const b = newKey();
    const store = new HostKeyStore(own, []);
    store.trust('h', 2222, a.blob, 'lifeboat host nas');
    store.trust('other', 22, a.blob);
    const check = { ...store.check('h', 2222, b.blob), accepted: false };
    expect(hostKeyError(check, { hostName: 'nas', ownFile: own, owners: ['nas'] }).hint).toContain('run "lifeboat host rm nas"');
    // A host being added (not saved yet), or a key shared with another host or a jump hop:
    // "host rm" would fail or keep the key, so the hint clears the entry itself.
    for (const [hostName, owners] of [['new', []], ['nas', ['nas', 'web']], ['new', ['nas']]] as const) {
      const hint = hostKeyError(check, { hostName, ownFile: own, owners }).hint ?? '';
      expect(hint).not.toContain('host rm');
      for (const o of owners) expect(hint).toContain(`"${o}"`);
      const command = /"(ssh-keygen -R [^"]+)"/.exec(hint)?.[1];
      expect(command).toBeDefined();
      if (hostName === 'nas') execFileSync('sh', ['-c', command ?? 'false'], { stdio: 'ignore' });
    }
    // Following the hint forgot exactly that endpoint's key, nothing else.
    expect(store.check('h', 2222, b.blob).status).toBe('unknown');
    expect(store.check('other', 22, a.blob).status).toBe('known');
  });
});
