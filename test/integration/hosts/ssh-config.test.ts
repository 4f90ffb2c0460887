import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverHost } from '../../../src-main/discovery/discover';
import { labInfo } from '../../helpers/lab';
import { makeService, tempHomes } from './hosts-helpers';

const info = labInfo();
let homes: ReturnType<typeof tempHomes>;

beforeAll(() => {
  homes = tempHomes();
  mkdirSync(join(homes.userHome, '.ssh'), { recursive: true });
  writeFileSync(
    join(homes.userHome, '.ssh', 'config'),
    [
      'Host lab-direct',
      `  HostName ${info.ssh.host}`,
      `  Port ${info.ssh.port}`,
      `  User ${info.ssh.user}`,
      `  IdentityFile ${info.ssh.identityFile}`,
      'Host lab-hop',
      `  HostName ${info.ssh.host}`,
      `  Port ${info.ssh.port}`,
      '  User root',
      `  IdentityFile ${info.ssh.identityFile}`,
      '  ProxyJump lab-direct',
      'Host *',
      '  ServerAliveInterval 30',
      '',
    ].join('\n'),
  );
});
afterAll(() => homes.cleanup());

describe('import from ~/.ssh/config', () => {
  it('imports aliases (ProxyJump through another alias) and connects on first use with the key checked', async () => {
    const svc = makeService(homes);
    const r = svc.importSshConfig();
    expect(r.imported.map((h) => [h.name, h.url, h.jumps])).toEqual([
      ['lab-direct', `ssh://root@${info.ssh.host}:${info.ssh.port}`, []],
      ['lab-hop', `ssh://root@${info.ssh.host}:${info.ssh.port}`, [`ssh://root@${info.ssh.host}:${info.ssh.port}`]],
    ]);
    expect(svc.importSshConfig().skipped.map((s) => s.reason)).toEqual(['a host with this name already exists', 'a host with this name already exists']);
    await expect(svc.open('lab-hop', {})).rejects.toMatchObject({ code: 'host-key-unknown' });
    const conn = await svc.open('lab-hop', { fingerprints: [info.ssh.hostKeyFingerprint] });
    try {
      expect(conn.probe?.dockerAccess).toBe('stream-local');
      const inv = await discoverHost(conn);
      expect(inv.stacks.map((s) => s.name)).toContain('wiki');
    } finally {
      conn.close();
    }
    expect(svc.list().find((h) => h.name === 'lab-hop')?.probe?.root).toBe(true);
  });
});
