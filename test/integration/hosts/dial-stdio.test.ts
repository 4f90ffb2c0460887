import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverHost } from '../../../src-main/discovery/discover';
import { labInfo } from '../../helpers/lab';
import { makeService, startImpostorSshd, tempHomes } from './hosts-helpers';

/** An sshd that forbids stream-local forwarding: Docker is then reached with `docker system dial-stdio`. */
const info = labInfo();
let homes: ReturnType<typeof tempHomes>;
let sshd: Awaited<ReturnType<typeof startImpostorSshd>>;

beforeAll(async () => {
  homes = tempHomes();
  mkdirSync(homes.home, { recursive: true });
  const authorized = join(info.stateDir, 'authorized_keys', '%u');
  sshd = await startImpostorSshd(join(homes.home, '..'), ['AllowStreamLocalForwarding no', 'PermitRootLogin prohibit-password', `AuthorizedKeysFile ${authorized}`, 'PasswordAuthentication no']);
});
afterAll(() => {
  sshd.stop();
  homes.cleanup();
});

describe('no stream-local forwarding', () => {
  it('falls back to docker system dial-stdio, remembers it, and discovers', async () => {
    const svc = makeService(homes);
    const r = await svc.add('nofwd', `ssh://root@127.0.0.1:${sshd.port}`, { identityFile: info.ssh.identityFile, acceptNewHostKey: true });
    expect(r.host.probe).toMatchObject({ dockerAccess: 'dial-stdio', root: true });
    const conn = await svc.open('nofwd', {});
    try {
      const inv = await discoverHost(conn);
      expect(inv.stacks.flatMap((s) => s.items.map((i) => i.id))).toContain('wiki/postgres:wiki');
    } finally {
      conn.close();
    }
  });
});
