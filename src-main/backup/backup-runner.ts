import type { BackupItemResult, BackupSummary } from '../api/backup-contract';
import type { Inventory, Item } from '../api/discovery-contract';
import { LifeboatError, toErrorPayload } from '../api/errors';
import type { ItemOutcome } from '../api/jobs-contract';
import { discoverHost } from '../discovery/discover';
import type { ConnectInput, HostConnection } from '../hosts/host-service';
import type { JobContext } from '../jobs/job-runner';
import type { Snapshot } from '../vault/snapshots';
import type { SnapshotWriter } from '../vault/snapshot-writer';
import { chooseItems } from './item-plan';
import { latestItem } from './previous-item';
import type { BackupSource, SourceContext } from './source';
import { sourceFor } from './sources';
import { containersUsing, runningOnly, withContainersStopped } from './stop-containers';
import type { VaultAccess, VaultSession } from './vault-session';

/** One backup run as the engine hands it to the runner (request fields, already validated). */
export interface BackupRequest {
  readonly host: string;
  readonly items?: readonly string[] | undefined;
  readonly stopContainers: boolean;
  readonly stopContainersFor: readonly string[];
  readonly tags: readonly string[];
  readonly label?: string | undefined;
  readonly connect: ConnectInput;
  readonly access: VaultAccess;
}

/** The runner's collaborators; tests replace discovery or sources. */
export interface RunnerDeps {
  openHost(name: string, input: ConnectInput, signal: AbortSignal): Promise<HostConnection>;
  openVault(access: VaultAccess): Promise<VaultSession>;
  discover?: (conn: HostConnection, signal: AbortSignal) => Promise<Inventory>;
  sources?: (kind: Item['kind']) => BackupSource | undefined;
}

/** Replaces every given secret in a text with `***` (for log lines and error messages). */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => list.reduce((t, s) => t.split(s).join('***'), text);
}

function outcome(r: BackupItemResult): ItemOutcome {
  return { item: r.item, status: r.status, warnings: r.warnings, ...(r.message ? { message: r.message } : {}), ...(r.size !== undefined ? { bytes: r.size } : {}) };
}

/** The overall status, as the job runner derives it from item outcomes. */
export function runStatus(items: readonly BackupItemResult[], cancelled: boolean, error: string | undefined): BackupSummary['status'] {
  if (cancelled) return 'cancelled';
  if (error) return 'failed';
  const failed = items.filter((i) => i.status === 'failed').length;
  if (items.length > 0 && failed === items.length) return 'failed';
  return failed > 0 ? 'partial' : 'succeeded';
}

/**
 * One backup run of one host: connect, discover, open the vault, then every chosen item
 * through its source into ONE snapshot. An item that fails is left out of the snapshot and
 * never fails the others; the snapshot is committed when at least one item succeeded
 * (also after a cancel: finished items are complete and verified). Never throws: run-level
 * failures (connect, discovery, vault) are the summary's `error`.
 */
export async function runBackup(deps: RunnerDeps, req: BackupRequest, ctx: JobContext): Promise<BackupSummary> {
  const startedAt = new Date();
  const redact = redactor([req.connect.password, req.connect.passphrase, req.access.passphrase ?? req.access.env.LIFEBOAT_PASSPHRASE]);
  const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => ctx.log(level, redact(message));
  const job: JobContext = { ...ctx, log };
  const results: BackupItemResult[] = [];
  const warnings: string[] = [];
  let error: string | undefined;
  let snapshot: Snapshot | undefined;
  let conn: HostConnection | undefined;
  let session: VaultSession | undefined;
  let writer: SnapshotWriter | undefined;
  try {
    ctx.meter.setPhase('connect', `Connecting to ${req.host}`);
    ctx.report(true);
    conn = await deps.openHost(req.host, req.connect, ctx.signal);
    ctx.meter.setPhase('discover', `Discovering ${req.host}`);
    ctx.report(true);
    const inventory = await (deps.discover ?? ((c, signal) => discoverHost(c, { signal })))(conn, ctx.signal);
    const items = chooseItems(inventory, req.items);
    log('info', `backing up ${items.length} item${items.length === 1 ? '' : 's'} of ${req.host}: ${items.map((i) => i.id).join(', ')}`);
    ctx.meter.setPhase('vault', 'Opening the vault');
    ctx.report(true);
    session = await deps.openVault(req.access);
    const snapshots = await session.vault.listSnapshots();
    writer = await session.vault.createSnapshot({ host: req.host, tags: req.tags, ...(req.label ? { label: req.label } : {}) }, ctx.signal);
    for (const [index, item] of items.entries()) {
      const result = ctx.signal.aborted
        ? { item: item.id, kind: item.kind, status: 'cancelled' as const, warnings: [], message: 'cancelled before it started' }
        : await backupItem({ conn, inventory, item, writer, session, snapshots, job, req, redact, label: `[${index + 1}/${items.length}]`, ...(deps.sources ? { sources: deps.sources } : {}) });
      results.push(result);
      warnings.push(...result.warnings.map((w) => `${item.id}: ${w}`));
      ctx.itemDone(outcome(result));
    }
    if (results.some((r) => r.status === 'succeeded')) {
      ctx.meter.setPhase('commit', 'Writing the snapshot');
      ctx.report(true);
      snapshot = await writer.commit();
      log('info', `snapshot ${snapshot.id.slice(0, 8)} holds ${snapshot.items.length} item${snapshot.items.length === 1 ? '' : 's'} (${snapshot.stats.storedNew} new bytes stored)`);
    } else {
      await writer.abort();
      log(results.length === 0 ? 'info' : 'error', results.length === 0 ? 'nothing to back up' : 'no item succeeded; no snapshot was written');
    }
  } catch (err) {
    const payload = toErrorPayload(err);
    error = redact(payload.hint ? `${payload.message} — ${payload.hint}` : payload.message);
    log(ctx.signal.aborted ? 'warn' : 'error', error);
    await writer?.abort().catch(() => undefined);
  } finally {
    await session?.close().catch(() => undefined);
    conn?.close();
  }
  const finishedAt = new Date();
  return {
    jobId: ctx.jobId,
    host: req.host,
    status: runStatus(results, ctx.signal.aborted, error),
    ...(snapshot ? { snapshot: snapshot.id, stats: { bytesIn: snapshot.stats.bytesIn, bytesNew: snapshot.stats.bytesNew, storedNew: snapshot.stats.storedNew } } : {}),
    items: results,
    warnings,
    ...(error ? { error } : {}),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
  };
}

