import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LifeboatError } from '../api/errors';
import { shellQuote } from '../sync/shell-quote';
import { type KeyDescription, describeKey } from './fingerprint';
import { type KnownHostEntry, entryMatches, formatKnownHostsLine, knownHostsName, parseKnownHosts, removeHostLines } from './known-hosts';

/** What Lifeboat concluded about a host key a server presented. */
export type HostKeyStatus = 'known' | 'unknown' | 'changed' | 'revoked';

/** The outcome of checking one presented key (one hop of a connection). */
export interface HostKeyCheck {
  readonly host: string;
  readonly port: number;
  readonly presented: KeyDescription;
  readonly blob: Buffer;
  readonly status: HostKeyStatus;
  /** `file:line` of the entry that matched (known) or contradicted (changed). */
  readonly source?: string;
  /** What was trusted before, when the key changed. */
  readonly expected?: readonly KeyDescription[];
  /** True when an unknown key was accepted by the caller's policy. */
  readonly accepted: boolean;
}

/** How unknown keys are treated: never silently; only by flag or by a matching fingerprint. */
export interface HostKeyPolicy {
  /** Like OpenSSH's StrictHostKeyChecking=accept-new: unknown keys are trusted, changed never. */
  readonly acceptNew?: boolean;
  /** Unknown keys whose `SHA256:` fingerprint is listed here are trusted. */
  readonly fingerprints?: readonly string[];
}

const algorithmsOfType: Record<string, string[]> = {
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const defaultHostKeyAlgorithms = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * Known host keys: Lifeboat's own OpenSSH-format file (written) plus the user's known_hosts
 * files (read only). Files are re-read on every check so edits by `ssh` are seen at once.
 */
export class HostKeyStore {
  constructor(
    /** Lifeboat's file, `<home>/known_hosts`. */
    readonly ownFile: string,
    /** Read-only files, typically `~/.ssh/known_hosts` and `~/.ssh/known_hosts2`. */
    readonly userFiles: readonly string[],
  ) {}

  private entries(): KnownHostEntry[] {
    const all: KnownHostEntry[] = [];
    for (const file of [this.ownFile, ...this.userFiles]) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      all.push(...parseKnownHosts(text, file));
    }
    return all;
  }

  /** Compares a presented key with every entry for `host:port` (OpenSSH's rules). */
  check(host: string, port: number, blob: Buffer): Omit<HostKeyCheck, 'accepted'> {
    const presented = describeKey(blob);
    const matching = this.entries().filter((e) => e.marker !== 'cert-authority' && entryMatches(e, host, port));
    const base = { host, port, presented, blob };
    const revoked = matching.find((e) => e.marker === 'revoked' && e.key.equals(blob));
    if (revoked) return { ...base, status: 'revoked', source: `${revoked.file}:${revoked.line}` };
    const trusted = matching.filter((e) => !e.marker);
    const same = trusted.find((e) => e.key.equals(blob));
    if (same) return { ...base, status: 'known', source: `${same.file}:${same.line}` };
    if (trusted.length === 0) return { ...base, status: 'unknown' };
    const sameType = trusted.filter((e) => e.keyType === presented.type);
    const conflicting = sameType.length > 0 ? sameType : trusted;
    return {
      ...base,
      status: 'changed',
      source: `${conflicting[0]?.file}:${conflicting[0]?.line}`,
      expected: conflicting.map((e) => describeKey(e.key)),
    };
  }

  /** Host key algorithms to offer, the types already trusted for this host first (as OpenSSH does). */
  preferredAlgorithms(host: string, port: number): string[] {
    const known = this.entries().filter((e) => !e.marker && entryMatches(e, host, port)).map((e) => e.keyType);
    const first = [...new Set(known.flatMap((t) => algorithmsOfType[t] ?? [t]))].filter((a) => defaultHostKeyAlgorithms.includes(a));
    return [...first, ...defaultHostKeyAlgorithms.filter((a) => !first.includes(a))];
  }

  /** Records a key in Lifeboat's own file (atomically), unless it is already there. */
  trust(host: string, port: number, blob: Buffer, comment = 'added by lifeboat'): void {
    const current = existsSync(this.ownFile) ? readFileSync(this.ownFile, 'utf8') : '';
    if (parseKnownHosts(current, this.ownFile).some((e) => !e.marker && e.key.equals(blob) && entryMatches(e, host, port))) return;
    const line = formatKnownHostsLine(host, port, blob, comment);
    const text = `${current}${current === '' || current.endsWith('\n') ? '' : '\n'}${line}\n`;
    writeAtomic(this.ownFile, text);
  }

  /** Forgets `host:port` in Lifeboat's own file; returns how many lines went. */
  forget(host: string, port: number): number {
    if (!existsSync(this.ownFile)) return 0;
    const { text, removed } = removeHostLines(readFileSync(this.ownFile, 'utf8'), host, port, this.ownFile);
    if (removed > 0) writeAtomic(this.ownFile, text);
    return removed;
  }
}

