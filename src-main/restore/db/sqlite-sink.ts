import { pipeline } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../../api/errors';
import { byteCounter } from '../../databases/container-run';
import { shortId } from '../../vault/format';
import type { DrillContext, DrillOutcome, RestoreContext, RestorePreview, RestoreReport, RestoreSink } from '../restore-sink';
import { compareTables } from './db-drill';
import { itemStream, saveSafetyStream } from './db-safety';
import { type DbItemFacts, dbItemFacts, restoreStamp } from './item-facts';
import { type SqliteHelper, type VolumeUser, checkpointScript, inVolume, integrityCheck, placeNewScript, replaceScript, sqliteStats, startSqliteHelper, statScript, tempBeside, uploadScript, volMount, volumeUsers } from './sqlite-ops';

function facts(ctx: { item: RestoreContext['item'] }): DbItemFacts & { volume: string; path: string } {
  const f = dbItemFacts(ctx.item);
  if (!f.volume || !f.path) throw new LifeboatError('corrupt', `SQLite item ${ctx.item.name} names no volume and path`);
  return f as DbItemFacts & { volume: string; path: string };
}

/** Where the restored file goes: in place, `--to-path` in the volume, `--to-database NAME` beside it, or `<stem>_restored_<stamp><ext>`. */
function destination(ctx: RestoreContext, f: { path: string }): string {
  if (ctx.target.mode === 'in-place') return f.path;
  if (ctx.target.mode === 'path' && ctx.target.path) return ctx.target.path;
  const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/') + 1) : '';
  const base = f.path.slice(dir.length);
  if (ctx.target.database) {
    if (ctx.target.database.includes('/')) throw new LifeboatError('bad-input', '--to-database for SQLite is a file name beside the original', 'use --to-path DIR/NAME for another place in the volume');
    return `${dir}${ctx.target.database}`;
  }
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  return `${dir}${stem}_restored_${restoreStamp()}${ext}`;
}

/** Streams the stored file into `file` in the helper; a rollback passes `null` so it finishes even after a cancel. */
async function upload(ctx: Pick<RestoreContext, 'vault' | 'snapshot' | 'item' | 'job'>, helper: SqliteHelper, file: string, snapshot = ctx.snapshot, cancel: AbortSignal | null = ctx.job.signal): Promise<void> {
  const signal = cancel ?? undefined;
  const counted = byteCounter((n) => {
    ctx.job.meter.add(n);
    ctx.job.report();
  });
  pipeline(itemStream(ctx.vault, snapshot, ctx.item.name, signal), counted, () => undefined);
  await helper.run(uploadScript, [file], counted, signal);
}

async function checked(helper: SqliteHelper, file: string, warnings: string[], signal?: AbortSignal): Promise<void> {
  if (!helper.hasSqlite) {
    warnings.push('the image has no sqlite3, so PRAGMA integrity_check was not run');
    return;
  }
  const result = await integrityCheck(helper, file, signal);
  if (result !== 'ok') throw new LifeboatError('corrupt', `PRAGMA integrity_check of the restored file says: ${result.slice(0, 300)}`, 'the stored copy may be damaged; run "lifeboat check --read-data" and try an older snapshot');
}

/** Previews a SQLite restore: the file it writes and whether it exists. */
async function preview(ctx: RestoreContext): Promise<RestorePreview> {
  const f = facts(ctx);
  const dest = destination(ctx, f);
  const users = ctx.host ? await volumeUsers(ctx.host.docker, f.volume) : [];
  const running = users.filter((u) => u.running).map((u) => u.name);
  const inPlace = ctx.target.mode === 'in-place';
  return {
    summary: inPlace
      ? `would replace ${f.volume}:${dest} with the snapshot's copy (${ctx.item.size} bytes) after a safety copy; ${running.length ? `containers ${running.join(', ')} are stopped meanwhile and started again` : 'no running container uses it'}`
      : `would write the snapshot's copy to ${f.volume}:${dest} (${ctx.item.size} bytes); nothing existing is changed`,
    creates: inPlace ? [] : [`${f.volume}:${dest}`],
    overwrites: inPlace ? [`${f.volume}:${dest}`] : [],
    deletes: inPlace ? [`${f.volume}:${dest}-wal`, `${f.volume}:${dest}-shm`] : [],
    details: [{ name: dest, snapshot: `${ctx.item.size} bytes`, differs: true }],
    warnings: [],
  };
}

