import type { BackupSummary } from '../../api/backup-contract';
import { formatSeconds } from '../../api/format';
import { attachProgress, summaryText } from '../backup-progress';
import type { CliCommand, CommandArgs } from '../command';
import { printJson, printTable } from '../output';
import { vaultPassphrase } from '../vault-input';
import { connectFlags, connectOptions } from './host-commands';

const strings = (v: unknown): string[] => ((v as string[] | undefined) ?? []).map(String);

/** Vault access for commands that also take SSH secrets (`--passphrase-file` is the key's there). */
async function vaultAccess(args: CommandArgs): Promise<{ vault?: string; vaultPassphrase: string }> {
  const vault = typeof args.values.vault === 'string' ? args.values.vault : args.io.env.LIFEBOAT_VAULT;
  const file = args.values['vault-passphrase-file'];
  const passphrase = await vaultPassphrase({ ...args, values: { ...args.values, 'passphrase-file': typeof file === 'string' ? file : undefined } });
  return { ...(vault ? { vault } : {}), vaultPassphrase: passphrase };
}

/** Exit status of a run: 0 only when every chosen item was saved. */
export function backupExitCode(s: BackupSummary): number {
  if (s.status === 'cancelled') return 130;
  return s.error === undefined && s.items.every((i) => i.status === 'succeeded') ? 0 : 1;
}

const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

/** `lifeboat backup HOST`, `lifeboat jobs`, `lifeboat jobs log ID`. */
export const backupCommands: CliCommand[] = [
  {
    path: ['backup'],
    summary: 'Back up a host (all items not covered by a dump, or the --item ones) into one snapshot',
    usage: 'HOST [--item ID]... [--stop-containers] [--stop-containers-for ID]... [--tag TAG]... [--label TEXT] [--json] [--vault DIR] [--vault-passphrase-file FILE] [--fingerprint SHA256:…] [--password-file FILE] [--passphrase-file FILE]',
    options: {
      ...connectOptions,
      item: { type: 'string', multiple: true },
      'stop-containers': { type: 'boolean' },
      'stop-containers-for': { type: 'string', multiple: true },
      tag: { type: 'string', multiple: true },
      label: { type: 'string' },
      vault: { type: 'string' },
      'vault-passphrase-file': { type: 'string' },
    },
    positionals: { min: 1, max: 1 },
    async run(args) {
      const { values, io } = args;
      const engine = args.engine();
      const items = strings(values.item);
      let jobId: string | undefined;
      const stop = attachProgress(io, () => jobId, (listener) => engine.onEvent(listener));
      const onAbort = () => {
        if (jobId) void engine.call('jobCancel', { id: jobId });
      };
      args.signal.addEventListener('abort', onAbort, { once: true });
      let summary: BackupSummary;
      try {
        const started = await engine.call(
          'backup',
          {
            host: args.positionals[0] ?? '',
            ...(items.length > 0 ? { items } : {}),
            stopContainers: Boolean(values['stop-containers']),
            stopContainersFor: strings(values['stop-containers-for']),
            tags: strings(values.tag),
            ...(typeof values.label === 'string' ? { label: values.label } : {}),
            wait: false,
            ...(await vaultAccess(args)),
            ...connectFlags(args),
          },
          { signal: args.signal },
        );
        jobId = started.jobId;
        if (args.signal.aborted) onAbort();
        summary = await engine.call('backupResult', { jobId: started.jobId });
      } finally {
        args.signal.removeEventListener('abort', onAbort);
        stop();
      }
      if (values.json) printJson(io, summary);
      else io.stdout.write(summaryText(summary));
      return backupExitCode(summary);
    },
  },
  {
    path: ['jobs'],
    summary: 'List recent jobs (backups, restores, drills) from the catalog',
    usage: '[--limit N] [--json]',
    options: { json: { type: 'boolean' }, limit: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run({ engine, values, io }) {
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      const { jobs } = await engine().call('jobHistory', { limit: Number.isInteger(limit) && limit > 0 ? Math.min(limit, 1000) : 20 });
      if (values.json) printJson(io, jobs);
      else if (jobs.length === 0) io.stdout.write('No jobs yet. Start one with: lifeboat backup HOST\n');
      else {
        const secs = (j: (typeof jobs)[number]) => (j.startedAt && j.finishedAt ? formatSeconds((Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000) : '');
        const items = (j: (typeof jobs)[number]) => (j.items.length === 0 ? '-' : `${j.items.filter((i) => i.status === 'succeeded').length}/${j.items.length} ok`);
        printTable(io, [['ID', 'STARTED', 'STATUS', 'ITEMS', 'TIME', 'JOB'], ...jobs.map((j) => [j.id.slice(0, 8), when(j.startedAt ?? j.createdAt), j.status, items(j), secs(j), j.label])]);
      }
      return 0;
    },
  },
  {
    path: ['jobs', 'log'],
    summary: 'Show the log of one job (id or unique prefix from "lifeboat jobs")',
    usage: 'ID [--json]',
    options: { json: { type: 'boolean' } },
    positionals: { min: 1, max: 1 },
    async run({ engine, positionals, values, io }) {
      const wanted = positionals[0] ?? '';
      const { jobs } = await engine().call('jobHistory', { limit: 1000 });
      const hits = jobs.filter((j) => j.id.startsWith(wanted));
      const id = hits.length === 1 ? (hits[0]?.id ?? wanted) : wanted;
      const { logs } = await engine().call('jobLogs', { id });
      if (values.json) printJson(io, logs);
      else if (logs.length === 0) io.stdout.write(hits.length > 1 ? `"${wanted}" matches ${hits.length} jobs; type more of the id\n` : `no log lines for job ${wanted}\n`);
      else for (const l of logs) io.stdout.write(`${when(l.at)}  ${l.level.padEnd(5)}  ${l.message}\n`);
      return 0;
    },
  },
];
