import { globMatch } from './known-hosts';
import type { SshEndpoint } from './host-url';
import { parseEndpoint } from './host-url';

/** One `Host` block of an OpenSSH client config: its patterns and options (keys lower-cased). */
export interface SshConfigBlock {
  readonly patterns: readonly string[];
  readonly options: ReadonlyArray<readonly [string, string]>;
  readonly line: number;
}

/** A host found in an ssh config, ready to become a Lifeboat host. */
export interface ImportedSshHost {
  readonly name: string;
  readonly endpoint: Required<Pick<SshEndpoint, 'host' | 'port'>> & { user?: string };
  readonly identityFile?: string;
  readonly jumps: readonly SshEndpoint[];
}

/** Why a `Host` entry could not be imported. */
export interface SkippedSshHost {
  readonly name: string;
  readonly reason: string;
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/**
 * Parses an OpenSSH client config (ssh_config(5)): `Keyword value` or `Keyword=value`,
 * keywords case-insensitive, `Host` starting blocks. `Match` blocks are skipped (they depend
 * on run-time conditions Lifeboat cannot evaluate), options before any Host apply to all.
 */
export function parseSshConfig(text: string): SshConfigBlock[] {
  const blocks: { patterns: string[]; options: [string, string][]; line: number }[] = [{ patterns: ['*'], options: [], line: 0 }];
  let skipping = false;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!m?.[1]) return;
    const keyword = m[1].toLowerCase();
    const value = (m[2] ?? '').trim();
    if (keyword === 'host') {
      skipping = false;
      blocks.push({ patterns: value.split(/\s+/).map(unquote).filter(Boolean), options: [], line: index + 1 });
      return;
    }
    if (keyword === 'match') {
      skipping = true;
      return;
    }
    if (skipping) return;
    blocks[blocks.length - 1]?.options.push([keyword, unquote(value)]);
  });
  return blocks;
}

function blockApplies(block: SshConfigBlock, alias: string): boolean {
  let matched = false;
  for (const p of block.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), alias)) return false;
    } else if (globMatch(p, alias)) {
      matched = true;
    }
  }
  return matched;
}

/** Effective options for an alias: every matching block in order, first value wins (as ssh does). */
export function resolveSshOptions(blocks: readonly SshConfigBlock[], alias: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of blocks) {
    if (!blockApplies(block, alias)) continue;
    for (const [k, v] of block.options) if (!out.has(k)) out.set(k, v);
  }
  return out;
}

function expandTokens(value: string, alias: string, hostName: string, userHome: string): string {
  let v = value.startsWith('~/') ? `${userHome}/${value.slice(2)}` : value;
  v = v.replace(/%%|%d|%h|%n/g, (t) => (t === '%%' ? '%' : t === '%d' ? userHome : t === '%h' ? hostName : alias));
  return v;
}

function endpointOf(blocks: readonly SshConfigBlock[], spec: string): SshEndpoint {
  const direct = parseEndpoint(spec, 22);
  const opts = resolveSshOptions(blocks, direct.host);
  const host = opts.get('hostname') ?? direct.host;
  const port = direct.port !== 22 ? direct.port : Number(opts.get('port') ?? 22);
  const user = direct.user ?? opts.get('user');
  return parseEndpoint(`${user ? `${user}@` : ''}${host.includes(':') ? `[${host}]` : host}:${port}`, 22, spec);
}

/**
 * Turns the concrete `Host` aliases of a config (no wildcards) into Lifeboat hosts:
 * HostName, User, Port, the first IdentityFile and ProxyJump (hops may be aliases too).
 */
export function importSshConfig(
  text: string,
  userHome: string,
): { hosts: ImportedSshHost[]; skipped: SkippedSshHost[] } {
  const blocks = parseSshConfig(text);
  const hosts: ImportedSshHost[] = [];
  const skipped: SkippedSshHost[] = [];
  const seen = new Set<string>();
  for (const block of blocks) {
    for (const alias of block.patterns) {
      if (alias.startsWith('!') || /[*?]/.test(alias) || seen.has(alias)) continue;
      seen.add(alias);
      const opts = resolveSshOptions(blocks, alias);
      try {
        if (opts.has('proxycommand') && opts.get('proxycommand')?.toLowerCase() !== 'none') {
          throw new Error('ProxyCommand is not supported; use ProxyJump instead');
        }
        const hostName = expandTokens(opts.get('hostname') ?? alias, alias, alias, userHome);
        const endpoint = endpointOf([], `${hostName.includes(':') ? `[${hostName}]` : hostName}:${opts.get('port') ?? '22'}`);
        const user = opts.get('user');
        const jumpSpec = opts.get('proxyjump');
        const jumps =
          jumpSpec && jumpSpec.toLowerCase() !== 'none'
            ? jumpSpec.split(',').map((hop) => endpointOf(blocks, hop.replace(/^ssh:\/\//, '').trim()))
            : [];
        const identity = opts.get('identityfile');
        hosts.push({
          name: alias,
          endpoint: { host: endpoint.host, port: endpoint.port, ...(user ? { user } : {}) },
          ...(identity && identity.toLowerCase() !== 'none' ? { identityFile: expandTokens(identity, alias, hostName, userHome) } : {}),
          jumps,
        });
      } catch (err) {
        skipped.push({ name: alias, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return { hosts, skipped };
}