async function restore(ctx: RestoreContext): Promise<RestoreReport> {
  const f = facts(ctx);
  if (!ctx.host) throw new LifeboatError('bad-input', 'a SQLite restore needs a host');
  const docker = ctx.host.docker;
  const { job } = ctx;
  const dest = inVolume(destination(ctx, f));
  const where = `${f.volume}:${dest.slice(volMount.length + 1)}`;
  const warnings: string[] = [];
  const helper = await startSqliteHelper(docker, { ...(f.container ? { container: f.container } : {}), ...(f.image ? { image: f.image } : {}), volume: f.volume, role: 'restore-helper', item: ctx.item.name });
  try {
    const tmp = tempBeside(dest);
    job.meter.setPhase('upload', `Writing ${ctx.item.name} to ${where}`, { item: ctx.item.name, bytesTotal: ctx.item.size });
    await upload(ctx, helper, tmp);
    await checked(helper, tmp, warnings, job.signal);
    const owner = (await helper.run(statScript, [inVolume(f.path)])).toString('utf8').trim().split(' ');
    if (ctx.target.mode !== 'in-place') {
      try {
        await helper.run(placeNewScript, [tmp, dest, owner[0] ?? '', owner[1] ?? '']);
      } catch {
        await helper.run('rm -f -- "$1"', [tmp]).catch(() => undefined);
        throw new LifeboatError('already-exists', `${where} already exists`, 'a restore never replaces a file unless asked: choose another name with --to-database/--to-path, or use --in-place');
      }
      return { summary: `restored ${ctx.item.name} as ${where}`, location: where, warnings };
    }
    return await inPlace(ctx, helper, { dest, tmp, where, owner, warnings, docker, volume: f.volume });
  } finally {
    await helper.remove();
  }
}

