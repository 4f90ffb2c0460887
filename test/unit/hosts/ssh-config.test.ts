import { describe, expect, it } from 'vitest';
import { importSshConfig, parseSshConfig, resolveSshOptions } from '../../../src-main/hosts/ssh-config';

const config = `
# global defaults
User fallback
Host nas nas-alias
  HostName 192.168.1.10
  Port 2200
  IdentityFile ~/.ssh/nas_ed25519
Host bastion
  HostName=jump.example.org
  User ops
Host inner
  HostName 10.0.0.5
  ProxyJump bastion,admin@hop2.example.org:2201
Match host foo
  User ignored
Host *.lan
  User lanuser
Host box.lan
  HostName box.lan
Host legacy
  ProxyCommand ssh -W %h:%p bastion
Host *
  User star
  Port 22
`;

describe('ssh config', () => {
  it('parses keywords case-insensitively and with =', () => {
    const blocks = parseSshConfig(config);
    expect(blocks.map((b) => b.patterns.join(' '))).toEqual(['*', 'nas nas-alias', 'bastion', 'inner', '*.lan', 'box.lan', 'legacy', '*']);
    expect(resolveSshOptions(blocks, 'bastion').get('hostname')).toBe('jump.example.org');
  });

  it('first value wins, like ssh', () => {
    const opts = resolveSshOptions(parseSshConfig(config), 'box.lan');
    expect(opts.get('user')).toBe('fallback');
  });

  it('imports concrete hosts with jumps resolved through aliases', () => {
    const { hosts, skipped } = importSshConfig(config, '/home/me');
    const byName = Object.fromEntries(hosts.map((h) => [h.name, h]));
    expect(byName.nas).toEqual({ name: 'nas', endpoint: { host: '192.168.1.10', port: 2200, user: 'fallback' }, identityFile: '/home/me/.ssh/nas_ed25519', jumps: [] });
    expect(byName['nas-alias']?.endpoint.host).toBe('192.168.1.10');
    expect(byName.inner?.jumps).toEqual([
      { user: 'fallback', host: 'jump.example.org', port: 22 },
      { user: 'admin', host: 'hop2.example.org', port: 2201 },
    ]);
    expect(Object.keys(byName).sort()).toEqual(['bastion', 'box.lan', 'inner', 'nas', 'nas-alias']);
    expect(skipped).toEqual([{ name: 'legacy', reason: expect.stringContaining('ProxyCommand') }]);
  });

  it('skips hosts whose HostName is not a safe host name', () => {
    const { hosts, skipped } = importSshConfig('Host bad\n  HostName "evil;rm -rf"\n', '/h');
    expect(hosts).toEqual([]);
    expect(skipped[0]?.name).toBe('bad');
  });
});
