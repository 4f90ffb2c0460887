import type Docker from 'dockerode';
import type { Client } from 'ssh2';
import type { Probe } from '../api/hosts-contract';
import { type DockerDial, dialStdioDial, dockerOverDial, streamLocalDial } from './docker-connect';
import { sshExec } from './ssh-exec';

/** Tools the pull ladder uses on a server; missing ones are named in the probe's notes. */
export const wantedTools = ['find', 'tar', 'sha256sum', 'head', 'du', 'stat', 'xargs', 'gzip', 'zstd'] as const;

/**
 * GNU flavours the rsync-style pull needs (busybox lacks them): `find -printf` (gnufind),
 * `tar --null -T -` (gnutar), `split --filter` (gnusplit, block hashes). Printed as `tool=` lines.
 */
export const gnuToolChecks = [
  'find / -maxdepth 0 -printf "" >/dev/null 2>&1 && echo tool=gnufind',
  'case "$(tar --version 2>/dev/null)" in *"GNU tar"*) echo tool=gnutar;; esac',
  'split --filter=: /dev/null >/dev/null 2>&1 && echo tool=gnusplit',
] as const;

/** Constant script that lists the pull's tools as `tool=` lines (run inside containers too). */
export const pullToolsScript = [
  `for t in ${wantedTools.join(' ')} dd; do command -v "$t" >/dev/null 2>&1 && echo "tool=$t"; done`,
  ...gnuToolChecks,
  'true',
].join('; ');

/**
 * One constant script (no server data in it) that reports who we are and what exists.
 * `sudo -n true` never prompts, so a password-protected sudo simply counts as absent.
 */
export const probeScript = [
  'echo "uid=$(id -u)"',
  'echo "user=$(id -un)"',
  'echo "groups=$(id -Gn 2>/dev/null)"',
  'if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then echo sudo=yes; fi',
  `for t in ${wantedTools.join(' ')} docker dd; do command -v "$t" >/dev/null 2>&1 && echo "tool=$t"; done`,
  ...gnuToolChecks,
  'echo "os=$(uname -sm 2>/dev/null)"',
  'true',
].join('; ');

/** Facts parsed from the probe script's output. */
export interface ShellFacts {
  readonly uid?: number;
  readonly user: string;
  readonly groups: readonly string[];
  readonly sudo: boolean;
  readonly tools: readonly string[];
  readonly os?: string;
}

/** Parses `key=value` lines of the probe script; unknown lines are ignored. */
export function parseProbeOutput(text: string): ShellFacts {
  let uid: number | undefined;
  let user = '';
  let groups: string[] = [];
  let sudo = false;
  let os: string | undefined;
  const tools: string[] = [];
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'uid' && /^\d+$/.test(value)) uid = Number(value);
    else if (key === 'user') user = value;
    else if (key === 'groups') groups = value.split(/\s+/).filter(Boolean);
    else if (key === 'sudo') sudo = value === 'yes';
    else if (key === 'tool' && /^[a-z0-9]+$/.test(value)) tools.push(value);
    else if (key === 'os') os = value;
  }
  return { ...(uid === undefined ? {} : { uid }), user, groups, sudo, tools, ...(os ? { os } : {}) };
}

/** Plain sentences about missing pieces, for the probe's notes. */
export function probeNotes(facts: ShellFacts, dockerAccess: Probe['dockerAccess']): { missing: string[]; notes: string[] } {
  const missing = wantedTools.filter((t) => !facts.tools.includes(t));
  const notes: string[] = [];
  const root = facts.uid === 0;
  if (!root && !facts.sudo) notes.push(`${facts.user || 'this user'} is not root and has no passwordless sudo: volumes and root-owned bind mounts are read through containers or the Docker API (slower, full copies).`);
  if (dockerAccess === 'none') notes.push('the Docker API is not reachable: add the user to the docker group, allow passwordless sudo, or connect as root.');
  else if (!root && facts.groups.includes('docker')) notes.push(`${facts.user} reaches Docker through the docker group, which is root-equivalent on that host.`);
  if (missing.includes('zstd') && missing.includes('gzip')) notes.push('neither zstd nor gzip is installed: transfers are not compressed.');
  const core = missing.filter((t) => t !== 'zstd' && t !== 'gzip');
  if (core.length > 0) notes.push(`missing on the server: ${core.join(', ')}; the quick check and block delta need them, so changed files are copied whole.`);
  return { missing, notes };
}

async function pingWith(dial: DockerDial, signal?: AbortSignal): Promise<{ docker: Docker; version: string } | undefined> {
  const docker = dockerOverDial(dial, 8000);
  try {
    const version = (await docker.version({ abortSignal: signal } as never)) as unknown as { Version?: string };
    return { docker, version: version.Version ?? 'unknown' };
  } catch {
    return undefined;
  }
}

/** How Docker was reached, with a client to keep using. */
export interface DockerReach {
  readonly access: Probe['dockerAccess'];
  readonly docker?: Docker;
  readonly version?: string;
}

/** Tries the ways to the Docker API over one SSH connection, best first. */
export async function reachDocker(
  client: Client,
  socketPath: string,
  facts: Pick<ShellFacts, 'sudo' | 'tools'>,
  remembered?: Probe['dockerAccess'],
  signal?: AbortSignal,
): Promise<DockerReach> {
  const ways: [Probe['dockerAccess'], DockerDial][] = [['stream-local', streamLocalDial(client, socketPath)]];
  if (facts.tools.includes('docker')) ways.push(['dial-stdio', dialStdioDial(client, false)]);
  if (facts.tools.includes('docker') && facts.sudo) ways.push(['sudo-dial-stdio', dialStdioDial(client, true)]);
  ways.sort(([a], [b]) => (a === remembered ? -1 : b === remembered ? 1 : 0));
  for (const [access, dial] of ways) {
    const ok = await pingWith(dial, signal);
    if (ok) return { access, docker: dockerOverDial(dial, 30_000, access !== 'stream-local'), version: ok.version };
  }
  return { access: 'none' };
}

/** Runs the probe over SSH: shell facts, Docker access, tools, notes. */
export async function probeSsh(client: Client, socketPath: string, signal?: AbortSignal): Promise<{ probe: Probe; reach: DockerReach }> {
  const out = await sshExec(client, probeScript, { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
  const facts = parseProbeOutput(out.stdout.toString('utf8'));
  const reach = await reachDocker(client, socketPath, facts, undefined, signal);
  const { missing, notes } = probeNotes(facts, reach.access);
  const root = facts.uid === 0;
  return {
    reach,
    probe: {
      at: new Date().toISOString(),
      user: facts.user,
      ...(facts.uid === undefined ? {} : { uid: facts.uid }),
      root,
      sudo: facts.sudo,
      dockerGroup: facts.groups.includes('docker'),
      dockerAccess: reach.access,
      ...(reach.version ? { dockerVersion: reach.version } : {}),
      fileAccess: root ? 'root' : facts.sudo ? 'sudo' : 'none',
      tools: [...facts.tools],
      missing,
      notes,
    },
  };
}
