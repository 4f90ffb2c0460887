import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSummary } from '../../../src-main/api/hosts-contract';
import { allCommands } from '../../../src-main/cli/commands/index';
import { runCli } from '../../../src-main/cli/run-cli';
import { plainTcpWarning } from '../../../src-main/hosts/docker-connect';
import { HostStore } from '../../../src-main/hosts/host-store';

const home = mkdtempSync(join(tmpdir(), 'lifeboat-host-cli-'));
const saved = process.env.LIFEBOAT_HOME;
beforeAll(() => {
  process.env.LIFEBOAT_HOME = home;
});
afterAll(() => {
  if (saved === undefined) delete process.env.LIFEBOAT_HOME;
  else process.env.LIFEBOAT_HOME = saved;
  rmSync(home, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await runCli(args, { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: process.env }, allCommands);
  return { code, out };
}

function host(name: string, url: string, warnings: string[]): HostSummary {
  return { name, url, kind: url.startsWith('ssh') ? 'ssh' : 'docker-tcp', jumps: [], addedAt: new Date().toISOString(), source: 'cli', warnings };
}

describe('lifeboat host list', () => {
  it('keeps flagging a plain-TCP Docker host after it was added, and only that one', async () => {
    const store = new HostStore(home);
    store.put(host('nas', 'ssh://root@nas.lan', []));
    store.put(host('open', 'docker+tcp://10.0.0.5:2375', [plainTcpWarning('10.0.0.5', 2375)]));
    store.put(host('tls', 'docker+tcp://10.0.0.6:2376', []));
    const { code, out } = await cli(['host', 'list']);
    expect(code).toBe(0);
    const line = (name: string) => out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    expect(line('open')).toContain('PLAIN TCP, NO TLS');
    expect(line('nas')).not.toContain('PLAIN TCP');
    expect(line('tls')).not.toContain('PLAIN TCP');
    const json = JSON.parse((await cli(['host', 'list', '--json'])).out) as HostSummary[];
    expect(json.find((h) => h.name === 'open')?.warnings[0]).toMatch(/^WARNING: .*PLAIN TCP/);
  });
});
