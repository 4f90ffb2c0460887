import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Client, type AuthenticationType, type ConnectConfig, utils } from 'ssh2';
import { LifeboatError } from '../api/errors';
import { bulkReadSocket } from './bulk-read-socket';
import { type HostKeyCheck, type HostKeyErrorContext, type HostKeyPolicy, type HostKeyStore, hostKeyError, makeHostVerifier } from './host-keys';
import { type SshEndpoint, endpointLabel } from './host-url';

/** Credentials for SSH; secrets live only in memory and never reach a log or an argv. */
export interface SshCredentials {
  /** A private key file (OpenSSH or PEM), optionally encrypted. */
  readonly identityFile?: string;
  readonly passphrase?: string;
  readonly password?: string;
  /** ssh-agent socket (`SSH_AUTH_SOCK`). */
  readonly agentSocket?: string;
  /** Tried when no identityFile is given (OpenSSH's defaults that exist and are unencrypted). */
  readonly defaultIdentityFiles?: readonly string[];
}

/** Everything needed to open one SSH connection, possibly through jump hosts. */
export interface SshConnectOptions {
  /** Jump hosts first, the target last; every hop has a user. */
  readonly hops: readonly (SshEndpoint & { readonly user: string; readonly identityFile?: string })[];
  readonly credentials: SshCredentials;
  readonly keys: HostKeyStore;
  readonly policy: HostKeyPolicy;
  /** Per hop: TCP connect + handshake + auth. Default 8 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Lifeboat's name of the host, for hints. */
  readonly hostName?: string;
  /** Saved hosts that connect to an endpoint, so a changed-key hint names a fix that works. */
  readonly keyOwners?: (host: string, port: number) => string[];
  /** Sees every hop's key check as it happens, also when the connection then fails. */
  readonly onCheck?: (check: HostKeyCheck) => void;
}

/** An authenticated connection: the target's ssh2 client plus the hops it runs through. */
export interface SshSession {
  readonly client: Client;
  /** Key checks of every hop in order (jump hosts first). */
  readonly checks: readonly HostKeyCheck[];
  /** Closes the target and every jump connection. */
  close(): void;
}

/** One auth method object as ssh2's authHandler takes it. */
type AuthAttempt = { type: string; username: string; [k: string]: unknown };