/** temp file → rename, mode 0600: the file is never seen half-written. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * Builds ssh2's `hostVerifier` for one hop. It runs during key exchange, before any
 * credential is sent, so a refused key means nothing secret ever reached the server.
 */
export function makeHostVerifier(
  store: HostKeyStore,
  host: string,
  port: number,
  policy: HostKeyPolicy,
  record: (check: HostKeyCheck) => void,
): (key: Buffer) => boolean {
  return (key: Buffer) => {
    const result = store.check(host, port, key);
    const accepted =
      result.status === 'unknown' && (policy.acceptNew === true || (policy.fingerprints ?? []).includes(result.presented.fingerprint));
    record({ ...result, accepted });
    return result.status === 'known' || accepted;
  };
}

/** Where a refused key came from, so the hint names a fix that works. */
export interface HostKeyErrorContext {
  /** Lifeboat's name of the host being connected (being added, or opened). */
  readonly hostName?: string;
  /** Lifeboat's own known_hosts file. */
  readonly ownFile?: string;
  /**
   * Saved hosts that connect to this endpoint (as target or jump hop). When given, "host rm"
   * is suggested only if the host being connected is its sole user: removing it is what
   * forgets the key, and a host being added, or a jump hop shared by others, keeps the key.
   */
  readonly owners?: readonly string[];
}

/** The error for a refused key: what happened, and exactly what to do next. */
export function hostKeyError(check: HostKeyCheck, context: HostKeyErrorContext = {}): LifeboatError {
  const where = knownHostsName(check.host, check.port);
  const key = `${check.presented.label} key ${check.presented.fingerprint}`;
  if (check.status === 'unknown') {
    return new LifeboatError(
      'host-key-unknown',
      `the host key of ${where} is not known yet: ${key}`,
      `compare it with the server's own (on its console: ssh-keygen -lf /etc/ssh/ssh_host_${check.presented.label.toLowerCase()}_key.pub), then repeat with --fingerprint ${check.presented.fingerprint} (or --accept-new-host-key)`,
    );
  }
  if (check.status === 'revoked') {
    return new LifeboatError(
      'host-key-changed',
      `REFUSED: the host key of ${where} is marked @revoked (${check.source}): ${key}`,
      'do not connect until the server has a new key that you have checked on its console',
    );
  }
  const was = (check.expected ?? []).map((k) => `${k.label} ${k.fingerprint}`).join(', ');
  const inOwnFile = context.ownFile !== undefined && check.source?.startsWith(`${context.ownFile}:`) === true;
  const again = 'then add it again with --fingerprint SHA256:… of the key you checked';
  const owners = context.owners ?? (context.hostName ? [context.hostName] : undefined);
  const soleOwner = context.hostName !== undefined && owners?.length === 1 && owners[0] === context.hostName;
  const usedBy = owners && owners.length > 0 ? ` (trusted for ${owners.map((o) => `"${o}"`).join(', ')})` : '';
  const fix = !inOwnFile
    ? `remove the old entry with "ssh-keygen -R '${where}'", ${again}`
    : soleOwner || (owners === undefined && context.hostName === undefined)
      ? `run "lifeboat host rm ${context.hostName ?? 'NAME'}", ${again}`
      : `remove the old key${usedBy} with "ssh-keygen -R '${where}' -f ${shellQuote(context.ownFile ?? '')}", then repeat with --fingerprint SHA256:… of the key you checked`;
  return new LifeboatError(
    'host-key-changed',
    `REFUSED: the host key of ${where} has CHANGED: it now presents ${key}, but ${was} is trusted (${check.source}). Someone may be intercepting the connection; no credentials were sent.`,
    `if the server was rebuilt on purpose, check its new key on its console (ssh-keygen -lf /etc/ssh/ssh_host_${check.presented.label.toLowerCase()}_key.pub); ${fix}`,
  );
}
