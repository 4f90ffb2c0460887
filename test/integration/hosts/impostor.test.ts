import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labInfo } from '../../helpers/lab';
import { labHostKeyField, labSecret, makeService, startImpostorSshd, tempHomes } from './hosts-helpers';

const info = labInfo();
let homes: ReturnType<typeof tempHomes>;
let impostor: Awaited<ReturnType<typeof startImpostorSshd>>;

beforeAll(async () => {
  homes = tempHomes();
  mkdirSync(homes.home, { recursive: true });
  impostor = await startImpostorSshd(join(homes.home, '..'));
});
afterAll(() => {
  impostor.stop();
  homes.cleanup();
});

describe('a second sshd with a different host key posing as a known host', () => {
  it('is refused before authentication; no credential reaches it', async () => {
    const svc = makeService(homes);
    // The trusted key for this address is the real lab's: as if DNS or an IP now pointed elsewhere.
    mkdirSync(homes.home, { recursive: true });
    writeFileSync(svc.keys.ownFile, `[127.0.0.1]:${impostor.port} ${labHostKeyField()} real lab\n`);
    const password = labSecret(info.ssh.passwordFile);
    const err = await svc
      .add('victim', `ssh://${info.ssh.passwordUser}@127.0.0.1:${impostor.port}`, { password, acceptNewHostKey: true, identityFile: info.ssh.identityFile })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'host-key-changed' });
    const e = err as { message: string; hint: string };
    expect(e.message).toContain('CHANGED');
    expect(e.message).toContain(info.ssh.hostKeyFingerprint);
    // "victim" is not saved, so "host rm victim" would fail: the hint clears the stale entry itself.
    expect(e.hint).not.toContain('host rm');
    expect(e.hint).toContain(`ssh-keygen -R '[127.0.0.1]:${impostor.port}' -f '${svc.keys.ownFile}'`);
    await new Promise((r) => setTimeout(r, 300));
    const log = impostor.log();
    expect(log).toMatch(/Connection (closed|reset)|Received disconnect|kex_exchange_identification|preauth/);
    expect(log).not.toMatch(/userauth-request|Failed password|Accepted|Postponed/);
    expect(log).not.toContain(password);
    expect(svc.list()).toEqual([]);
  });

  it('opening a saved host names "host rm" only while no other host shares the key', async () => {
    const h = tempHomes();
    const svc = makeService(h);
    mkdirSync(h.home, { recursive: true });
    writeFileSync(svc.keys.ownFile, `[127.0.0.1]:${impostor.port} ${labHostKeyField()} lifeboat host nas\n`);
    const saved = (name: string) => ({ name, url: `ssh://root@127.0.0.1:${impostor.port}`, kind: 'ssh' as const, jumps: [], addedAt: new Date().toISOString(), source: 'cli' as const, identityFile: info.ssh.identityFile, warnings: [] });
    svc.store.put(saved('nas'));
    await expect(svc.open('nas', {})).rejects.toMatchObject({ code: 'host-key-changed', hint: expect.stringContaining('run "lifeboat host rm nas"') });
    svc.store.put(saved('nas-admin'));
    const err = (await svc.open('nas', {}).catch((e: unknown) => e)) as { code: string; hint: string };
    expect(err.code).toBe('host-key-changed');
    expect(err.hint).toContain('(trusted for "nas", "nas-admin")');
    expect(err.hint).toContain(`ssh-keygen -R '[127.0.0.1]:${impostor.port}' -f '${svc.keys.ownFile}'`);
    h.cleanup();
  });

  it('with the stale key in ~/.ssh/known_hosts the hint points at ssh-keygen -R', async () => {
    const h = tempHomes();
    mkdirSync(join(h.userHome, '.ssh'), { recursive: true });
    writeFileSync(join(h.userHome, '.ssh', 'known_hosts'), `[127.0.0.1]:${impostor.port} ${labHostKeyField()}\n`);
    const svc = makeService(h);
    await expect(svc.scanKeys(`ssh://root@127.0.0.1:${impostor.port}`, {})).resolves.toEqual([expect.objectContaining({ status: 'changed', accepted: false })]);
    await expect(svc.add('x', `ssh://root@127.0.0.1:${impostor.port}`, { identityFile: info.ssh.identityFile })).rejects.toMatchObject({ code: 'host-key-changed', hint: expect.stringContaining(`ssh-keygen -R '[127.0.0.1]:${impostor.port}'`) });
    h.cleanup();
  });
});
