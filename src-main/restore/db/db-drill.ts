import { pipeline } from 'node:stream';
import type { DrillCheck } from '../../api/restore-contract';
import { LifeboatError } from '../../api/errors';
import { byteCounter } from '../../databases/container-run';
import { type TableStats, checksumMethods } from '../../databases/table-stats';
import type { DrillContext, DrillOutcome } from '../restore-sink';
import type { DbAdapter, DbServer } from './db-adapter';
import { itemHead, itemStream } from './db-safety';
import { dbItemFacts } from './item-facts';
import { containerTemplate, scratchLabels, startScratch, waitUntil } from './scratch-containers';

/** Compares restored tables with the expected ones (pure): counts always, checksums when both sides have one. */
export function compareTables(expected: TableStats, actual: TableStats): DrillCheck[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names.map((name) => {
    const e = expected[name];
    const a = actual[name];
    const rowsOk = e !== undefined && a !== undefined && e.rows === a.rows;
    const sumsCompared = e?.checksum !== undefined && a?.checksum !== undefined;
    const ok = rowsOk && (!sumsCompared || e?.checksum === a?.checksum);
    const note = !e ? 'not in the backup' : !a ? 'missing after the restore' : !rowsOk ? 'row counts differ' : sumsCompared && !ok ? 'content differs (checksum)' : undefined;
    return {
      name,
      ...(e ? { rowsExpected: e.rows } : {}),
      ...(a ? { rows: a.rows } : {}),
      ...(e?.checksum ? { checksumExpected: e.checksum } : {}),
      ...(a?.checksum ? { checksum: a.checksum } : {}),
      ok,
      ...(note ? { note } : {}),
    };
  });
}

/**
 * A drill for PostgreSQL and MySQL/MariaDB: a scratch container from the same image (no
 * network, the original's environment minus secret files), the dump restored into it, every
 * table's row count and checksum compared with those recorded at backup (or, for backups that
 * recorded none, with the live source now, and the report says so). The scratch is always removed.
 */
export async function drillDb(adapter: DbAdapter, ctx: DrillContext): Promise<DrillOutcome> {
  const facts = dbItemFacts(ctx.item);
  const { docker } = ctx.host;
  const { job } = ctx;
  const template = facts.container ? await containerTemplate(docker, facts.container) : undefined;
  const image = template?.image ?? facts.image;
  if (!image) throw new LifeboatError('not-found', `no image to drill ${ctx.item.name} with: the container ${facts.container ?? '?'} is gone and the backup did not record its image`, 'restore it into a running server with "lifeboat restore … --to-container NAME" instead');
  const notes: string[] = [];
  job.meter.setPhase('scratch', `Starting a scratch ${adapter.label} from ${image}`, { item: ctx.item.name });
  const scratch = await startScratch(docker, {
    prefix: 'lifeboat-drill',
    image,
    labels: scratchLabels('drill', ctx.item.name),
    env: adapter.scratchEnv(template?.env ?? []),
    ...(template ? { entrypoint: template.entrypoint, cmd: template.cmd, user: template.user } : {}),
  });
  job.log('info', `scratch container ${scratch.name} from ${image}`);
  try {
    const server: DbServer = { docker, container: scratch.name };
    await waitUntil(docker, scratch.name, adapter.readyProbe, `the scratch ${adapter.label}`, 120_000, job.signal);
    notes.push(...(await adapter.checkVersion(server, await itemHead(ctx.vault, ctx.snapshot, ctx.item.name, 65536, job.signal), facts, job.signal)));
    const dump = () => {
      const counted = byteCounter((n) => {
        job.meter.add(n);
        job.report();
      });
      pipeline(itemStream(ctx.vault, ctx.snapshot, ctx.item.name, job.signal), counted, () => undefined);
      return counted;
    };
    const plan = await adapter.plan(server, dump, facts, job.signal);
    notes.push(...plan.warnings);
    if (!(await adapter.databaseExists(server, facts.database, job.signal))) await adapter.createDatabase(server, facts.database, undefined, job.signal);
    job.meter.setPhase('restore', `Restoring ${ctx.item.name} into ${scratch.name}`, { item: ctx.item.name, bytesTotal: ctx.item.size });
    await adapter.load(server, facts.database, dump(), false, plan, { signal: job.signal });
    job.meter.setPhase('compare', 'Counting rows and checksumming tables', { item: ctx.item.name });
    const actual = await adapter.tableStats(server, facts.database, true, job.signal);
    let expected = facts.stats;
    let basis: DrillOutcome['basis'] = 'backup';
    if (expected && facts.checksumMethod && facts.checksumMethod !== checksumMethods[adapter.engine]) {
      notes.push(`the backup's checksums (${facts.checksumMethod}) are not comparable with this drill's (${checksumMethods[adapter.engine]}); row counts only`);
      expected = Object.fromEntries(Object.entries(expected).map(([t, s]) => [t, { rows: s.rows }]));
    }
    if (!expected && facts.container && template) {
      basis = 'live';
      expected = await adapter.tableStats({ docker, container: facts.container }, facts.database, true, job.signal);
      notes.push(`the backup recorded no row counts: compared with the live database ${facts.container}/${facts.database} now, so a difference can also be a change made since the backup`);
    }
    if (!expected) return { ok: false, basis: 'none', scratch: scratch.name, image, checks: [], problems: ['nothing to compare with: the backup recorded no row counts and the source database is gone'], notes };
    const checks = compareTables(expected, actual);
    const problems = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.note ?? 'differs'}${c.rowsExpected !== undefined || c.rows !== undefined ? ` (expected ${c.rowsExpected ?? '-'} rows, got ${c.rows ?? '-'})` : ''}`);
    if (checks.every((c) => c.checksumExpected === undefined)) notes.push('the backup recorded no checksums: row counts compared only');
    return { ok: problems.length === 0 && checks.length > 0, basis, scratch: scratch.name, image, checks, problems, notes };
  } finally {
    await scratch.remove();
    job.log('info', `removed scratch container ${scratch.name}`);
  }
}
