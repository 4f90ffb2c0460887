import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostService } from '../../../src-main/hosts/host-service';
import { labInfo } from '../../helpers/lab';
import { blackhole, freePort, labSecret, labUrl, makeService, startAgent, tempHomes } from './hosts-helpers';

const info = labInfo();
const fp = info.ssh.hostKeyFingerprint;
let homes: ReturnType<typeof tempHomes>;

beforeAll(() => {
  homes = tempHomes();
});
afterAll(() => homes.cleanup());

function fresh(env: NodeJS.ProcessEnv = {}, timeout?: number): HostService {
  const h = tempHomes();
  const prev = homes.cleanup;
  homes.cleanup = () => { prev(); h.cleanup(); };
  return makeService(h, env, timeout);
}

describe('host keys', () => {
  it('refuses an unknown key without an explicit choice and saves nothing', async () => {
    const svc = fresh();
    await expect(svc.add('lab', labUrl(), { identityFile: info.ssh.identityFile })).rejects.toMatchObject({ code: 'host-key-unknown', message: expect.stringContaining(fp) });
    expect(svc.list()).toEqual([]);
    expect(existsSync(svc.keys.ownFile)).toBe(false);
  });

  it('accepts with the matching fingerprint, writes OpenSSH known_hosts that ssh-keygen reads', async () => {
    const svc = fresh();
    const r = await svc.add('lab', labUrl(), { identityFile: info.ssh.identityFile, fingerprints: [fp] });
    expect(r.hostKeys).toEqual([expect.objectContaining({ fingerprint: fp, status: 'unknown', accepted: true, label: 'ED25519' })]);
    expect(r.host.probe).toMatchObject({ user: 'root', root: true, dockerAccess: 'stream-local', fileAccess: 'root' });
    const found = execFileSync('ssh-keygen', ['-F', `[${info.ssh.host}]:${info.ssh.port}`, '-f', svc.keys.ownFile], { encoding: 'utf8' });
    expect(found).toContain('ssh-ed25519');
    const scan = await svc.scanKeys(labUrl(), {});
    expect(scan).toEqual([expect.objectContaining({ status: 'known', fingerprint: fp })]);
    expect(svc.remove('lab')).toEqual({ name: 'lab', forgottenKeys: 1 });
  });

  it('refuses when the key differs from the fingerprint given, saying so', async () => {
    const svc = fresh();
    const other = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    await expect(svc.add('lab', labUrl(), { identityFile: info.ssh.identityFile, fingerprints: [other] })).rejects.toMatchObject({ code: 'host-key-unknown', message: expect.stringContaining('NOT the fingerprint you gave') });
  });

  it('reads the user\'s ~/.ssh/known_hosts, hashed entries included', async () => {
    const h = tempHomes();
    mkdirSync(join(h.userHome, '.ssh'), { recursive: true });
    const kh = join(h.userHome, '.ssh', 'known_hosts');
    execFileSync('sh', ['-c', 'cat "$1" > "$2"', 'sh', (info.ssh as { knownHostsFile?: string }).knownHostsFile as string, kh]);
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    expect(readFileSync(kh, 'utf8')).toMatch(/^\|1\|/);
    const svc = makeService(h);
    const r = await svc.add('lab', labUrl(), { identityFile: info.ssh.identityFile });
    expect(r.hostKeys[0]).toMatchObject({ status: 'known', source: expect.stringContaining(kh) });
    h.cleanup();
  });
});

