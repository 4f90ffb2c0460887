import { createInterface } from 'node:readline';
import { LifeboatError } from '../../api/errors';
import type { DrillReport, RestoreTargetInput } from '../../api/restore-contract';
import type { CliCommand, CommandArgs } from '../command';
import { printJson, printTable } from '../output';
import { vaultPassphrase } from '../vault-input';
import { withProgress } from './vault-commands';

const common = { vault: { type: 'string' }, 'passphrase-file': { type: 'string' }, 'vault-passphrase-file': { type: 'string' }, host: { type: 'string' }, json: { type: 'boolean' } } as const;

/** Vault and SSH secrets as request fields: the vault passphrase from --passphrase-file/env/prompt, SSH ones from the environment only. */
async function access(args: CommandArgs) {
  const vault = typeof args.values.vault === 'string' ? args.values.vault : args.io.env.LIFEBOAT_VAULT;
  const sshPassword = args.io.env.LIFEBOAT_SSH_PASSWORD;
  const sshKeyPassphrase = args.io.env.LIFEBOAT_SSH_PASSPHRASE;
  return {
    ...(vault ? { vault } : {}),
    // `--vault-passphrase-file` is what `lifeboat backup` calls it; both name the vault's passphrase here.
    passphrase: await vaultPassphrase({ ...args, values: { ...args.values, 'passphrase-file': args.values['vault-passphrase-file'] ?? args.values['passphrase-file'] } }),
    ...(sshPassword ? { sshPassword } : {}),
    ...(sshKeyPassphrase ? { sshKeyPassphrase } : {}),
    ...(typeof args.values.host === 'string' ? { host: args.values.host } : {}),
  };
}

/** The target from the mutually exclusive --to-… / --in-place flags. */
export function targetFromFlags(values: CommandArgs['values']): RestoreTargetInput {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const chosen: RestoreTargetInput[] = [];
  if (str('to-database')) chosen.push({ mode: 'new-database', database: str('to-database') as string });
  if (values['in-place']) chosen.push({ mode: 'in-place' });
  if (str('to-volume')) chosen.push({ mode: 'new-volume', volume: str('to-volume') as string });
  if (str('to-path')) chosen.push({ mode: 'path', path: str('to-path') as string });
  if (str('to-dir')) chosen.push({ mode: 'local-dir', localDir: str('to-dir') as string });
  if (chosen.length > 1) throw new LifeboatError('bad-input', 'choose one of --to-database, --in-place, --to-volume, --to-path, --to-dir', 'without any, each kind restores somewhere new (a new database or volume)');
  const container = str('to-container');
  const subtree = str('subtree');
  return { ...(chosen[0] ?? {}), ...(container ? { container } : {}), ...(subtree ? { subtree } : {}) };
}

