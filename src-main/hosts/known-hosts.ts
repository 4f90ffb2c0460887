import { createHmac, timingSafeEqual } from 'node:crypto';

/** One key line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  readonly marker?: 'cert-authority' | 'revoked';
  /** Comma-separated host patterns, or undefined when the line is hashed. */
  readonly patterns?: readonly string[];
  /** `|1|salt|hash` entries (HashKnownHosts yes). */
  readonly hashed?: { readonly salt: Buffer; readonly hash: Buffer };
  readonly keyType: string;
  readonly key: Buffer;
  readonly file: string;
  readonly line: number;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function parseHashed(token: string): KnownHostEntry['hashed'] {
  const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(token);
  if (!m?.[1] || !m[2]) return undefined;
  const salt = Buffer.from(m[1], 'base64');
  const hash = Buffer.from(m[2], 'base64');
  return salt.length === 20 && hash.length === 20 ? { salt, hash } : undefined;
}

/** Parses known_hosts text; malformed lines are skipped, never fatal (OpenSSH does the same). */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const name = fields.shift();
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [hosts, keyType, keyB64] = fields;
    if (!hosts || !keyType || !keyB64 || !/^[A-Za-z0-9+/]+=*$/.test(keyB64)) return;
    const key = Buffer.from(keyB64, 'base64');
    if (key.length < 8) return;
    const base = { keyType, key, file, line: index + 1, ...(marker ? { marker } : {}) };
    if (hosts.startsWith('|')) {
      const hashed = parseHashed(hosts);
      if (hashed) entries.push({ ...base, hashed });
      return;
    }
    entries.push({ ...base, patterns: hosts.split(',').filter((p) => p.length > 0) });
  });
  return entries;
}

/** OpenSSH glob: `*` any run, `?` one character; case-insensitive like host names. */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** A pattern list matches when some pattern matches and no negated (`!`) pattern does. */
export function patternListMatches(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** Whether an entry is about `host` on `port` (plain patterns or a hashed name). */
export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hashed) {
    const digest = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return timingSafeEqual(digest, entry.hashed.hash);
  }
  return patternListMatches(entry.patterns ?? [], name);
}

/** One line in OpenSSH format, as Lifeboat writes it to its own file. */
export function formatKnownHostsLine(host: string, port: number, key: Buffer, comment?: string): string {
  const type = key.subarray(4, 4 + key.readUInt32BE(0)).toString('latin1');
  const safeComment = comment?.replace(/[^\w .:@()/-]/g, '').slice(0, 120);
  return `${knownHostsName(host, port)} ${type} ${key.toString('base64')}${safeComment ? ` ${safeComment}` : ''}`;
}

/**
 * Drops the lines of a known_hosts text that are exactly about `host:port` (plain single-name
 * lines or hashed lines for that name); other lines, comments included, stay byte for byte.
 */
export function removeHostLines(text: string, host: string, port: number, file = ''): { text: string; removed: number } {
  const name = knownHostsName(host, port);
  let removed = 0;
  const kept = text.split('\n').filter((raw) => {
    const [entry] = parseKnownHosts(raw, file);
    if (!entry || entry.marker) return true;
    const exact = entry.hashed ? entryMatches(entry, host, port) : entry.patterns?.length === 1 && entry.patterns[0]?.toLowerCase() === name.toLowerCase();
    if (exact) removed++;
    return !exact;
  });
  return { text: kept.join('\n'), removed };
}