interface ItemRun {
  readonly conn: HostConnection;
  readonly inventory: Inventory;
  readonly item: Item;
  readonly writer: SnapshotWriter;
  readonly session: VaultSession;
  readonly snapshots: readonly Snapshot[];
  readonly job: JobContext;
  readonly req: BackupRequest;
  readonly label: string;
  readonly redact: (text: string) => string;
  readonly sources?: RunnerDeps['sources'];
}

async function backupItem(run: ItemRun): Promise<BackupItemResult> {
  const { item, job } = run;
  const started = Date.now();
  const base = { item: item.id, kind: item.kind };
  const source = (run.sources ?? sourceFor)(item.kind);
  if (!source) {
    job.log('warn', `${item.id}: no backup source for ${item.kind} items in this version; skipped`);
    return { ...base, status: 'skipped', warnings: [], message: `no backup source for ${item.kind} items yet` };
  }
  job.meter.setPhase('item', `${run.label} ${item.id}`, { item: item.id, ...(item.sizeBytes ? { bytesTotal: item.sizeBytes } : {}) });
  job.report(true);
  const ctx: SourceContext = {
    host: run.conn,
    inventory: run.inventory,
    item,
    snapshot: run.writer,
    vault: run.session.vault,
    job,
    ...withPrevious(run),
  };
  const stop = run.req.stopContainers || run.req.stopContainersFor.includes(item.id) ? runningOnly(containersUsing(item, run.inventory), run.inventory) : [];
  try {
    const { value, report } =
      stop.length > 0
        ? await withContainersStopped(run.conn.docker, stop, () => source.backup(ctx), job.log)
        : { value: await source.backup(ctx), report: { stopped: [], warnings: [] } };
    const itemWarnings = [...value.warnings, ...report.warnings];
    for (const w of itemWarnings) job.log('warn', `${item.id}: ${w}`);
    job.log('info', `${item.id}: stored ${value.stored.size} bytes${report.stopped.length ? ` (stopped ${report.stopped.join(', ')} meanwhile)` : ''}`);
    return { ...base, status: 'succeeded', warnings: itemWarnings, size: value.stored.size, transferred: value.bytesTransferred, seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    run.writer.abandonItem();
    const raw = toErrorPayload(err);
    const payload = { ...raw, message: run.redact(raw.message), ...(raw.hint ? { hint: run.redact(raw.hint) } : {}) };
    const cancelled = job.signal.aborted || payload.code === 'cancelled';
    job.log(cancelled ? 'warn' : 'error', `${item.id}: ${payload.message}${payload.hint ? ` — ${payload.hint}` : ''}`);
    return { ...base, status: cancelled ? 'cancelled' : 'failed', warnings: [], message: payload.message, ...(payload.hint ? { hint: payload.hint } : {}), seconds: (Date.now() - started) / 1000 };
  }
}

function withPrevious(run: ItemRun): { previous?: SourceContext['previous'] } {
  const previous = latestItem(run.snapshots, run.req.host, run.item.id);
  return previous ? { previous } : {};
}

/** Thrown by the job when the run itself failed, so the job ends `failed` with the reason. */
export function runError(summary: BackupSummary): LifeboatError | undefined {
  return summary.error && summary.status !== 'cancelled' ? new LifeboatError('remote-failed', summary.error) : undefined;
}
