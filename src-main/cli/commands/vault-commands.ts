import { LifeboatError } from '../../api/errors';
import type { CliCommand, CommandArgs } from '../command';
import { formatBytes, printJson, printTable } from '../output';
import { newVaultPassphrase, showProgress, vaultPassphrase } from '../vault-input';

const common = { vault: { type: 'string' }, 'passphrase-file': { type: 'string' }, json: { type: 'boolean' } } as const;

/** Vault location and passphrase as request fields (the passphrase never comes from argv). */
async function access(args: CommandArgs, options: { confirm?: boolean; stdinIsData?: boolean } = {}) {
  const vault = typeof args.values.vault === 'string' ? args.values.vault : args.io.env.LIFEBOAT_VAULT;
  return { ...(vault ? { vault } : {}), passphrase: await vaultPassphrase(args, options) };
}

/** Runs a long request with a progress line on a terminal. */
export async function withProgress<T>(args: CommandArgs, fn: () => Promise<T>): Promise<T> {
  const clear = showProgress(args);
  try {
    return await fn();
  } finally {
    clear();
  }
}

function keep(args: CommandArgs, name: string): number | undefined {
  const raw = args.values[`keep-${name}`];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new LifeboatError('bad-input', `--keep-${name} needs a whole number, got "${String(raw)}"`);
  return n;
}

/** Prints the request's output as JSON with --json, else as the sentence `text` makes of it. */
function report<T>(args: CommandArgs, value: T, text: (v: T) => string): number {
  if (args.values.json) printJson(args.io, value);
  else args.io.stdout.write(text(value));
  return 0;
}

const date = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

