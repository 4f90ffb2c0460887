import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type Server, createServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverHost } from '../../../src-main/discovery/discover';
import { labInfo } from '../../helpers/lab';
import { makeService, socketProxy, tempHomes } from './hosts-helpers';

const info = labInfo();
let homes: ReturnType<typeof tempHomes>;
let tlsServer: Server;
let tlsPort = 0;
let pki = '';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: pki, stdio: 'ignore' });
}

beforeAll(async () => {
  homes = tempHomes();
  pki = join(homes.home, '..', 'pki');
  mkdirSync(join(pki, 'client'), { recursive: true });
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=lifeboat test CA']);
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'], ['client/', 'extendedKeyUsage=clientAuth']] as const) {
    writeFileSync(join(pki, `${name.replace('/', '')}.ext`), `${ext}\n`);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}key.pem`.replace('serverkey', 'server-key'), '-out', 'req.csr', '-subj', `/CN=${name}`]);
    openssl(['x509', '-req', '-in', 'req.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}cert.pem`.replace('servercert', 'server-cert'), '-days', '2', '-extfile', `${name.replace('/', '')}.ext`]);
  }
  writeFileSync(join(pki, 'client', 'ca.pem'), readFileSync(join(pki, 'ca.pem')));
  tlsServer = createServer(
    { key: readFileSync(join(pki, 'server-key.pem')), cert: readFileSync(join(pki, 'server-cert.pem')), ca: readFileSync(join(pki, 'ca.pem')), requestCert: true, rejectUnauthorized: true },
    (client) => {
      const upstream = connect(info.docker.socket);
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    },
  );
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
  tlsPort = (tlsServer.address() as { port: number }).port;
});
afterAll(() => {
  tlsServer?.close();
  homes.cleanup();
});

describe('docker+tcp hosts', () => {
  it('uses TLS client certificates and discovers through the API alone', async () => {
    const svc = makeService(homes);
    const r = await svc.add('tls', `docker+tcp://127.0.0.1:${tlsPort}`, { tlsDir: join(pki, 'client') });
    expect(r.warnings).toEqual([]);
    expect(r.host.probe).toMatchObject({ dockerAccess: 'tcp', fileAccess: 'none' });
    const conn = await svc.open('tls', {});
    const inv = await discoverHost(conn);
    const ids = inv.stacks.flatMap((s) => s.items.map((i) => i.id));
    expect(ids).toEqual(expect.arrayContaining(['wiki/postgres:wiki', 'photos/mysql:photos', 'notes/sqlite:notes_data/notes.sqlite', 'wiki/volume:wiki_uploads']));
  });

  it('says which TLS files are missing', async () => {
    const svc = makeService(homes);
    const bare = join(pki, 'bare');
    mkdirSync(bare, { recursive: true });
    await expect(svc.add('bare', `docker+tcp://127.0.0.1:${tlsPort}`, { tlsDir: bare })).rejects.toMatchObject({ code: 'bad-input', hint: expect.stringContaining('ca.pem') });
  });

  it('allows plain TCP only with a loud warning', async () => {
    const proxy = await socketProxy(info.docker.socket);
    try {
      const svc = makeService(homes);
      const r = await svc.add('plain', `docker+tcp://127.0.0.1:${proxy.port}`, {});
      expect(r.warnings.join(' ')).toMatch(/^WARNING: .*PLAIN TCP/);
      expect(svc.list().find((h) => h.name === 'plain')?.warnings[0]).toMatch(/PLAIN TCP/);
      const conn = await svc.open('plain', {});
      const inv = await discoverHost(conn);
      expect(inv.warnings.join(' ')).toMatch(/PLAIN TCP/);
    } finally {
      proxy.server.close();
    }
  });

  it('an unreachable Docker API fails with a clear error', async () => {
    const svc = makeService(homes);
    await expect(svc.add('none', 'docker+tcp://127.0.0.1:1', {})).rejects.toMatchObject({ code: 'unreachable' });
  });
});
