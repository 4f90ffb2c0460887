import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { LifeboatError } from '../api/errors';
import type { HostKeyInfo, HostSummary, Probe } from '../api/hosts-contract';
import { dockerOverTcp, plainTcpWarning, readDockerTls } from './docker-connect';
import { type HostKeyCheck, type HostKeyPolicy, HostKeyStore } from './host-keys';
import { HostStore } from './host-store';
import { type HostTarget, type SshEndpoint, formatHostUrl, formatSshUrl, parseHostUrl, parseJump } from './host-url';
import { probeSsh, reachDocker, parseProbeOutput, probeScript } from './probe';
import { type SshSession, connectSsh } from './ssh-connect';
import { type ExecOptions, type ExecResult, sshExec } from './ssh-exec';
import type { RemoteProcess, SpawnOptions } from './remote-process';
import { sshSpawn } from './ssh-spawn';
import { importSshConfig } from './ssh-config';

/** Collaborators of the host service; tests pass temp dirs and their own environment. */
export interface HostServiceOptions {
  /** Lifeboat's state directory (hosts.json and known_hosts live here). */
  readonly home: string;
  /** Where `~/.ssh` is looked for (known_hosts, config, default keys). */
  readonly userHome?: string;
  /** Environment for SSH_AUTH_SOCK. */
  readonly env?: NodeJS.ProcessEnv;
  readonly connectTimeoutMs?: number;
}

/** Secrets and trust choices a caller may pass with a request. */
export interface ConnectInput {
  readonly identityFile?: string | undefined;
  readonly jumps?: readonly string[];
  readonly tlsDir?: string | undefined;
  readonly acceptNewHostKey?: boolean;
  readonly fingerprints?: readonly string[];
  readonly password?: string | undefined;
  readonly passphrase?: string | undefined;
}

/** An open connection to a host: Docker API always, a shell when it is SSH. */
export interface HostConnection {
  readonly host: HostSummary;
  readonly docker: Docker;
  readonly probe?: Probe;
  /** Runs a shell command (SSH hosts only); quote data with `shellQuote`. */
  readonly exec?: (command: string, options?: ExecOptions) => Promise<ExecResult>;
  /** Starts a shell command with streamed stdout (SSH hosts only), for dumps and file pulls. */
  readonly spawn?: (command: string, options?: SpawnOptions) => Promise<RemoteProcess>;
  close(): void;
}

/** Wire form of a key check. */
export function keyInfo(check: HostKeyCheck): HostKeyInfo {
  const { host, port, presented, status, accepted, source } = check;
  return { host, port, keyType: presented.type, label: presented.label, bits: presented.bits, fingerprint: presented.fingerprint, status, accepted, ...(source ? { source } : {}) };
}

/**
 * Hosts: adding (verify keys, authenticate, probe, remember), listing, removing, importing
 * `~/.ssh/config`, and opening connections for discovery and backups.
 */
export class HostService {
  readonly keys: HostKeyStore;
  readonly store: HostStore;
  private readonly userHome: string;
  private readonly env: NodeJS.ProcessEnv;
  /** Passwords and key passphrases by host name, for this engine's lifetime only. */
  private readonly secrets = new Map<string, { password?: string; passphrase?: string }>();

  constructor(private readonly options: HostServiceOptions) {
    this.userHome = options.userHome ?? homedir();
    this.env = options.env ?? process.env;
    const ssh = join(this.userHome, '.ssh');
    this.keys = new HostKeyStore(join(options.home, 'known_hosts'), [join(ssh, 'known_hosts'), join(ssh, 'known_hosts2')]);
    this.store = new HostStore(options.home);
  }

  private localUser(): string {
    try {
      return userInfo().username;
    } catch {
      return 'root';
    }
  }

  private hops(target: SshEndpoint, jumps: readonly string[], identityFile?: string) {
    const withUser = (e: SshEndpoint) => ({ host: e.host, port: e.port, user: e.user ?? this.localUser(), ...(identityFile ? { identityFile } : {}) });
    return [...jumps.map((j) => withUser(parseJump(j))), withUser(target)];
  }

