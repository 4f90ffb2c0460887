import { readFileSync } from 'node:fs';
import { LifeboatError } from '../../api/errors';
import type { HostKeyInfo, HostSummary } from '../../api/hosts-contract';
import type { CliCommand, CommandArgs } from '../command';
import { printJson, printTable } from '../output';

function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch {
    throw new LifeboatError('bad-input', `cannot read the ${what} file ${path}`, 'give a readable file (mode 0600) holding only the secret');
  }
}

/**
 * Secrets and trust flags shared by `host add` and `discover`. Passwords come from a file or
 * the environment, never from argv, so they never show in `ps` or shell history.
 */
export function connectFlags(args: CommandArgs): { acceptNewHostKey: boolean; fingerprints: string[]; password?: string; passphrase?: string } {
  const { values, io } = args;
  const fingerprints = ((values.fingerprint as string[] | undefined) ?? []).map(String);
  const acceptNewHostKey = Boolean(values['accept-new-host-key']);
  if (acceptNewHostKey && fingerprints.length > 0) throw new LifeboatError('bad-input', 'use either --accept-new-host-key or --fingerprint, not both', 'prefer --fingerprint with the value you checked on the server');
  const passwordFile = values['password-file'];
  const passphraseFile = values['passphrase-file'];
  const password = typeof passwordFile === 'string' ? readSecretFile(passwordFile, 'password') : io.env.LIFEBOAT_SSH_PASSWORD;
  const passphrase = typeof passphraseFile === 'string' ? readSecretFile(passphraseFile, 'passphrase') : io.env.LIFEBOAT_SSH_PASSPHRASE;
  return { acceptNewHostKey, fingerprints, ...(password ? { password } : {}), ...(passphrase ? { passphrase } : {}) };
}

/** Options every connecting command takes. */
export const connectOptions = {
  'accept-new-host-key': { type: 'boolean' },
  fingerprint: { type: 'string', multiple: true },
  'password-file': { type: 'string' },
  'passphrase-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function keyLine(k: HostKeyInfo): string {
  const verdict = k.status === 'known' ? `known (${k.source ?? 'known_hosts'})` : k.accepted ? 'newly trusted' : k.status;
  return `  host key ${k.host}:${k.port}: ${k.bits} ${k.fingerprint} (${k.label}) — ${verdict}`;
}

function accessLine(h: HostSummary): string {
  // The add-time warning stays visible in every listing, as the app's "plain TCP" badge does.
  const plain = h.warnings.some((w) => w.startsWith('WARNING')) ? ' — PLAIN TCP, NO TLS' : '';
  const p = h.probe;
  if (!p) return `not probed yet${plain}`;
  const who = p.dockerAccess === 'tcp' ? 'Docker API' : `${p.user}${p.root && p.user !== 'root' ? ' (uid 0)' : p.sudo ? ' (sudo -n)' : ''}`;
  return `${who}, docker ${p.dockerAccess === 'none' ? 'NOT reachable' : `via ${p.dockerAccess}`}${p.dockerVersion ? ` ${p.dockerVersion}` : ''}${plain}`;
}

/** `lifeboat host …`: add, list, rm, import-ssh-config. */
export const hostCommands: CliCommand[] = [
  {
    path: ['host', 'add'],
    summary: 'Add a host (ssh://user@host[:port] or docker+tcp://host:port), verify its key, probe it',
    usage: 'NAME URL [--identity FILE] [--jump URL]... [--accept-new-host-key | --fingerprint SHA256:…] [--tls-dir DIR] [--password-file FILE] [--passphrase-file FILE] [--json]',
    options: { ...connectOptions, identity: { type: 'string' }, jump: { type: 'string', multiple: true }, 'tls-dir': { type: 'string' } },
    positionals: { min: 2, max: 2 },
    async run(args) {
      const [name, url] = args.positionals as [string, string];
      const { values, io } = args;
      const result = await args.engine().call(
        'hostAdd',
        {
          name,
          url,
          ...connectFlags(args),
          jumps: ((values.jump as string[] | undefined) ?? []).map(String),
          ...(typeof values.identity === 'string' ? { identityFile: values.identity } : {}),
          ...(typeof values['tls-dir'] === 'string' ? { tlsDir: values['tls-dir'] } : {}),
        },
        { signal: args.signal },
      );
      for (const w of result.host.warnings) if (w.startsWith('WARNING')) io.stderr.write(`\n*** ${w}\n\n`);
      if (values.json) {
        printJson(io, result);
        return 0;
      }
      io.stdout.write(`Added ${result.host.name} (${result.host.url}${result.host.jumps.length ? ` via ${result.host.jumps.join(' → ')}` : ''})\n`);
      for (const k of result.hostKeys) io.stdout.write(`${keyLine(k)}\n`);
      io.stdout.write(`  access: ${accessLine(result.host)}\n`);
      for (const note of result.warnings.filter((w) => !w.startsWith('WARNING'))) io.stdout.write(`  note: ${note}\n`);
      return 0;
    },
  },
  {
    path: ['host', 'list'],
    summary: 'List the hosts Lifeboat knows',
    usage: '[--json]',
    options: { json: { type: 'boolean' } },
    positionals: { min: 0, max: 0 },
    async run({ engine, values, io }) {
      const { hosts } = await engine().call('hostList', {});
      if (values.json) printJson(io, hosts);
      else if (hosts.length === 0) io.stdout.write('No hosts yet. Add one with: lifeboat host add NAME ssh://user@host\n');
      else printTable(io, [['NAME', 'URL', 'VIA', 'ACCESS'], ...hosts.map((h) => [h.name, h.url, h.jumps.join(',') || '-', accessLine(h)])]);
      return 0;
    },
  },
  {
    path: ['host', 'rm'],
    summary: 'Forget a host (and the host keys Lifeboat trusted for it)',
    usage: 'NAME',
    positionals: { min: 1, max: 1 },
    async run({ engine, positionals, io }) {
      const r = await engine().call('hostRemove', { name: positionals[0] ?? '' });
      io.stdout.write(`Removed ${r.name}${r.forgottenKeys ? ` and ${r.forgottenKeys} trusted host key${r.forgottenKeys === 1 ? '' : 's'}` : ''}\n`);
      return 0;
    },
  },
  {
    path: ['host', 'import-ssh-config'],
    summary: 'Import hosts from ~/.ssh/config (Host, HostName, User, Port, IdentityFile, ProxyJump)',
    usage: '[FILE] [--json]',
    options: { json: { type: 'boolean' } },
    positionals: { min: 0, max: 1 },
    async run({ engine, positionals, values, io }) {
      const r = await engine().call('hostImportSshConfig', positionals[0] ? { file: positionals[0] } : {});
      if (values.json) {
        printJson(io, r);
        return 0;
      }
      for (const h of r.imported) io.stdout.write(`Imported ${h.name} (${h.url}${h.jumps.length ? ` via ${h.jumps.join(' → ')}` : ''})\n`);
      for (const s of r.skipped) io.stdout.write(`Skipped ${s.name}: ${s.reason}\n`);
      if (r.imported.length > 0) io.stdout.write('Host keys are checked on first use: run "lifeboat discover NAME".\n');
      return 0;
    },
  },
];
