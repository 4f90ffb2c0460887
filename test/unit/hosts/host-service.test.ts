import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../../src-main/api/hosts-contract';
import { HostService } from '../../../src-main/hosts/host-service';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-hs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function key(): Buffer {
  const f = join(dir, `k${Math.random()}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
  return Buffer.from(readFileSync(`${f}.pub`, 'utf8').split(' ')[1] ?? '', 'base64');
}

function host(name: string, url: string, jumps: string[] = []): HostSummary {
  return { name, url, kind: 'ssh', jumps, addedAt: new Date().toISOString(), source: 'cli', warnings: [] };
}

describe('HostService without a network', () => {
  it('rm forgets only keys no other host (or jump) still uses', () => {
    const svc = new HostService({ home: join(dir, 'home'), userHome: join(dir, 'user'), env: {} });
    const a = key();
    const b = key();
    svc.keys.trust('10.0.0.1', 22, a);
    svc.keys.trust('bastion', 2200, b);
    svc.store.put(host('one', 'ssh://root@10.0.0.1', ['ssh://ops@bastion:2200']));
    svc.store.put(host('two', 'ssh://admin@10.0.0.1'));
    expect(svc.keyOwners('10.0.0.1', 22)).toEqual(['one', 'two']);
    expect(svc.keyOwners('bastion', 2200)).toEqual(['one']);
    expect(svc.keyOwners('bastion', 22)).toEqual([]);
    expect(svc.remove('one')).toEqual({ name: 'one', forgottenKeys: 1 });
    expect(svc.keys.check('10.0.0.1', 22, a).status).toBe('known');
    expect(svc.keys.check('bastion', 2200, b).status).toBe('unknown');
    expect(svc.remove('two').forgottenKeys).toBe(1);
    expect(() => svc.remove('two')).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('imports ~/.ssh/config without connecting and never clobbers a host', () => {
    const user = join(dir, 'user2');
    execFileSync('mkdir', ['-p', join(user, '.ssh')]);
    writeFileSync(join(user, '.ssh', 'config'), 'Host nas\n  HostName nas.lan\n  User admin\nHost bad_alias!\n  HostName x\n');
    const svc = new HostService({ home: join(dir, 'home2'), userHome: user, env: {} });
    const r = svc.importSshConfig();
    expect(r.imported.map((h) => h.url)).toEqual(['ssh://admin@nas.lan']);
    expect(r.skipped).toEqual([{ name: 'bad_alias!', reason: 'the alias is not a valid Lifeboat host name' }]);
    expect(svc.importSshConfig().imported).toEqual([]);
    expect(() => svc.importSshConfig(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('rejects a corrupt hosts.json with a hint instead of losing it', () => {
    const home = join(dir, 'home3');
    execFileSync('mkdir', ['-p', home]);
    writeFileSync(join(home, 'hosts.json'), '{"version":1,"hosts":[{"name":1}]}');
    const svc = new HostService({ home, userHome: dir, env: {} });
    expect(() => svc.list()).toThrow(expect.objectContaining({ code: 'corrupt' }));
  });
});
