import { LifeboatError } from '../api/errors';

/** Where an SSH endpoint is: user (optional until resolved), host and port. */
export interface SshEndpoint {
  readonly user?: string;
  readonly host: string;
  readonly port: number;
}

/** A parsed host URL: SSH (`ssh://user@host:port`) or the Docker API over TCP (`docker+tcp://host:port`). */
export type HostTarget =
  | ({ readonly kind: 'ssh' } & SshEndpoint)
  | { readonly kind: 'docker-tcp'; readonly host: string; readonly port: number };

const hostnamePattern = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$/;
const ipv6Pattern = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;
const userPattern = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}\$?$/;

function bad(input: string, why: string): LifeboatError {
  return new LifeboatError(
    'bad-input',
    `"${input.slice(0, 200)}" is not a host URL Lifeboat understands: ${why}`,
    'use ssh://user@host[:port], user@host[:port] or docker+tcp://host:port',
  );
}

function parsePort(text: string | undefined, fallback: number, input: string): number {
  if (text === undefined || text === '') return fallback;
  if (!/^\d{1,5}$/.test(text)) throw bad(input, `port "${text}" is not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw bad(input, `port ${port} is out of range`);
  return port;
}

/** Splits `[user@]host[:port]` (host may be `[v6]`); validates every part. */
export function parseEndpoint(text: string, defaultPort: number, input = text): SshEndpoint {
  let rest = text;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = decodeURIComponent(rest.slice(0, at));
    rest = rest.slice(at + 1);
    if (!userPattern.test(user)) throw bad(input, `user name "${user.slice(0, 64)}" has characters that are not allowed`);
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw bad(input, 'missing "]" after an IPv6 address');
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw bad(input, 'unexpected text after "]"');
    portText = after === '' ? undefined : after.slice(1);
    if (!ipv6Pattern.test(host)) throw bad(input, `"${host}" is not an IPv6 address`);
  } else {
    const colon = rest.indexOf(':');
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    portText = colon >= 0 ? rest.slice(colon + 1) : undefined;
    if (host === '') throw bad(input, 'the host name is missing');
    if (!hostnamePattern.test(host) || host.includes('..')) throw bad(input, `"${host.slice(0, 80)}" is not a valid host name`);
  }
  const port = parsePort(portText, defaultPort, input);
  return user === undefined ? { host, port } : { user, host, port };
}

/**
 * Parses what a user types as a host: `ssh://user@host:port`, `user@host:port` (OpenSSH
 * style) or `docker+tcp://host:port`. Anything else (paths, queries, shell characters) is
 * refused so a host name can never smuggle options into a command line.
 */
export function parseHostUrl(input: string): HostTarget {
  const text = input.trim();
  if (text.length === 0 || text.length > 512) throw bad(input, 'empty or too long');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!scheme) return { kind: 'ssh', ...parseEndpoint(text, 22, input) };
  const name = scheme[1]?.toLowerCase();
  let rest = text.slice(scheme[0].length);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (/[/?#]/.test(rest)) throw bad(input, 'paths, queries and fragments are not allowed');
  if (name === 'ssh') return { kind: 'ssh', ...parseEndpoint(rest, 22, input) };
  if (name === 'docker+tcp' || name === 'tcp') {
    if (rest.includes('@')) throw bad(input, 'the Docker API takes no user name; use TLS client certificates');
    const { host, port } = parseEndpoint(rest, 2376, input);
    return { kind: 'docker-tcp', host, port };
  }
  throw bad(input, `unknown scheme "${name}://"`);
}

/** Parses a `--jump` value: `ssh://user@host:port` or `[user@]host[:port]`. */
export function parseJump(input: string): SshEndpoint {
  const target = parseHostUrl(input);
  if (target.kind !== 'ssh') throw bad(input, 'a jump host must be reached over SSH');
  return target.user === undefined ? { host: target.host, port: target.port } : { user: target.user, host: target.host, port: target.port };
}

function hostPart(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The canonical URL of a target, as stored and shown. */
export function formatHostUrl(target: HostTarget): string {
  if (target.kind === 'docker-tcp') return `docker+tcp://${hostPart(target.host)}:${target.port}`;
  return formatSshUrl(target);
}

/** `ssh://user@host:port` of an endpoint (user omitted when unknown). */
export function formatSshUrl(endpoint: SshEndpoint): string {
  const user = endpoint.user === undefined ? '' : `${encodeURIComponent(endpoint.user)}@`;
  return `ssh://${user}${hostPart(endpoint.host)}${endpoint.port === 22 ? '' : `:${endpoint.port}`}`;
}

/** `host:port` label for messages. */
export function endpointLabel(endpoint: { host: string; port: number }): string {
  return `${hostPart(endpoint.host)}:${endpoint.port}`;
}