/** Asks a yes/no question on the terminal; anything but "yes"/"y" is no. */
async function confirm(args: CommandArgs, question: string): Promise<boolean> {
  const rl = createInterface({ input: args.io.stdin, output: args.io.stderr, terminal: false });
  try {
    args.io.stderr.write(question);
    const answer = await new Promise<string>((resolve) => rl.once('line', resolve).once('close', () => resolve('')));
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function printDrill(args: CommandArgs, r: DrillReport): void {
  const out = args.io.stdout;
  out.write(`drill of ${r.item} from snapshot ${r.snapshot.slice(0, 8)} on ${r.host}: ${r.ok ? 'PASSED' : 'FAILED'} (${r.seconds.toFixed(1)} s${r.scratch ? `, scratch ${r.scratch}` : ''}${r.image ? ` from ${r.image}` : ''})\n`);
  if (r.integrity) out.write(`integrity_check: ${r.integrity}\n`);
  if (r.checks.length > 0) {
    printTable(args.io, [
      ['TABLE', 'ROWS (BACKUP)', 'ROWS (RESTORED)', 'CHECKSUM', 'RESULT'],
      ...r.checks.map((c) => [c.name, String(c.rowsExpected ?? '-'), String(c.rows ?? '-'), c.checksumExpected ? (c.checksumExpected === c.checksum ? 'same' : 'DIFFERS') : '-', c.ok ? 'ok' : `FAIL ${c.note ?? ''}`.trim()]),
    ]);
  }
  out.write(`compared with: ${r.basis === 'backup' ? 'the numbers recorded at backup' : r.basis === 'live' ? 'the live source now' : 'nothing'}\n`);
  for (const n of r.notes) out.write(`note: ${n}\n`);
  for (const p of r.problems) out.write(`problem: ${p}\n`);
}

/** `lifeboat restore`, `lifeboat drill`, `lifeboat drills`. */
export const restoreCommands: CliCommand[] = [
  {
    path: ['restore'],
    summary: 'Restore an item of a snapshot (default: into a new database or volume; --dry-run previews)',
    usage: 'SNAPSHOT ITEM [--to-database NAME | --in-place | --to-volume NAME | --to-path PATH | --to-dir LOCALDIR] [--to-container NAME] [--subtree PATH] [--host HOST] [--dry-run] [--yes] [--vault DIR] [--passphrase-file FILE] [--json]',
    options: {
      ...common,
      'to-database': { type: 'string' },
      'in-place': { type: 'boolean' },
      'to-volume': { type: 'string' },
      'to-path': { type: 'string' },
      'to-dir': { type: 'string' },
      'to-container': { type: 'string' },
      subtree: { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean' },
    },
    positionals: { min: 2, max: 2 },
    async run(args) {
      const [snapshot, item] = args.positionals as [string, string];
      const target = targetFromFlags(args.values);
      const globals = item.endsWith(':@globals');
      let yes = Boolean(args.values.yes);
      let dryRun = Boolean(args.values['dry-run']);
      if ((target.mode === 'in-place' || globals) && !yes && !dryRun) {
        const tty = Boolean(args.io.stdin.isTTY && args.io.stderr.isTTY);
        if (globals && !tty) dryRun = true;
        else if (!tty) throw new LifeboatError('bad-input', `--in-place overwrites the live ${item} and needs confirmation`, 'preview it with --dry-run, then add --yes (a safety copy is taken first and put back on failure)');
        else if (await confirm(args, `${globals ? `Create the missing roles of ${item} on the server` : `Overwrite the live ${item} with snapshot ${snapshot}'s copy (a safety copy is taken first)`}? [y/N] `)) yes = true;
        else throw new LifeboatError('cancelled', 'nothing was restored');
      }
      const input = { ...(await access(args)), snapshot, item, target, dryRun, yes };
      const out = await withProgress(args, () => args.engine().call('restore', input, { signal: args.signal }));
      if (args.values.json) {
        printJson(args.io, out);
        return 0;
      }
      const io = args.io.stdout;
      if (out.preview) {
        const p = out.preview;
        io.write(`${p.summary}\n`);
        if (p.details.length > 0) printTable(args.io, [['NAME', 'SNAPSHOT', 'LIVE', ''], ...p.details.map((d) => [d.name, d.snapshot ?? '-', d.live ?? '-', d.differs ? 'differs' : 'same'])]);
        for (const c of p.creates) io.write(`create: ${c}\n`);
        for (const o of p.overwrites) io.write(`overwrite: ${o}\n`);
        for (const d of p.deletes) io.write(`delete: ${d}\n`);
        for (const w of p.warnings) io.write(`warning: ${w}\n`);
        io.write(globals && !args.values['dry-run'] ? 'nothing was changed; add --yes to create the missing roles\n' : 'nothing was changed (--dry-run)\n');
      }
      if (out.report) {
        io.write(`${out.report.summary} (${out.seconds.toFixed(1)} s)\n`);
        if (out.report.safetyCopy) io.write(`safety copy: snapshot ${out.report.safetyCopy.slice(0, 8)} (tag "safety")\n`);
        for (const w of out.report.warnings) io.write(`warning: ${w}\n`);
      }
      return 0;
    },
  },
  {
    path: ['drill'],
    summary: 'Test-restore an item into a scratch container and compare it with the backup; exit 1 if it fails',
    usage: 'SNAPSHOT ITEM [--host HOST] [--vault DIR] [--passphrase-file FILE] [--json]',
    options: common,
    positionals: { min: 2, max: 2 },
    async run(args) {
      const [snapshot, item] = args.positionals as [string, string];
      const input = { ...(await access(args)), snapshot, item };
      const out = await withProgress(args, () => args.engine().call('drill', input, { signal: args.signal }));
      if (args.values.json) printJson(args.io, out.report);
      else printDrill(args, out.report);
      return out.report.ok ? 0 : 1;
    },
  },
  {
    path: ['drills'],
    summary: 'List stored drill reports, newest first',
    usage: '[--item ITEM] [--limit N] [--vault DIR] [--json]',
    options: { vault: common.vault, json: common.json, item: { type: 'string' }, limit: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(args) {
      const vault = typeof args.values.vault === 'string' ? args.values.vault : args.io.env.LIFEBOAT_VAULT;
      const limit = args.values.limit === undefined ? 50 : Number(args.values.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new LifeboatError('bad-input', `--limit needs a whole number, got "${String(args.values.limit)}"`);
      const { reports } = await args.engine().call('drillHistory', { ...(vault ? { vault } : {}), ...(typeof args.values.item === 'string' ? { item: args.values.item } : {}), limit });
      if (args.values.json) printJson(args.io, { reports });
      else if (reports.length === 0) args.io.stdout.write('no drills yet\n');
      else printTable(args.io, [['TIME', 'SNAPSHOT', 'ITEM', 'RESULT', 'TABLES'], ...reports.map((r) => [r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), r.snapshot.slice(0, 8), r.item, r.ok ? 'passed' : 'FAILED', String(r.checks.length)])]);
      return 0;
    },
  },
];
