import { pipeline, type Readable } from 'node:stream';
import { LifeboatError } from '../../api/errors';
import { byteCounter } from '../../databases/container-run';
import type { TableStats } from '../../databases/table-stats';
import { shortId } from '../../vault/format';
import type { RestoreContext, RestorePreview, RestoreReport } from '../restore-sink';
import type { DbAdapter, DbServer, DbSinkHooks, DumpSource, LoadPlan } from './db-adapter';
import { itemHead, itemStream, saveSafetyStream } from './db-safety';
import { type DbItemFacts, dbItemFacts, restoreStamp } from './item-facts';

/** The server a restore writes to: `--to-container`, else the container the dump came from. */
export function targetServer(ctx: RestoreContext, facts: DbItemFacts): DbServer {
  if (!ctx.host) throw new LifeboatError('bad-input', 'a database restore needs a host');
  const container = ctx.target.container ?? facts.container;
  if (!container) throw new LifeboatError('bad-input', `the item ${ctx.item.name} does not record its container`, 'name the target with --to-container NAME');
  return { docker: ctx.host.docker, container };
}

/** A fresh stream of the stored dump, counted for progress and passed through the test hooks. */
function dumpSource(ctx: RestoreContext, purpose: 'restore' | 'rollback', hooks: DbSinkHooks, snapshot = ctx.snapshot): Readable {
  // A rollback must finish even when the restore was cancelled: it reads without the job's signal.
  const raw = itemStream(ctx.vault, snapshot, ctx.item.name, purpose === 'rollback' ? undefined : ctx.job.signal);
  const counted = byteCounter((n) => {
    ctx.job.meter.add(n);
    ctx.job.report();
  });
  pipeline(raw, counted, () => undefined);
  return hooks.dump ? hooks.dump(counted, purpose) : counted;
}

/** The database name a restore writes to. */
function targetName(ctx: RestoreContext, facts: DbItemFacts): string {
  if (ctx.target.mode === 'in-place') return ctx.target.database ?? facts.database;
  return ctx.target.database ?? `${facts.database}_restored_${restoreStamp()}`;
}

const rowsText = (n: number | undefined) => (n === undefined ? undefined : `${n} rows`);

/** Compares recorded stats with live ones into preview details. */
function tableDetails(snapshot: TableStats | undefined, tables: string[] | undefined, live: TableStats | undefined) {
  const names = [...new Set([...Object.keys(snapshot ?? {}), ...(tables ?? []), ...Object.keys(live ?? {})])].sort();
  return names.map((name) => {
    const s = snapshot?.[name]?.rows;
    const l = live?.[name]?.rows;
    const inSnap = snapshot ? name in snapshot : (tables ?? []).includes(name);
    return { name, ...(rowsText(s) ? { snapshot: rowsText(s) } : inSnap ? { snapshot: 'in the snapshot' } : {}), ...(rowsText(l) ? { live: rowsText(l) } : {}), differs: s === undefined || l === undefined || s !== l };
  });
}

