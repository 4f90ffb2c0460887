import { describe, expect, it } from 'vitest';
import { formatHostUrl, parseHostUrl, parseJump } from '../../../src-main/hosts/host-url';

describe('parseHostUrl', () => {
  it('reads ssh URLs with and without user and port', () => {
    expect(parseHostUrl('ssh://root@127.0.0.1:2222')).toEqual({ kind: 'ssh', user: 'root', host: '127.0.0.1', port: 2222 });
    expect(parseHostUrl('ssh://nas.lan')).toEqual({ kind: 'ssh', host: 'nas.lan', port: 22 });
    expect(parseHostUrl('admin@nas.lan:2200')).toEqual({ kind: 'ssh', user: 'admin', host: 'nas.lan', port: 2200 });
    expect(parseHostUrl('ssh://me@[::1]:22/')).toEqual({ kind: 'ssh', user: 'me', host: '::1', port: 22 });
  });

  it('reads docker+tcp URLs, default port 2376', () => {
    expect(parseHostUrl('docker+tcp://docker.lan')).toEqual({ kind: 'docker-tcp', host: 'docker.lan', port: 2376 });
    expect(parseHostUrl('docker+tcp://10.0.0.5:2375')).toEqual({ kind: 'docker-tcp', host: '10.0.0.5', port: 2375 });
  });

  it.each([
    'ssh://root@host;rm -rf /',
    'ssh://-oProxyCommand=sh@host',
    'ssh://host:99999',
    'ssh://host:22/path',
    'ftp://host',
    'ssh://ho st',
    'ssh://$(id)@host',
    '',
    'docker+tcp://user@host:2376',
  ])('refuses %j with bad-input', (input) => {
    expect(() => parseHostUrl(input)).toThrow(expect.objectContaining({ code: 'bad-input' }));
  });

  it('formats canonical URLs', () => {
    expect(formatHostUrl(parseHostUrl('root@h:22'))).toBe('ssh://root@h');
    expect(formatHostUrl(parseHostUrl('ssh://root@h:2222'))).toBe('ssh://root@h:2222');
    expect(formatHostUrl(parseHostUrl('docker+tcp://[fe80::1]:2376'))).toBe('docker+tcp://[fe80::1]:2376');
  });

  it('parses jump specs and refuses docker URLs as hops', () => {
    expect(parseJump('bastion.example.org')).toEqual({ host: 'bastion.example.org', port: 22 });
    expect(parseJump('ssh://ops@bastion:2201')).toEqual({ user: 'ops', host: 'bastion', port: 2201 });
    expect(() => parseJump('docker+tcp://h:2376')).toThrow(/jump host/);
  });
});