async function inPlace(ctx: RestoreContext, helper: SqliteHelper, a: { dest: string; tmp: string; where: string; owner: string[]; warnings: string[]; docker: Docker; volume: string }): Promise<RestoreReport> {
  const { job } = ctx;
  if (a.owner.length < 2) throw new LifeboatError('not-found', `${a.where} does not exist, so there is nothing to restore in place`, 'restore to a new file (the default) instead');
  const users = (await volumeUsers(a.docker, a.volume)).filter((u) => u.running && u.name !== helper.name);
  const stopped: VolumeUser[] = [];
  try {
    for (const u of users) {
      job.log('info', `stopping ${u.name}`);
      await a.docker.getContainer(u.id).stop({ t: 20 });
      stopped.push(u);
    }
    if (helper.hasSqlite) await helper.run(checkpointScript, [a.dest]);
    job.meter.setPhase('safety', `Safety copy of ${a.where}`, { item: ctx.item.name });
    const safety = await saveSafetyStream(ctx.vault, await helper.spawn('exec cat -- "$1"', [a.dest], job.signal), {
      host: ctx.host?.host.name ?? ctx.snapshot.host,
      item: ctx.item.name,
      kind: ctx.item.kind,
      label: `safety copy of ${a.where} before restoring snapshot ${shortId(ctx.snapshot.id)}`,
      info: { ...ctx.item.info, safetyFor: ctx.snapshot.id },
      verifyHead: (head) => {
        if (head.length > 0 && !head.subarray(0, 16).equals(Buffer.from('SQLite format 3\0'))) throw new LifeboatError('corrupt', `${a.where} is not a SQLite database file`, 'nothing was changed; check the path');
      },
    });
    const safetyId = shortId(safety.id);
    try {
      await helper.run(replaceScript, [a.tmp, a.dest, a.owner[0] ?? '0:0', a.owner[1] ?? '644']);
      await checked(helper, a.dest, a.warnings);
    } catch (err) {
      job.log('error', `restoring ${a.where} failed: ${(err as Error).message}; putting safety copy ${safetyId} back`);
      try {
        const back = tempBeside(a.dest);
        await upload(ctx, helper, back, safety, null);
        await helper.run(replaceScript, [back, a.dest, a.owner[0] ?? '0:0', a.owner[1] ?? '644']);
      } catch (rollbackErr) {
        throw new LifeboatError('remote-failed', `restoring ${a.where} failed (${(err as Error).message}) AND putting the safety copy back failed (${(rollbackErr as Error).message})`, `its safety copy is snapshot ${safetyId}: run "lifeboat restore ${safetyId} ${ctx.item.name} --in-place --yes"`);
      }
      throw new LifeboatError('remote-failed', `restoring ${a.where} failed (${(err as Error).message}); the file was put back from safety copy ${safetyId}`, 'nothing changed; try an older snapshot');
    }
    return { summary: `restored ${ctx.item.name} in place at ${a.where}; the previous file is safety copy ${safetyId}`, location: a.where, safetyCopy: safety.id, warnings: a.warnings };
  } finally {
    await helper.run('rm -f -- "$1"', [a.tmp]).catch(() => undefined);
    for (const u of stopped) {
      job.log('info', `starting ${u.name}`);
      await a.docker.getContainer(u.id).start().catch((e: Error) => a.warnings.push(`container ${u.name} did not start again: ${e.message}; start it with "docker start ${u.name}"`));
    }
  }
}

/** SQLite drill: the file restored into a scratch container, `PRAGMA integrity_check`, row counts against the backup's (or the live file's). */
async function drill(ctx: DrillContext): Promise<DrillOutcome> {
  const f = facts(ctx);
  const helper = await startSqliteHelper(ctx.host.docker, { ...(f.container ? { container: f.container } : {}), ...(f.image ? { image: f.image } : {}), ...(f.stats ? {} : { volume: f.volume, readOnly: true }), role: 'drill', item: ctx.item.name });
  try {
    if (!helper.hasSqlite) throw new LifeboatError('unsupported', `the image ${helper.image} has no sqlite3 to check the file with`);
    const file = '/tmp/lifeboat-drill.sqlite';
    ctx.job.meter.setPhase('restore', `Restoring ${ctx.item.name} into ${helper.name}`, { item: ctx.item.name, bytesTotal: ctx.item.size });
    await upload(ctx, helper, file);
    const integrity = await integrityCheck(helper, file, ctx.job.signal);
    const actual = await sqliteStats(helper, file, ctx.job.signal);
    const notes: string[] = [];
    let expected = f.stats;
    if (!expected) {
      expected = await sqliteStats(helper, inVolume(f.path), ctx.job.signal);
      notes.push(`the backup recorded no row counts: compared with the live file ${f.volume}:${f.path} now, so a difference can also be a change made since the backup`);
    }
    const checks = compareTables(expected, actual);
    const problems = [...(integrity === 'ok' ? [] : [`integrity_check: ${integrity.slice(0, 300)}`]), ...checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.note ?? 'differs'}`)];
    return { ok: problems.length === 0, basis: f.stats ? 'backup' : 'live', scratch: helper.name, image: helper.image, integrity, checks, problems, notes };
  } finally {
    await helper.remove();
  }
}

/** SQLite files in volumes: a new file beside the original by default, in place with the users stopped. */
export const sqliteSink: RestoreSink = { kinds: ['sqlite'], defaultMode: 'new-database', preview, restore, drill };
