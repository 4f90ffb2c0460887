import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupSummary, SnapshotDetail } from '../api/backup-contract';
import { LifeboatError } from '../api/errors';
import type { JobState } from '../api/jobs-contract';
import { type BackupRequest, runBackup, runError } from '../backup/backup-runner';
import { type VaultAccess, openVaultSession, vaultDirOf } from '../backup/vault-session';
import type { HostService } from '../hosts/host-service';
import type { JobJournal } from '../jobs/job-journal';
import type { JobRunner } from '../jobs/job-runner';
import type { Snapshot } from '../vault/snapshots';
import type { HandlerTable } from './handlers';
import { summarize } from './vault-handlers';

/** What the backup handlers need from the composition root. */
export interface BackupServices {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  readonly hosts: HostService;
  readonly jobs: JobRunner;
  readonly journal: JobJournal;
}

/** Summaries of recent runs kept for `backupResult`; older ones live in the journal. */
const KEEP_RESULTS = 50;

/** Item info keys that are bulky or internal; the rest are shown as facts. */
const hiddenFacts = new Set(['warnings', 'rows', 'checksums']);

/** A snapshot with per-item warnings and facts for the Snapshots page. */
export function snapshotDetail(s: Snapshot): SnapshotDetail {
  const summary = summarize(s);
  return {
    ...summary,
    items: s.items.map((i, n) => {
      const facts: Record<string, string> = {};
      for (const [k, v] of Object.entries(i.info)) if (!hiddenFacts.has(k)) facts[k] = v;
      if (i.info.rows) facts.tables = String(Object.keys(safeJson(i.info.rows) ?? {}).length);
      const warnings = safeJson(i.info.warnings);
      return {
        ...(summary.items[n] as SnapshotDetail['items'][number]),
        seconds: Math.max(0, (Date.parse(i.finishedAt) - Date.parse(i.startedAt)) / 1000) || 0,
        warnings: Array.isArray(warnings) ? warnings.map(String) : [],
        facts,
      };
    }),
  };
}

function safeJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A summary for a job that ended before the runner produced one (cancelled while queued). */
function fallbackSummary(host: string, state: JobState): BackupSummary {
  const started = state.startedAt ?? state.createdAt;
  const finished = state.finishedAt ?? new Date().toISOString();
  return {
    jobId: state.id,
    host,
    status: state.status,
    items: state.items.map((i) => ({ ...i, kind: i.item.includes('/') ? (i.item.split('/')[1]?.split(':')[0] ?? '') : '' })),
    warnings: [],
    ...(state.error ? { error: state.error } : {}),
    startedAt: started,
    finishedAt: finished,
    seconds: Math.max(0, (Date.parse(finished) - Date.parse(started)) / 1000),
  };
}

/** Backups as jobs (one lane per host), their results, snapshot details and job history. */
export function backupHandlers(services: BackupServices): HandlerTable<'backup' | 'backupResult' | 'backupSnapshots' | 'jobHistory' | 'jobLogs'> {
  const results = new Map<string, Promise<BackupSummary>>();
  const access = (input: { vault?: string | undefined; vaultPassphrase?: string | undefined }): VaultAccess => ({ home: services.home, env: services.env, vault: input.vault, passphrase: input.vaultPassphrase });

  return {
    backup: async (input, ctx) => {
      if (!services.hosts.list().some((h) => h.name === input.host)) {
        throw new LifeboatError('not-found', `there is no host named "${input.host}"`, 'add it first with "lifeboat host add NAME ssh://user@host"');
      }
      const vaultAccess = access(input);
      if (!vaultAccess.passphrase && !services.env.LIFEBOAT_PASSPHRASE) {
        throw new LifeboatError('bad-input', 'the vault passphrase is needed', 'unlock the vault (Vault page in the app), or set LIFEBOAT_PASSPHRASE, use --vault-passphrase-file FILE, or run in a terminal to be asked');
      }
      const dir = vaultDirOf(vaultAccess);
      if (!existsSync(join(dir, 'config'))) throw new LifeboatError('not-found', `there is no vault at ${dir}`, 'create one with "lifeboat vault init", or point $LIFEBOAT_VAULT at an existing vault');
      const req: BackupRequest = {
        host: input.host,
        items: input.items,
        stopContainers: input.stopContainers,
        stopContainersFor: input.stopContainersFor,
        tags: input.tags,
        label: input.label,
        connect: { acceptNewHostKey: input.acceptNewHostKey, fingerprints: input.fingerprints, password: input.password, passphrase: input.passphrase },
        access: vaultAccess,
      };
      let summary: BackupSummary | undefined;
      const { id, done } = services.jobs.submit({
        kind: 'backup',
        label: `Back up ${input.host}`,
        lane: `host:${input.host}`,
        run: async (job) => {
          summary = await runBackup({ openHost: (name, connect, signal) => services.hosts.open(name, connect, signal), openVault: openVaultSession }, req, job);
          const failure = runError(summary);
          if (failure) throw failure;
        },
      });
      const final = done.then((state) => (summary ? { ...summary, status: state.status } : fallbackSummary(input.host, state)));
      results.set(id, final);
      for (const key of [...results.keys()].slice(0, Math.max(0, results.size - KEEP_RESULTS))) results.delete(key);
      if (!input.wait) return { jobId: id };
      // A caller that stops waiting (Ctrl-C in the CLI) cancels the run it started.
      const onAbort = () => services.jobs.cancel(id);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      try {
        return { jobId: id, summary: await final };
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    },
    backupResult: async ({ jobId }) => {
      const found = results.get(jobId);
      if (!found) throw new LifeboatError('not-found', `no backup job ${jobId} in this engine`, 'its record is in the job history: lifeboat jobs');
      return found;
    },
    backupSnapshots: async (input) => {
      const session = await openVaultSession(access(input));
      try {
        const all = await session.vault.listSnapshots();
        return { snapshots: all.filter((s) => !input.host || s.host === input.host).reverse().map(snapshotDetail) };
      } finally {
        await session.close();
      }
    },
    jobHistory: async ({ limit }) => ({ jobs: services.journal.list(limit).map((j) => ({ ...j.state, logLines: j.logLines })) }),
    jobLogs: async ({ id }) => ({ logs: services.journal.logs(id) }),
  };
}
