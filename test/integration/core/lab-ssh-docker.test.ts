import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labInfo } from '../../helpers/lab';

function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function connect(expectedFingerprint: string, seen: string[]): Promise<Client> {
  const lab = labInfo();
  const client = new Client();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      host: lab.ssh.host,
      port: lab.ssh.port,
      username: lab.ssh.user,
      privateKey: readFileSync(lab.ssh.identityFile),
      readyTimeout: 10_000,
      hostVerifier: (key: Buffer) => {
        const fp = fingerprint(key);
        seen.push(fp);
        return fp === expectedFingerprint;
      },
    });
  });
}

/** An http.Agent whose every connection is a stream-local forward of the remote Docker socket. */
function dockerAgentOver(client: Client, socketPath: string): Agent {
  const agent = new Agent();
  (agent as unknown as { createConnection: unknown }).createConnection = (_opts: unknown, cb: (err: Error | null, s?: Duplex) => void) => {
    client.openssh_forwardOutStreamLocal(socketPath, (err, stream) => (err ? cb(err) : cb(null, stream)));
  };
  return agent;
}

describe('the lab over SSH (foundation)', () => {
  let client: Client | undefined;
  const seen: string[] = [];

  beforeAll(async () => {
    client = await connect(labInfo().ssh.hostKeyFingerprint, seen);
  });
  afterAll(() => client?.end());

  it('verified the host key against the lab fingerprint', () => {
    expect(seen).toEqual([labInfo().ssh.hostKeyFingerprint]);
    expect(labInfo().ssh.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('refuses a server whose key does not match, before authenticating', async () => {
    const wrong = `SHA256:${'A'.repeat(43)}`;
    await expect(connect(wrong, [])).rejects.toThrow(/verification failed|Handshake failed/i);
  });

  it('lists the lab containers through the Docker API over the same SSH connection', async () => {
    if (!client) throw new Error('not connected');
    const docker = new Docker({ protocol: 'http', host: 'docker', port: 80, agent: dockerAgentOver(client, labInfo().docker.socket) } as Docker.DockerOptions);
    const containers = await docker.listContainers({ all: true });
    const names = containers.flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')));
    expect(names).toEqual(expect.arrayContaining(['wiki-db-1', 'shop-db-1', 'photos-db-1', 'notes-app-1']));
    const wikiDb = containers.find((c) => c.Names.includes('/wiki-db-1'));
    expect(wikiDb?.Labels['com.docker.compose.project']).toBe('wiki');
    expect(wikiDb?.State).toBe('running');
  });
});