/** What restoring a database item would do: tables and row counts in the snapshot against live. */
export async function previewDb(adapter: DbAdapter, ctx: RestoreContext, hooks: DbSinkHooks = {}): Promise<RestorePreview> {
  const facts = dbItemFacts(ctx.item);
  const server = targetServer(ctx, facts);
  const signal = ctx.job.signal;
  const notes = await adapter.checkVersion(server, await itemHead(ctx.vault, ctx.snapshot, ctx.item.name, 65536, signal), facts, signal);
  const plan = await adapter.plan(server, () => dumpSource(ctx, 'restore', hooks), facts, signal);
  const name = targetName(ctx, facts);
  const exists = await adapter.databaseExists(server, name, signal);
  const inPlace = ctx.target.mode === 'in-place';
  const liveDb = inPlace ? name : facts.database;
  const live = (await adapter.databaseExists(server, liveDb, signal)) ? await adapter.tableStats(server, liveDb, false, signal) : undefined;
  const snapTables = facts.stats ? Object.keys(facts.stats) : plan.tables;
  const warnings = [...notes, ...plan.warnings];
  if (!facts.stats) warnings.push('the backup recorded no row counts; only the table list is shown');
  const where = `${server.container}/${name}`;
  if (!inPlace) {
    if (exists) warnings.push(`database ${where} already exists: the restore would be refused (choose another name with --to-database)`);
    return { summary: `would create database ${where} from ${ctx.item.name} (${(snapTables ?? []).length || 'unknown number of'} tables); nothing existing is changed`, creates: [`database ${where}`, ...(snapTables ?? []).map((t) => `${name}.${t}`)], overwrites: [], deletes: [], details: tableDetails(facts.stats, plan.tables, live), warnings };
  }
  if (!exists) throw new LifeboatError('not-found', `database ${where} does not exist, so there is nothing to restore in place`, 'restore into a new database (the default) instead');
  const liveTables = Object.keys(live ?? {});
  const snap = snapTables ?? [];
  const kept = liveTables.filter((t) => !snap.includes(t));
  if (kept.length > 0) warnings.push(`tables not in the snapshot stay as they are: ${kept.join(', ')}`);
  return {
    summary: `would replace ${snap.length} tables of ${where} with the snapshot's, after a safety dump of the live database into the vault`,
    creates: snap.filter((t) => !liveTables.includes(t)).map((t) => `${name}.${t}`),
    overwrites: snap.filter((t) => liveTables.includes(t)).map((t) => `${name}.${t}`),
    deletes: [],
    details: tableDetails(facts.stats, plan.tables, live),
    warnings,
  };
}

/** Row counts of the restored database against the recorded ones, as warnings. */
async function verifyRows(adapter: DbAdapter, server: DbServer, database: string, facts: DbItemFacts): Promise<string[]> {
  if (!facts.stats) return ['the backup recorded no row counts, so the result was not compared'];
  const now = await adapter.tableStats(server, database, false);
  const off = Object.entries(facts.stats).filter(([t, s]) => now[t]?.rows !== s.rows);
  return off.length === 0 ? [] : [`row counts differ from the backup's: ${off.map(([t, s]) => `${t} ${now[t]?.rows ?? 'missing'} (backup ${s.rows})`).join(', ')}`];
}

/** Restores a database item: into a new database (default) or in place with a safety dump and rollback. */
export async function restoreDb(adapter: DbAdapter, ctx: RestoreContext, hooks: DbSinkHooks = {}): Promise<RestoreReport> {
  const facts = dbItemFacts(ctx.item);
  const server = targetServer(ctx, facts);
  const { job } = ctx;
  const signal = job.signal;
  job.meter.setPhase('check', `Checking ${server.container}`, { item: ctx.item.name });
  const notes = await adapter.checkVersion(server, await itemHead(ctx.vault, ctx.snapshot, ctx.item.name, 65536, signal), facts, signal);
  const plan = await adapter.plan(server, () => dumpSource(ctx, 'restore', hooks), facts, signal);
  const name = targetName(ctx, facts);
  const where = `${server.container}/${name}`;
  const dump: DumpSource = () => dumpSource(ctx, 'restore', hooks);
  if (ctx.target.mode === 'in-place') return restoreInPlace(adapter, ctx, hooks, { server, name, where, plan, facts, notes, dump });
  if (await adapter.databaseExists(server, name, signal)) {
    throw new LifeboatError('already-exists', `database ${where} already exists`, 'a restore never writes into an existing database unless asked: choose another name with --to-database, or use --in-place');
  }
  job.log('info', `creating database ${where}`);
  await adapter.createDatabase(server, name, facts.database, signal);
  job.meter.setPhase('restore', `Restoring ${ctx.item.name} into ${where}`, { item: ctx.item.name, bytesTotal: ctx.item.size });
  try {
    await adapter.load(server, name, dump(), false, plan, { signal, onStart: (p) => void hooks.step?.('restore', p) });
  } catch (err) {
    await adapter.dropDatabase(server, name).catch((e: Error) => job.log('warn', `could not drop the half-restored database ${where}: ${e.message}`));
    throw err;
  }
  const renamed = name !== facts.database && adapter.renameWarning ? [adapter.renameWarning(facts.database, name)] : [];
  const warnings = [...notes, ...plan.warnings, ...renamed, ...(await verifyRows(adapter, server, name, facts))];
  return { summary: `restored ${ctx.item.name} into the new database ${where}`, location: where, warnings };
}

