import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LifeboatError } from '../api/errors';
import { openVaultSession, vaultDirOf } from '../backup/vault-session';
import type { DrillReport, RestoreTargetInput } from '../api/restore-contract';
import type { HostConnection, HostService } from '../hosts/host-service';
import type { JobContext, JobRunner } from '../jobs/job-runner';
import { Catalog } from '../vault/catalog';
import { readConfig } from '../vault/config';
import { shortId } from '../vault/format';
import type { Snapshot, SnapshotItem } from '../vault/snapshots';
import { LocalStorage } from '../vault/storage';
import { type RestorePreview, type RestoreReport, type RestoreSink, type RestoreTarget, sinkFor } from './restore-sink';
import './db/database-sinks';
import './file-sinks';

/** What restores and drills need from the composition root. */
export interface RestoreServices {
  readonly home: string;
  /** `LIFEBOAT_VAULT` and `LIFEBOAT_PASSPHRASE` defaults. */
  readonly env: NodeJS.ProcessEnv;
  readonly hosts: HostService;
  readonly jobs: JobRunner;
}

/** Vault access and SSH secrets as requests carry them. */
export interface Access {
  readonly vault?: string | undefined;
  readonly passphrase?: string | undefined;
  readonly sshPassword?: string | undefined;
  readonly sshKeyPassphrase?: string | undefined;
}