describe('authentication', () => {
  it('uses an encrypted key with its passphrase; clear errors without or with a wrong one', async () => {
    const svc = fresh();
    const key = info.ssh.encryptedIdentityFile as string;
    const passphrase = labSecret(info.ssh.encryptedIdentityPassphraseFile);
    await expect(svc.add('enc', labUrl(), { identityFile: key, acceptNewHostKey: true })).rejects.toMatchObject({ code: 'auth-failed', message: expect.stringContaining('encrypted') });
    await expect(svc.add('enc', labUrl(), { identityFile: key, acceptNewHostKey: true, passphrase: 'wrong' })).rejects.toMatchObject({ code: 'auth-failed', message: expect.stringContaining('passphrase') });
    const r = await svc.add('enc', labUrl(), { identityFile: key, acceptNewHostKey: true, passphrase });
    expect(r.host.probe?.root).toBe(true);
    expect(JSON.stringify(svc.list())).not.toContain(passphrase);
  });

  it('refuses a key the server does not know with auth-failed', async () => {
    const svc = fresh();
    const dir = join(homes.home, '..', 'wrongkey');
    mkdirSync(dir, { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    await expect(svc.add('wrong', labUrl(), { identityFile: join(dir, 'k'), fingerprints: [fp] })).rejects.toMatchObject({ code: 'auth-failed', hint: expect.stringContaining('authorized_keys') });
  });

  it('logs in with a password (labuser, docker group, not root)', async () => {
    const svc = fresh();
    const password = labSecret(info.ssh.passwordFile);
    const r = await svc.add('pw', labUrl(info.ssh.passwordUser), { password, fingerprints: [fp] });
    expect(r.host.probe).toMatchObject({ user: info.ssh.passwordUser, root: false, dockerAccess: 'stream-local', fileAccess: 'none' });
    expect(readFileSync(svc.store.file, 'utf8')).not.toContain(password);
  });

  it('uses ssh-agent from SSH_AUTH_SOCK', async () => {
    const dir = join(homes.home, '..', 'agent');
    mkdirSync(dir, { recursive: true });
    const agent = startAgent(dir);
    try {
      const svc = fresh({ SSH_AUTH_SOCK: agent.socket });
      const r = await svc.add('agent', labUrl(), { fingerprints: [fp] });
      expect(r.host.probe?.root).toBe(true);
    } finally {
      agent.stop();
    }
  });
});

describe('jump hosts', () => {
  it('connects through one and two ProxyJump hops, verifying every hop', async () => {
    const svc = fresh();
    const jump = `root@${info.ssh.host}:${info.ssh.port}`;
    const one = await svc.add('via1', labUrl(), { identityFile: info.ssh.identityFile, jumps: [jump], fingerprints: [fp] });
    expect(one.hostKeys).toHaveLength(2);
    expect(one.host.jumps).toEqual([`ssh://${jump}`]);
    const two = await svc.add('via2', labUrl(), { identityFile: info.ssh.identityFile, jumps: [jump, jump] });
    expect(two.hostKeys.map((k) => k.status)).toEqual(['known', 'known', 'known']);
    const conn = await svc.open('via2', {});
    try {
      const r = await conn.exec?.('id -u');
      expect(r?.stdout.toString().trim()).toBe('0');
    } finally {
      conn.close();
    }
  });

  it('stops at an unknown jump host before authenticating to it', async () => {
    const svc = fresh();
    const hops = await svc.scanKeys(labUrl(), { identityFile: info.ssh.identityFile, jumps: [`root@${info.ssh.host}:${info.ssh.port}`] });
    expect(hops).toEqual([expect.objectContaining({ status: 'unknown', accepted: false })]);
  });
});

describe('unreachable hosts fail fast', () => {
  it('a closed port is "unreachable" within a second', async () => {
    const svc = fresh();
    const port = await freePort();
    const t0 = Date.now();
    await expect(svc.add('closed', `ssh://root@127.0.0.1:${port}`, { acceptNewHostKey: true })).rejects.toMatchObject({ code: 'unreachable' });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a silent port times out within the connect timeout', async () => {
    const svc = fresh({}, 1500);
    const hole = await blackhole();
    const t0 = Date.now();
    await expect(svc.add('silent', `ssh://root@127.0.0.1:${hole.port}`, { acceptNewHostKey: true })).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(3000);
    hole.server.close();
  });

  it('an AbortSignal cancels a hanging connect at once', async () => {
    const svc = fresh({}, 30_000);
    const hole = await blackhole();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const t0 = Date.now();
    await expect(svc.add('cancel', `ssh://root@127.0.0.1:${hole.port}`, { acceptNewHostKey: true }, controller.signal)).rejects.toMatchObject({ code: 'cancelled' });
    expect(Date.now() - t0).toBeLessThan(1500);
    hole.server.close();
  });
});