  private async sshSession(target: SshEndpoint, input: ConnectInput, signal: AbortSignal | undefined, hostName?: string, onCheck?: (c: HostKeyCheck) => void): Promise<SshSession> {
    const policy: HostKeyPolicy = { acceptNew: input.acceptNewHostKey ?? false, fingerprints: input.fingerprints ?? [] };
    const identityFile = input.identityFile ? resolve(input.identityFile) : undefined;
    const agentSocket = this.env.SSH_AUTH_SOCK;
    try {
      return await connectSsh({
        hops: this.hops(target, input.jumps ?? [], identityFile),
        credentials: {
          ...(identityFile ? { identityFile } : {}),
          ...(input.passphrase !== undefined ? { passphrase: input.passphrase } : {}),
          ...(input.password !== undefined ? { password: input.password } : {}),
          ...(agentSocket ? { agentSocket } : {}),
          defaultIdentityFiles: ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => join(this.userHome, '.ssh', f)),
        },
        keys: this.keys,
        policy,
        timeoutMs: this.options.connectTimeoutMs ?? 8000,
        ...(signal ? { signal } : {}),
        ...(hostName ? { hostName } : {}),
        ...(onCheck ? { onCheck } : {}),
        keyOwners: (host, port) => this.keyOwners(host, port),
      });
    } catch (err) {
      const given = policy.fingerprints ?? [];
      if (err instanceof LifeboatError && err.code === 'host-key-unknown' && given.length > 0) {
        throw new LifeboatError('host-key-unknown', `${err.message}, which is NOT the fingerprint you gave (${given.join(', ')}); this may not be the server you think`, 'check the fingerprint on the server\'s console; do not accept this key unless they match');
      }
      throw err;
    }
  }

  /** Shows the keys on the way to a URL without trusting anything. */
  async scanKeys(url: string, input: ConnectInput, signal?: AbortSignal): Promise<HostKeyInfo[]> {
    const target = parseHostUrl(url);
    if (target.kind !== 'ssh') throw new LifeboatError('unsupported', 'docker+tcp hosts have no SSH host key', 'they are verified with TLS certificates (--tls-dir)');
    let session: SshSession | undefined;
    const checks: HostKeyCheck[] = [];
    try {
      session = await this.sshSession(target, input, signal, undefined, (c) => checks.push(c));
    } catch (err) {
      if (!(err instanceof LifeboatError) || !['host-key-unknown', 'host-key-changed', 'auth-failed'].includes(err.code)) throw err;
      if (checks.length === 0) throw err;
    } finally {
      session?.close();
    }
    return checks.map(keyInfo);
  }

  /** Adds a host: connects (verifying every hop's key), trusts accepted keys, probes, saves. */
  async add(name: string, url: string, input: ConnectInput & { source?: HostSummary['source'] }, signal?: AbortSignal): Promise<{ host: HostSummary; hostKeys: HostKeyInfo[]; warnings: string[] }> {
    if (this.store.has(name)) throw new LifeboatError('already-exists', `a host named "${name}" already exists`, `pick another name, or run "lifeboat host rm ${name}" first`);
    const target = parseHostUrl(url);
    const jumps = (input.jumps ?? []).map((j) => formatSshUrl(parseJump(j)));
    const base = {
      name,
      url: formatHostUrl(target),
      kind: target.kind,
      jumps,
      addedAt: new Date().toISOString(),
      source: input.source ?? 'cli',
      ...(input.identityFile ? { identityFile: resolve(input.identityFile) } : {}),
      ...(input.tlsDir ? { tlsDir: resolve(input.tlsDir) } : {}),
    } satisfies Omit<HostSummary, 'warnings'>;
    if (target.kind === 'docker-tcp') {
      const host: HostSummary = { ...base, jumps: [], warnings: input.tlsDir ? [] : [plainTcpWarning(target.host, target.port)] };
      const conn = this.tcpConnection(host, target);
      const version = await this.dockerVersion(conn.docker, signal);
      const saved = { ...host, probe: tcpProbe(version) };
      this.store.put(saved);
      return { host: saved, hostKeys: [], warnings: host.warnings };
    }
    const session = await this.sshSession(target, { ...input, jumps }, signal, name);
    try {
      for (const check of session.checks) if (check.accepted) this.keys.trust(check.host, check.port, check.blob, `lifeboat host ${name}`);
      const { probe } = await probeSsh(session.client, '/var/run/docker.sock', signal);
      const warnings = probe.dockerAccess === 'none' ? ['the Docker API is not reachable with this account; discovery will fail until it is'] : [];
      const host: HostSummary = { ...base, probe, warnings };
      this.store.put(host);
      this.rememberSecrets(name, input);
      return { host, hostKeys: session.checks.map(keyInfo), warnings: [...warnings, ...probe.notes] };
    } finally {
      session.close();
    }
  }

  private rememberSecrets(name: string, input: ConnectInput): void {
    if (input.password === undefined && input.passphrase === undefined) return;
    this.secrets.set(name, {
      ...(input.password !== undefined ? { password: input.password } : {}),
      ...(input.passphrase !== undefined ? { passphrase: input.passphrase } : {}),
    });
  }

  private tcpConnection(host: HostSummary, target: Extract<HostTarget, { kind: 'docker-tcp' }>): HostConnection {
    const tls = host.tlsDir ? readDockerTls(host.tlsDir) : undefined;
    return { host, docker: dockerOverTcp(target.host, target.port, tls), close: () => undefined };
  }

  private async dockerVersion(docker: Docker, signal?: AbortSignal): Promise<string> {
    try {
      const v = (await docker.version({ abortSignal: signal } as never)) as unknown as { Version?: string };
      return v.Version ?? 'unknown';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ETIMEDOUT' || /timeout/i.test(String((err as Error).message))) throw new LifeboatError('timeout', `the Docker API did not answer in time: ${(err as Error).message}`, 'check the host and port, and that dockerd listens there');
      throw new LifeboatError('unreachable', `cannot reach the Docker API: ${(err as Error).message}`, 'check the host, port and TLS files (--tls-dir with ca.pem, cert.pem, key.pem)');
    }
  }

  /** Every known host. */
  list(): HostSummary[] {
    return this.store.list();
  }

  /** Saved hosts that connect to `host:port`, as target or jump hop (they share its key). */
  keyOwners(host: string, port: number): string[] {
    return this.store.list().filter((h) => sshEndpoints(h).some((e) => e.host === host && e.port === port)).map((h) => h.name);
  }

  /** Removes a host and the keys Lifeboat's own file trusted for it (never ~/.ssh/known_hosts). */
  remove(name: string): { name: string; forgottenKeys: number } {
    const host = this.store.get(name);
    this.store.remove(name);
    this.secrets.delete(name);
    let forgottenKeys = 0;
    // Keep a key that another host (or another host's jump) still connects to.
    for (const e of sshEndpoints(host)) if (this.keyOwners(e.host, e.port).length === 0) forgottenKeys += this.keys.forget(e.host, e.port);
    return { name, forgottenKeys };
  }

  /** Imports concrete `Host` entries of an ssh config; existing names are skipped, nothing connects. */
  importSshConfig(file?: string): { imported: HostSummary[]; skipped: { name: string; reason: string }[] } {
    const path = resolve(file ?? join(this.userHome, '.ssh', 'config'));
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new LifeboatError('not-found', `cannot read ${path}`, 'give the path of an OpenSSH client config: lifeboat host import-ssh-config FILE');
    }
    const { hosts, skipped } = importSshConfig(text, this.userHome);
    const imported: HostSummary[] = [];
    for (const h of hosts) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(h.name)) {
        skipped.push({ name: h.name, reason: 'the alias is not a valid Lifeboat host name' });
        continue;
      }
      if (this.store.has(h.name)) {
        skipped.push({ name: h.name, reason: 'a host with this name already exists' });
        continue;
      }
      const host: HostSummary = {
        name: h.name,
        url: formatSshUrl({ host: h.endpoint.host, port: h.endpoint.port, ...(h.endpoint.user ? { user: h.endpoint.user } : {}) }),
        kind: 'ssh',
        jumps: h.jumps.map(formatSshUrl),
        addedAt: new Date().toISOString(),
        source: 'ssh-config',
        ...(h.identityFile ? { identityFile: h.identityFile } : {}),
        warnings: ['imported, not connected yet: its host key is checked on first use'],
      };
      this.store.put(host);
      imported.push(host);
    }
    return { imported, skipped };
  }

  /** Opens a host for discovery or backup; probes on first use (or when asked) and remembers. */
  async open(name: string, input: ConnectInput & { reprobe?: boolean }, signal?: AbortSignal): Promise<HostConnection> {
    const host = this.store.get(name);
    const target = parseHostUrl(host.url);
    if (target.kind === 'docker-tcp') {
      const conn = this.tcpConnection(host, target);
      if (!host.probe || input.reprobe) {
        const probe = tcpProbe(await this.dockerVersion(conn.docker, signal));
        this.store.put({ ...host, probe });
        return { ...conn, host: { ...host, probe }, probe };
      }
      return { ...conn, probe: host.probe };
    }
    const remembered = this.secrets.get(name) ?? {};
    const merged: ConnectInput = { ...remembered, ...stripUndefined(input), jumps: host.jumps, ...(host.identityFile ? { identityFile: host.identityFile } : {}) };
    const session = await this.sshSession(target, merged, signal, name);
    try {
      for (const check of session.checks) if (check.accepted) this.keys.trust(check.host, check.port, check.blob, `lifeboat host ${name}`);
      this.rememberSecrets(name, input);
      let probe = host.probe;
      let docker: Docker | undefined;
      if (!probe || input.reprobe) {
        const result = await probeSsh(session.client, '/var/run/docker.sock', signal);
        probe = result.probe;
        docker = result.reach.docker;
        this.store.put({ ...host, probe });
      } else {
        const facts = probe.dockerAccess === 'stream-local' ? { sudo: probe.sudo, tools: probe.tools } : parseProbeOutput((await sshExec(session.client, probeScript, { timeoutMs: 15_000, ...(signal ? { signal } : {}) })).stdout.toString('utf8'));
        docker = (await reachDocker(session.client, '/var/run/docker.sock', facts, probe.dockerAccess, signal)).docker;
      }
      if (!docker) throw new LifeboatError('remote-failed', `the Docker API of ${name} is not reachable as ${probe.user}`, 'add the user to the docker group, allow passwordless sudo, or connect as root; then run discovery with --reprobe');
      const client = session.client;
      return {
        host: { ...host, probe },
        docker,
        probe,
        exec: (command, options) => sshExec(client, command, { ...(signal ? { signal } : {}), ...options }),
        spawn: (command, options) => sshSpawn(client, command, { ...(signal ? { signal } : {}), ...options }),
        close: () => session.close(),
      };
    } catch (err) {
      session.close();
      throw err;
    }
  }
}

/** The SSH endpoints a host connects to: its jump hops and its target (none for docker+tcp). */
function sshEndpoints(h: HostSummary): SshEndpoint[] {
  const t = parseHostUrl(h.url);
  return [...(t.kind === 'ssh' ? [t] : []), ...h.jumps.map(parseJump)];
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function tcpProbe(version: string): Probe {
  return {
    at: new Date().toISOString(),
    user: '(docker api)',
    root: false,
    sudo: false,
    dockerAccess: 'tcp',
    dockerVersion: version,
    fileAccess: 'none',
    tools: [],
    missing: [],
    notes: ['only the Docker API is reachable: host paths are read through containers or the archive endpoint (full copies, still deduplicated).'],
  };
}
