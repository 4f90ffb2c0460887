import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostService } from '../../../src-main/hosts/host-service';
import { labInfo } from '../../helpers/lab';

/** A fresh Lifeboat home and an empty user home (so the real ~/.ssh is never read). */
export function tempHomes(): { home: string; userHome: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-hosts-'));
  return { home: join(root, 'home'), userHome: join(root, 'user'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A host service on temp dirs with a short connect timeout. */
export function makeService(homes: { home: string; userHome: string }, env: NodeJS.ProcessEnv = {}, connectTimeoutMs = 5000): HostService {
  return new HostService({ home: homes.home, userHome: homes.userHome, env, connectTimeoutMs });
}

/** The lab's SSH URL for a user. */
export function labUrl(user = labInfo().ssh.user): string {
  const { host, port } = labInfo().ssh;
  return `ssh://${user}@${host}:${port}`;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Starts a TCP server on 127.0.0.1 that pipes every connection to a unix socket (plain docker+tcp). */
export async function socketProxy(socketPath: string): Promise<{ port: number; server: Server }> {
  const server = createServer((client) => {
    const upstream = connect(socketPath);
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, server };
}

/** A TCP listener that accepts and never answers: the "host is there but silent" case. */
export async function blackhole(): Promise<{ port: number; server: Server }> {
  const sockets: import('node:net').Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, server };
}

/** An ssh-agent holding the lab's root key; returns its socket and a stop function. */
export function startAgent(dir: string): { socket: string; stop(): void } {
  const socket = join(dir, 'agent.sock');
  const out = execFileSync('ssh-agent', ['-a', socket], { encoding: 'utf8' });
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
  execFileSync('ssh-add', [labInfo().ssh.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
  return { socket, stop: () => { try { process.kill(pid); } catch { /* already gone */ } } };
}

/**
 * A second sshd on 127.0.0.1 with its own, different host key: the impostor. Its log (DEBUG)
 * shows whether any authentication request reached it.
 */
export async function startImpostorSshd(dir: string, extraConfig: readonly string[] = []): Promise<{ port: number; log(): string; proc: ChildProcess; stop(): void }> {
  const port = await freePort();
  const key = join(dir, `impostor_host_key_${port}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const config = join(dir, `impostor_sshd_config_${port}`);
  writeFileSync(config, [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${key}`, `PidFile ${join(dir, `impostor_${port}.pid`)}`, 'PasswordAuthentication yes', 'PubkeyAuthentication yes', 'UsePAM no', 'StrictModes no', 'LogLevel DEBUG1', ...extraConfig, ''].join('\n'));
  const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const chunks: Buffer[] = [];
  proc.stderr?.on('data', (c: Buffer) => chunks.push(c));
  const log = () => Buffer.concat(chunks).toString('utf8');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const up = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, log, proc, stop: () => proc.kill() };
}

/** The lab's host key as a known_hosts key field (`type base64`). */
export function labHostKeyField(): string {
  const info = labInfo() as ReturnType<typeof labInfo> & { ssh: { hostKey?: string } };
  return info.ssh.hostKey ?? readFileSync(info.ssh.hostKeyFile ?? '', 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

/** Reads a secret file of the lab (passwords, passphrases). */
export function labSecret(file: string | undefined): string {
  return readFileSync(file ?? '', 'utf8').replace(/\n$/, '');
}