/** One unit of work on a host, run as a job in the host's lane; resolves with its result or rethrows its error. */
async function asJob<T>(services: RestoreServices, spec: { kind: string; label: string; host: string; access: Access; needsHost: boolean }, signal: AbortSignal, work: (job: JobContext, host: HostConnection | undefined) => Promise<T>): Promise<{ jobId: string; value: T }> {
  let value: T | undefined;
  let failure: unknown;
  const { id, done } = services.jobs.submit({
    kind: spec.kind,
    label: spec.label,
    lane: `host:${spec.host}`,
    run: async (job) => {
      let host: HostConnection | undefined;
      try {
        if (spec.needsHost) {
          job.meter.setPhase('connect', `Connecting to ${spec.host}`);
          job.report(true);
          host = await services.hosts.open(spec.host, { ...(spec.access.sshPassword ? { password: spec.access.sshPassword } : {}), ...(spec.access.sshKeyPassphrase ? { passphrase: spec.access.sshKeyPassphrase } : {}) }, job.signal);
        }
        value = await work(job, host);
        job.report(true);
      } catch (err) {
        failure = err;
        throw err;
      } finally {
        host?.close();
      }
    },
  });
  const onAbort = () => services.jobs.cancel(id);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const state = await done;
    if (state.status === 'cancelled') throw failure instanceof LifeboatError && failure.code !== 'cancelled' ? failure : new LifeboatError('cancelled', `${spec.label} was cancelled`);
    // A job whose work returned (a failed drill has a report) is answered even when an item failed.
    if (failure !== undefined || value === undefined) throw failure ?? new LifeboatError('internal', state.error ?? `${spec.label} failed`);
    return { jobId: id, value };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function requireSink(item: SnapshotItem): RestoreSink {
  const sink = sinkFor(item.kind);
  if (!sink) throw new LifeboatError('unsupported', `items of kind "${item.kind}" cannot be restored by Lifeboat yet`, `write it out with "lifeboat cat SNAPSHOT ${item.name}"`);
  return sink;
}

/** A restore request after validation. */
export interface RestoreInput extends Access {
  readonly snapshot: string;
  readonly item: string;
  readonly target: RestoreTargetInput;
  readonly host?: string | undefined;
  readonly dryRun: boolean;
  readonly yes: boolean;
}

/** What a restore returns. */
export interface RestoreResult {
  readonly jobId: string;
  readonly snapshot: Snapshot;
  readonly item: SnapshotItem;
  readonly host: string;
  readonly mode: string;
  readonly preview?: RestorePreview;
  readonly report?: RestoreReport;
  readonly seconds: number;
}

/**
 * Restores (or previews) one item: opens the vault and the target host, finds the kind's sink
 * and runs it as a job in the host's lane. Overwriting in place needs `yes`; `@globals`
 * (roles on a server) always counts as in place.
 */
export async function runRestore(services: RestoreServices, input: RestoreInput, signal: AbortSignal): Promise<RestoreResult> {
  const started = Date.now();
  const session = await openVaultSession({ home: services.home, env: services.env, vault: input.vault, passphrase: input.passphrase });
  try {
    const snapshot = await session.vault.snapshot(input.snapshot);
    const item = session.vault.item(snapshot, input.item);
    const sink = requireSink(item);
    const globals = item.kind === 'postgres' && item.name.endsWith(':@globals');
    const mode = globals ? 'in-place' : (input.target.mode ?? sink.defaultMode ?? 'new-database');
    if (mode === 'in-place' && !input.yes && !input.dryRun) {
      throw new LifeboatError('bad-input', `restoring ${item.name} ${globals ? 'applies roles to the server' : 'in place overwrites live data'} and needs confirmation`, 'preview it with --dry-run, then run again with --yes');
    }
    const hostName = input.host ?? snapshot.host;
    const target: RestoreTarget = { ...stripUndefined(input.target), mode, host: hostName };
    const verb = input.dryRun ? 'Previewing restore of' : 'Restoring';
    const { jobId, value } = await asJob(services, { kind: input.dryRun ? 'restore-preview' : 'restore', label: `${verb} ${item.name} from ${shortId(snapshot.id)}`, host: hostName, access: input, needsHost: mode !== 'local-dir' }, signal, async (job, host) => {
      const ctx = { ...(host ? { host } : {}), vault: session.vault, snapshot, item, target, job };
      if (input.dryRun) return { preview: await sink.preview(ctx) };
      const report = await sink.restore(ctx);
      job.itemDone({ item: item.name, status: 'succeeded', message: report.summary, warnings: report.warnings });
      return { report };
    });
    return { jobId, snapshot, item, host: hostName, mode, ...value, seconds: (Date.now() - started) / 1000 };
  } finally {
    await session.close();
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Drills one item: the kind's sink restores it into a scratch place and compares; a drill
 * that cannot restore is a failed drill (with the reason), never an error without a report.
 * Every report is stored in the catalog.
 */
export async function runDrill(services: RestoreServices, input: Access & { snapshot: string; item: string; host?: string | undefined }, signal: AbortSignal): Promise<{ jobId: string; report: DrillReport }> {
  const session = await openVaultSession({ home: services.home, env: services.env, vault: input.vault, passphrase: input.passphrase });
  try {
    const snapshot = await session.vault.snapshot(input.snapshot);
    const item = session.vault.item(snapshot, input.item);
    const sink = requireSink(item);
    if (!sink.drill) throw new LifeboatError('unsupported', `drills of "${item.kind}" items are not supported yet`, `restore it somewhere new with "lifeboat restore ${shortId(snapshot.id)} ${item.name}" and look`);
    const drill = sink.drill.bind(sink);
    const hostName = input.host ?? snapshot.host;
    const started = new Date();
    const result = await asJob(services, { kind: 'drill', label: `Drill of ${item.name} from ${shortId(snapshot.id)}`, host: hostName, access: input, needsHost: true }, signal, async (job, host) => {
      const base = { id: randomUUID(), time: started.toISOString(), snapshot: snapshot.id, item: item.name, kind: item.kind, host: hostName };
      let report: DrillReport;
      try {
        const outcome = await drill({ host: host as HostConnection, vault: session.vault, snapshot, item, job });
        report = { ...base, ...outcome, seconds: (Date.now() - started.getTime()) / 1000 };
      } catch (err) {
        if (job.signal.aborted) throw err;
        report = { ...base, ok: false, basis: 'none', scratch: '', checks: [], problems: [`the test restore failed: ${(err as Error).message}`], notes: [], seconds: (Date.now() - started.getTime()) / 1000 };
      }
      session.vault.catalog?.addDrill(session.vault, report);
      job.itemDone({ item: item.name, status: report.ok ? 'succeeded' : 'failed', message: report.ok ? 'drill passed' : report.problems.join('; ').slice(0, 500), warnings: report.notes });
      return report;
    });
    return { jobId: result.jobId, report: result.value };
  } finally {
    await session.close();
  }
}

/** Stored drill reports of a vault, newest first (needs no passphrase: only the vault id). */
export async function drillHistory(services: Pick<RestoreServices, 'home' | 'env'>, input: Access & { item?: string | undefined; limit: number }): Promise<unknown[]> {
  const storage = new LocalStorage(vaultDirOf({ home: services.home, env: services.env, vault: input.vault }));
  const config = await readConfig(storage);
  const catalog = Catalog.open(join(services.home, 'catalog.sqlite'));
  try {
    return catalog.listDrills({ storage, config }, { ...(input.item ? { item: input.item } : {}), limit: input.limit });
  } finally {
    catalog.close();
  }
}