/** `lifeboat vault …`, `snapshots`, `check`, `prune`, `copy`, `catalog rebuild`, `backup-stdin`, `cat`. */
export const vaultCommands: CliCommand[] = [
  {
    path: ['vault', 'init'],
    summary: 'Create a new encrypted vault ($LIFEBOAT_VAULT, default <home>/vault)',
    usage: '[--vault DIR] [--passphrase-file FILE] [--json]',
    options: common,
    positionals: { min: 0, max: 0 },
    async run(args) {
      const out = await args.engine().call('vaultInit', await access(args, { confirm: true }));
      return report(args, out, (o) => `created vault ${o.id.slice(0, 8)} at ${o.path}\n(scrypt N=${o.kdf.N}; keep the passphrase safe: without it the vault cannot be opened)\n`);
    },
  },
  {
    path: ['vault', 'info'],
    summary: 'Show where the vault is, what it holds and who holds locks',
    usage: '[--vault DIR] [--json]',
    options: common,
    positionals: { min: 0, max: 0 },
    async run(args) {
      const info = await args.engine().call('vaultInfo', await access(args));
      if (args.values.json) {
        printJson(args.io, info);
        return 0;
      }
      printTable(args.io, [
        ['vault', `${info.path} (id ${info.id.slice(0, 8)}, format ${info.version}, created ${date(info.created)})`],
        ['snapshots', String(info.snapshots)],
        ['stored', `${formatBytes(info.storedBytes)} in ${info.packs} packs, ${info.blobs} blobs, ${info.indexFiles} index files`],
        ['keys', String(info.keys)],
        ['catalog', info.catalog],
        ['locks', info.locks.length === 0 ? 'none' : info.locks.map((l) => `${l.exclusive ? 'exclusive' : 'shared'} ${l.operation} pid ${l.pid}@${l.host}${l.stale ? ' (stale)' : ''}`).join('; ')],
      ]);
      return 0;
    },
  },
  {
    path: ['vault', 'passwd'],
    summary: 'Change the vault passphrase (data is not re-encrypted)',
    usage: '[--vault DIR] [--passphrase-file FILE] [--new-passphrase-file FILE]',
    options: { ...common, 'new-passphrase-file': { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(args) {
      const input = await access(args);
      const out = await args.engine().call('vaultPasswd', { ...input, newPassphrase: await newVaultPassphrase(args) });
      return report(args, out, () => 'passphrase changed; the old one no longer opens this vault\n');
    },
  },
  {
    path: ['snapshots'],
    summary: 'List the snapshots in the vault',
    usage: '[--vault DIR] [--json]',
    options: common,
    positionals: { min: 0, max: 0 },
    async run(args) {
      const { snapshots } = await args.engine().call('vaultSnapshots', await access(args));
      if (args.values.json) {
        printJson(args.io, { snapshots });
        return 0;
      }
      if (snapshots.length === 0) {
        args.io.stdout.write('no snapshots yet\n');
        return 0;
      }
      printTable(args.io, [
        ['ID', 'TIME', 'HOST', 'TAGS', 'SIZE', 'ADDED', 'ITEMS'],
        ...snapshots.map((s) => [s.short, date(s.time), s.host, s.tags.join(',') || '-', formatBytes(s.size), formatBytes(s.added), s.items.map((i) => i.name).join(', ')]),
      ]);
      return 0;
    },
  },
  {
    path: ['check'],
    summary: 'Verify the vault; --read-data also decrypts and re-hashes every blob',
    usage: '[--read-data] [--vault DIR] [--json]',
    options: { ...common, 'read-data': { type: 'boolean' } },
    positionals: { min: 0, max: 0 },
    async run(args) {
      const input = await access(args);
      const report = await withProgress(args, () => args.engine().call('vaultCheck', { ...input, readData: Boolean(args.values['read-data']) }));
      if (args.values.json) printJson(args.io, report);
      else {
        for (const p of report.problems) args.io.stdout.write(`${p.level}: ${p.object}${p.file ? ` (${p.file})` : ''}: ${p.message}\n`);
        const s = report.stats;
        const what = report.readData ? `read and verified ${formatBytes(s.bytesRead)}` : 'structure only (add --read-data to verify every byte)';
        args.io.stdout.write(`${report.ok ? 'no errors' : 'ERRORS FOUND'}: ${s.snapshots} snapshots, ${s.packs} packs, ${s.blobs} blobs; ${what}\n`);
      }
      return report.ok ? 0 : 1;
    },
  },
  {
    path: ['prune'],
    summary: 'Forget snapshots outside a retention policy and free the space only they used',
    usage: '[--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--keep-yearly N] [--dry-run] [--vault DIR] [--json]',
    options: {
      ...common,
      'keep-last': { type: 'string' },
      'keep-hourly': { type: 'string' },
      'keep-daily': { type: 'string' },
      'keep-weekly': { type: 'string' },
      'keep-monthly': { type: 'string' },
      'keep-yearly': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    positionals: { min: 0, max: 0 },
    async run(args) {
      const policy = { keepLast: keep(args, 'last'), keepHourly: keep(args, 'hourly'), keepDaily: keep(args, 'daily'), keepWeekly: keep(args, 'weekly'), keepMonthly: keep(args, 'monthly'), keepYearly: keep(args, 'yearly') };
      const defined = Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined));
      const input = await access(args);
      const out = await withProgress(args, () => args.engine().call('vaultPrune', { ...input, ...defined, dryRun: Boolean(args.values['dry-run']) }));
      if (args.values.json) {
        printJson(args.io, out);
        return 0;
      }
      printTable(args.io, [['ID', 'TIME', 'GROUP', 'VERDICT'], ...out.decisions.map((d) => [d.id.slice(0, 8), date(d.time), d.group.trim() || '-', d.keep ? `keep (${d.reasons.join(', ')})` : 'remove'])]);
      const verb = out.dryRun ? 'would remove' : 'removed';
      args.io.stdout.write(
        `${verb} ${out.removedSnapshots.length} snapshot(s); ${out.dryRun ? 'would free' : 'freed'} ${formatBytes(out.bytes.freed)} of ${formatBytes(out.bytes.before)} ` +
          `(${out.packs.deleted} packs deleted, ${out.packs.repacked} rewritten, ${out.packs.kept} kept)${out.dryRun ? '\nnothing was changed (--dry-run)' : ''}\n`,
      );
      return 0;
    },
  },
  {
    path: ['copy'],
    summary: 'Copy the vault to a second place (a USB disk…), only what it lacks, verified',
    usage: '--to DIR [--vault DIR] [--json]',
    options: { ...common, to: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(args) {
      const to = args.values.to;
      if (typeof to !== 'string') throw new LifeboatError('bad-input', 'copy needs --to DIR', 'usage: lifeboat copy --to DIR');
      const input = await access(args);
      const out = await withProgress(args, () => args.engine().call('vaultCopy', { ...input, to }));
      return report(args, out, ({ copied: c, ...o }) => `${o.created ? 'created' : 'updated'} the copy at ${o.target}: ${c.packs} packs, ${c.indexFiles} index files, ${c.snapshots} snapshots, ${c.keys} keys (${formatBytes(o.bytes)}); ${o.skipped} files were already there\n`);
    },
  },
  {
    path: ['catalog', 'rebuild'],
    summary: 'Rebuild the snapshot catalog (a cache) from the vault',
    usage: '[--vault DIR] [--json]',
    options: common,
    positionals: { min: 0, max: 0 },
    async run(args) {
      const out = await args.engine().call('vaultCatalogRebuild', await access(args));
      return report(args, out, (o) => `catalog rebuilt: ${o.after} snapshots (it listed ${o.before})\n`);
    },
  },
  {
    path: ['backup-stdin'],
    summary: 'Store standard input as a snapshot with one item named NAME',
    usage: 'NAME [--kind KIND] [--host HOST] [--tag TAG]... [--vault DIR] [--passphrase-file FILE] [--json]',
    options: { ...common, kind: { type: 'string' }, host: { type: 'string' }, tag: { type: 'string', multiple: true } },
    positionals: { min: 1, max: 1 },
    async run(args) {
      const input = await access(args, { stdinIsData: true });
      const out = await withProgress(args, () =>
        args.engine().call('vaultBackupStdin', {
          ...input,
          name: args.positionals[0] as string,
          ...(typeof args.values.kind === 'string' ? { kind: args.values.kind } : {}),
          ...(typeof args.values.host === 'string' ? { host: args.values.host } : {}),
          tags: ((args.values.tag as string[] | undefined) ?? []).map(String),
        }),
      );
      return report(args, out, (o) => `snapshot ${o.snapshot.short}: ${formatBytes(o.bytesIn)} read, ${formatBytes(o.bytesNew)} new, ${formatBytes(o.storedNew)} stored in ${o.seconds.toFixed(1)} s\n`);
    },
  },
  {
    path: ['cat'],
    summary: 'Write a stored item (a dump), or one file PATH of a tree item, to standard output',
    usage: 'SNAPSHOT ITEM [PATH] [--vault DIR] [--passphrase-file FILE]',
    options: { vault: common.vault, 'passphrase-file': common['passphrase-file'] },
    positionals: { min: 2, max: 3 },
    async run(args) {
      const input = await access(args);
      const [snapshot, item, path] = args.positionals as [string, string, string | undefined];
      await withProgress(args, () => args.engine().call('vaultCat', { ...input, snapshot, item, ...(path !== undefined ? { path } : {}) }));
      return 0;
    },
  },
];
