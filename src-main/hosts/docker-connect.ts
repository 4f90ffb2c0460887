import { readFileSync } from 'node:fs';
import { Agent, type ClientRequestArgs } from 'node:http';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { Duplex } from 'node:stream';
import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import type { Client } from 'ssh2';
import { LifeboatError } from '../api/errors';


let dockerode: typeof Docker | undefined;
/**
 * dockerode (with the gRPC stack it pulls in) takes ~140 ms to load; commands that never talk
 * to a server (`backup-stdin`, `cat`, `vault …`) should not pay for it at start-up.
 */
function DockerClient(): typeof Docker {
  dockerode ??= createRequire(__filename)('dockerode') as typeof Docker;
  return dockerode;
}
/** Opens one byte stream to a Docker API (a unix socket on the server, reached somehow). */
export type DockerDial = () => Promise<Duplex>;

/** Socket methods Node's http client may call; SSH channels lack them, so they become no-ops. */
function socketShim(stream: Duplex): Duplex {
  const s = stream as Duplex & Record<string, unknown>;
  for (const name of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[name] !== 'function') s[name] = () => s;
  }
  return stream;
}

/**
 * An http.Agent whose connections are streams from `dial` (SSH channels) instead of TCP.
 * dockerode then speaks plain HTTP over the SSH connection that already verified the host
 * key; its own `ssh` protocol (which would open a second, unverified connection) is never used.
 */
class DialAgent extends Agent {
  constructor(
    private readonly dial: DockerDial,
    keepAlive: boolean,
  ) {
    super(keepAlive ? { keepAlive: true, maxSockets: 8, maxFreeSockets: 8 } : { keepAlive: false, maxSockets: 16 });
  }

  /**
   * docker-modem runs `util.inspect(options, { depth: null })` on every request, agent
   * included; without this, that walks the whole SSH client and every open channel and costs
   * up to a second per request once a few requests run in parallel.
   */
  [inspect.custom](): string {
    return 'DialAgent';
  }

  override createConnection(_options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex {
    this.dial().then(
      (stream) => callback?.(null, socketShim(stream)),
      (err: Error) => callback?.(err, undefined as unknown as Duplex),
    );
    return undefined as unknown as Duplex;
  }
}

/**
 * A dockerode client over any dialer; `timeoutMs` bounds every API call. `keepAlive` reuses
 * streams that are costly to open (an exec of `docker system dial-stdio` per stream); a
 * stream-local channel is cheap and is opened per request.
 */
export function dockerOverDial(dial: DockerDial, timeoutMs = 30_000, keepAlive = false): Docker {
  return new (DockerClient())({ protocol: 'http', host: 'docker.invalid', port: 2375, agent: new DialAgent(dial, keepAlive), timeout: timeoutMs } as Docker.DockerOptions);
}

/** Dials the server's Docker socket with OpenSSH's stream-local forwarding (direct-streamlocal@openssh.com). */
export function streamLocalDial(client: Client, socketPath: string): DockerDial {
  return () =>
    new Promise<Duplex>((resolve, reject) => {
      client.openssh_forwardOutStreamLocal(socketPath, (err, stream) => {
        if (err) reject(new LifeboatError('remote-failed', `the server would not open ${socketPath}: ${err.message}`, 'the SSH user needs access to the Docker socket (docker group or root), and sshd must allow stream-local forwarding'));
        else resolve(stream);
      });
    });
}

/** Dials through `docker system dial-stdio` run over SSH (optionally `sudo -n`), when forwarding is not allowed. */
export function dialStdioDial(client: Client, sudo: boolean): DockerDial {
  const command = sudo ? 'sudo -n docker system dial-stdio' : 'docker system dial-stdio';
  return () =>
    new Promise<Duplex>((resolve, reject) => {
      client.exec(command, (err, stream) => {
        if (err) reject(new LifeboatError('remote-failed', `could not run "${command}": ${err.message}`, 'install the docker CLI on the server or allow stream-local forwarding'));
        else resolve(stream);
      });
    });
}

/** TLS client material for `docker+tcp://` (Docker's own file names in one directory). */
export interface DockerTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Reads `ca.pem`, `cert.pem` and `key.pem` from a directory, as `docker --tlsverify` does. */
export function readDockerTls(dir: string): DockerTls {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name));
    } catch {
      throw new LifeboatError('bad-input', `${join(dir, name)} is missing or unreadable`, 'the --tls-dir folder needs ca.pem, cert.pem and key.pem (as made for docker --tlsverify)');
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** A dockerode client for `docker+tcp://host:port`: TLS with client certificates, or plain HTTP. */
export function dockerOverTcp(host: string, port: number, tls: DockerTls | undefined, timeoutMs = 30_000): Docker {
  if (tls) return new (DockerClient())({ protocol: 'https', host, port, ca: tls.ca, cert: tls.cert, key: tls.key, timeout: timeoutMs });
  return new (DockerClient())({ protocol: 'http', host, port, timeout: timeoutMs });
}

/** The loud warning shown whenever plain TCP is used: anyone on the network is root on that host. */
export function plainTcpWarning(host: string, port: number): string {
  return `WARNING: docker+tcp://${host}:${port} is PLAIN TCP without TLS: anyone who can reach that port controls the host as root, and everything Lifeboat reads crosses the network unencrypted. Protect the daemon with TLS client certificates (--tls-dir) or use ssh:// instead.`;
}