function loadKey(file: string, passphrase: string | undefined, required: boolean): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    if (!required) return undefined;
    throw new LifeboatError('bad-input', `cannot read the key file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'check the path given to --identity');
  }
  const parsed = utils.parseKey(data, passphrase);
  if (parsed instanceof Error) {
    if (!required) return undefined;
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    if (encrypted && passphrase === undefined) {
      throw new LifeboatError('auth-failed', `the key ${file} is encrypted and no passphrase was given`, 'pass its passphrase (--passphrase-file FILE or LIFEBOAT_SSH_PASSPHRASE), or load the key into ssh-agent');
    }
    throw new LifeboatError('auth-failed', encrypted ? `the passphrase for the key ${file} is wrong` : `the key ${file} cannot be read: ${parsed.message}`, encrypted ? 'check the passphrase; nothing was sent to the server' : 'use an OpenSSH or PEM private key');
  }
  return data;
}

/** The auth attempts for one hop, in OpenSSH's order: key file(s), agent, password. */
function authAttempts(user: string, creds: SshCredentials, identityFile: string | undefined): AuthAttempt[] {
  const attempts: AuthAttempt[] = [];
  const explicit = identityFile ?? creds.identityFile;
  if (explicit) {
    const key = loadKey(explicit, creds.passphrase, true);
    attempts.push({ type: 'publickey', username: user, key, ...(creds.passphrase ? { passphrase: creds.passphrase } : {}) });
  } else {
    for (const file of creds.defaultIdentityFiles ?? []) {
      const key = loadKey(file, undefined, false);
      if (key) attempts.push({ type: 'publickey', username: user, key });
    }
  }
  if (creds.agentSocket) attempts.push({ type: 'agent', username: user, agent: creds.agentSocket });
  if (creds.password !== undefined) {
    const password = creds.password;
    attempts.push({ type: 'password', username: user, password });
    attempts.push({
      type: 'keyboard-interactive',
      username: user,
      prompt: (_n: string, _i: string, _l: string, prompts: unknown[], finish: (answers: string[]) => void) => finish(prompts.map(() => password)),
    });
  }
  return attempts;
}

function describeAttempts(attempts: AuthAttempt[], creds: SshCredentials, identityFile?: string): string {
  const kinds = new Set(attempts.map((a) => a.type));
  const parts: string[] = [];
  if (kinds.has('publickey')) parts.push(identityFile ?? creds.identityFile ? `key ${identityFile ?? creds.identityFile}` : 'default keys');
  if (kinds.has('agent')) parts.push('ssh-agent');
  if (kinds.has('password')) parts.push('password');
  return parts.length > 0 ? parts.join(', ') : 'nothing (no key, agent or password was available)';
}

function mapError(err: Error & { level?: string; code?: unknown }, hop: SshEndpoint, timeoutMs: number, tried: string): LifeboatError {
  const where = `${hop.user ?? '?'}@${endpointLabel(hop)}`;
  if (err.level === 'client-authentication') {
    return new LifeboatError('auth-failed', `${where} refused every credential Lifeboat tried (${tried})`, 'check the user name, that the public key is in ~/.ssh/authorized_keys on the server (or the password), or load the key into ssh-agent');
  }
  if (err.level === 'client-timeout') {
    return new LifeboatError('timeout', `no SSH answer from ${endpointLabel(hop)} within ${Math.round(timeoutMs / 1000)} s`, 'check that the host is up and the port is right; behind a firewall or NAT, add --jump');
  }
  const code = typeof err.code === 'string' ? err.code : '';
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE'].includes(code) || err.level === 'client-socket' || err.level === 'client-dns') {
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'no such host name' : code || err.message;
    return new LifeboatError('unreachable', `cannot reach ${endpointLabel(hop)}: ${why}`, 'check the host name and port (is sshd running there?), or reach it through a jump host with --jump');
  }
  return new LifeboatError('unreachable', `SSH to ${endpointLabel(hop)} failed: ${err.message}`, 'check the host name and port, and that the server runs OpenSSH');
}

/** Opens a channel to `host:port` through an authenticated client (a ProxyJump hop). */
function forwardThrough(client: Client, hop: SshEndpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, hop.host, hop.port, (err, stream) => {
      if (err) reject(new LifeboatError('unreachable', `the jump host could not open a connection to ${endpointLabel(hop)}: ${err.message}`, 'check the next hop\'s host name and port as seen from the jump host'));
      else resolve(stream);
    });
  });
}

function connectHop(
  hop: SshConnectOptions['hops'][number],
  options: SshConnectOptions,
  sock: Duplex | undefined,
  checks: HostKeyCheck[],
): Promise<Client> {
  const timeoutMs = options.timeoutMs ?? 8000;
  const attempts = authAttempts(hop.user, options.credentials, hop.identityFile);
  const tried = describeAttempts(attempts, options.credentials, hop.identityFile);
  const client = new Client();
  let refused: HostKeyCheck | undefined;
  const errorContext = (check: HostKeyCheck): HostKeyErrorContext => ({
    ...(options.hostName ? { hostName: options.hostName } : {}),
    ownFile: options.keys.ownFile,
    ...(options.keyOwners ? { owners: options.keyOwners(check.host, check.port) } : {}),
  });
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const finish = (err?: LifeboatError) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (err) {
        client.end();
        client.destroy();
        reject(err);
      } else resolve(client);
    };
    const onAbort = () => finish(new LifeboatError('cancelled', `connecting to ${endpointLabel(hop)} was cancelled`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) return onAbort();
    let index = 0;
    client.on('ready', () => {
      // Small request/response exchanges (Docker API calls) otherwise wait on Nagle + delayed ACK.
      client.setNoDelay(true);
      finish();
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (refused) return finish(hostKeyError(refused, errorContext(refused)));
      finish(mapError(err, hop, timeoutMs, tried));
    });
    client.on('close', () => {
      if (refused) finish(hostKeyError(refused, errorContext(refused)));
      else finish(new LifeboatError('unreachable', `${endpointLabel(hop)} closed the connection during setup`, 'check that the port belongs to an SSH server'));
    });
    const config: ConnectConfig = {
      host: hop.host,
      port: hop.port,
      username: hop.user,
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: options.keys.preferredAlgorithms(hop.host, hop.port) as never },
      hostVerifier: makeHostVerifier(options.keys, hop.host, hop.port, options.policy, (check) => {
        checks.push(check);
        options.onCheck?.(check);
        if (check.status !== 'known' && !check.accepted) refused = check;
      }),
      authHandler: ((methodsLeft: AuthenticationType[] | null) => {
        while (index < attempts.length) {
          const next = attempts[index++];
          if (!next) break;
          const allowed = methodsLeft === null || methodsLeft.includes((next.type === 'agent' ? 'publickey' : next.type) as AuthenticationType);
          if (allowed) return next as never;
        }
        return false;
      }) as never,
      ...(sock ? { sock: sock as never } : {}),
    };
    try {
      if (!sock) {
        // A direct hop: our own socket, connecting already (ssh2 waits for its 'connect').
        const direct = bulkReadSocket();
        direct.connect(hop.port, hop.host);
        config.sock = direct;
      }
      client.connect(config);
    } catch (err) {
      finish(mapError(err as Error, hop, timeoutMs, tried));
    }
  });
}

/**
 * Connects hop by hop (ProxyJump): each hop's key is verified before any credential is sent,
 * every hop honours the timeout and the AbortSignal, and any failure closes what was opened.
 */
export async function connectSsh(options: SshConnectOptions): Promise<SshSession> {
  if (options.hops.length === 0) throw new LifeboatError('bad-input', 'no SSH host to connect to');
  const clients: Client[] = [];
  const checks: HostKeyCheck[] = [];
  const closeAll = () => {
    for (const c of [...clients].reverse()) c.end();
  };
  try {
    for (const hop of options.hops) {
      const previous = clients[clients.length - 1];
      const sock = previous ? await forwardThrough(previous, hop) : undefined;
      clients.push(await connectHop(hop, options, sock, checks));
    }
  } catch (err) {
    closeAll();
    throw err;
  }
  const target = clients[clients.length - 1] as Client;
  return { client: target, checks, close: closeAll };
}