interface InPlaceArgs {
  readonly server: DbServer;
  readonly name: string;
  readonly where: string;
  readonly plan: LoadPlan;
  readonly facts: DbItemFacts;
  readonly notes: string[];
  readonly dump: DumpSource;
}

async function restoreInPlace(adapter: DbAdapter, ctx: RestoreContext, hooks: DbSinkHooks, a: InPlaceArgs): Promise<RestoreReport> {
  const { job } = ctx;
  const signal = job.signal;
  if (!(await adapter.databaseExists(a.server, a.name, signal))) throw new LifeboatError('not-found', `database ${a.where} does not exist, so there is nothing to restore in place`, 'restore into a new database (the default) instead');
  job.meter.setPhase('safety', `Safety dump of ${a.where}`, { item: ctx.item.name });
  const proc = await adapter.dump(a.server, a.name, signal);
  await hooks.step?.('safety-dump', proc);
  const safety = await saveSafetyStream(ctx.vault, proc, {
    host: ctx.host?.host.name ?? ctx.snapshot.host,
    item: ctx.item.name,
    kind: ctx.item.kind,
    label: `safety copy of ${a.where} before restoring snapshot ${shortId(ctx.snapshot.id)}`,
    info: { ...ctx.item.info, database: a.name, container: a.server.container, safetyFor: ctx.snapshot.id },
    signal,
    verifyHead: (head) => adapter.verifyHead(head),
    minBytes: 64,
    onBytes: (n) => {
      job.meter.add(n);
      job.report();
    },
  });
  const safetyId = shortId(safety.id);
  job.log('info', `safety copy of ${a.where} is snapshot ${safetyId}`);
  job.meter.setPhase('restore', `Restoring ${ctx.item.name} into ${a.where}`, { item: ctx.item.name, bytesTotal: ctx.item.size });
  try {
    await adapter.load(a.server, a.name, a.dump(), true, a.plan, { signal, onStart: (p) => void hooks.step?.('restore', p) });
  } catch (restoreErr) {
    const why = (restoreErr as Error).message;
    job.log('error', `restore into ${a.where} failed: ${why}; rolling back to safety copy ${safetyId}`);
    job.meter.setPhase('rollback', `Rolling ${a.where} back to safety copy ${safetyId}`, { item: ctx.item.name });
    try {
      const back = dumpSource(ctx, 'rollback', hooks, safety);
      await adapter.rollback(a.server, a.name, back, a.plan, { onStart: (p) => void hooks.step?.('rollback', p) });
    } catch (rollbackErr) {
      throw new LifeboatError('remote-failed', `the restore into ${a.where} failed (${why}) AND putting the safety copy back failed (${(rollbackErr as Error).message})`, `the database may be incomplete; its safety copy is snapshot ${safetyId}: run "lifeboat restore ${safetyId} ${ctx.item.name} --in-place --yes"`, { cause: restoreErr });
    }
    const code = restoreErr instanceof LifeboatError ? restoreErr.code : 'remote-failed';
    throw new LifeboatError(code, `the restore into ${a.where} failed (${why}); the database was rolled back to its safety copy ${safetyId}`, 'nothing changed; fix the cause and run the restore again', { cause: restoreErr });
  }
  const warnings = [...a.notes, ...a.plan.warnings, ...(await verifyRows(adapter, a.server, a.name, a.facts))];
  return { summary: `restored ${ctx.item.name} in place into ${a.where}; the previous content is safety copy ${safetyId}`, location: a.where, safetyCopy: safety.id, warnings };
}
