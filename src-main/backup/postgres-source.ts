import { LifeboatError } from '../api/errors';
import { dbArgv } from '../databases/db-shell';
import { checksumMethods, pgTableStats } from '../databases/table-stats';
import { parsePgDumpHeader } from '../databases/versions';
import { containerSpawn } from '../hosts/docker-spawn';
import { checkedDump, addWarning } from './dump-stream';
import { databaseName } from './item-plan';
import { containerImage, recordRows, storeDump, withHead } from './dump-item';
import type { BackupSource, SourceContext, SourceResult } from './source';
import { teeVerifier } from './tee-verifier';

/**
 * `pg_dump -Fc -Z0`: custom format (what pg_restore needs for selective and parallel
 * restores) without compression, so day-to-day dumps deduplicate in the vault, which
 * compresses each new chunk itself. The database comes in as `$1` and is handed over in
 * PGDATABASE, which libpq never expands into connection options (a `-d` value holding `=`
 * would be) and which cannot be read as a flag.
 */
export const pgDumpScript = 'PGDATABASE="$1"; export PGDATABASE; exec pg_dump --no-password -Fc -Z0';

/** Roles and tablespaces (with password hashes: the item is stored encrypted like all others). */
export const pgGlobalsScript = 'exec pg_dumpall --no-password --globals-only';

/**
 * Reads the whole archive from stdin and writes the SQL it would run to /dev/null. This is
 * stronger than `pg_restore --list`, which reads only the header and table of contents that
 * pg_dump writes first and therefore accepts a dump cut off halfway (tested); reading every
 * data block to the end-of-archive marker rejects it. It needs no database connection.
 */
export const pgVerifyArgv = ['pg_restore', '--exit-on-error', '-f', '/dev/null'] as const;

/** The last line pg_dumpall writes; a globals dump without it was cut off. */
const globalsEnd = 'PostgreSQL database cluster dump complete';

async function dumpDatabase(ctx: SourceContext, container: string, database: string): Promise<SourceResult> {
  const { docker } = ctx.host;
  const signal = ctx.job.signal;
  const info: Record<string, string> = { format: 'pg_dump -Fc -Z0', database, container, verified: 'pg_restore (whole archive)' };
  const warnings: string[] = [];
  const image = containerImage(ctx);
  if (image) info.image = image;
  // Counted before the dump starts, for drills: exact count(*) per table, in a second query.
  await recordRows(ctx, info, warnings, () => pgTableStats(docker, container, database, true, { signal }), checksumMethods.postgres);
  const verifier = await teeVerifier(docker, container, pgVerifyArgv, `pg_restore in ${container}`, signal);
  let proc;
  try {
    proc = await containerSpawn(docker, container, dbArgv('postgres', pgDumpScript, [database]), { signal });
  } catch (err) {
    await verifier.abort();
    throw err;
  }
  const stream = checkedDump(proc, { what: `pg_dump of "${database}" in ${container}`, info, warnings, verifier, signal, ...(ctx.previous ? { previous: ctx.previous } : {}) });
  const readHeader = (head: Buffer) => {
    try {
      const h = parsePgDumpHeader(head);
      if (h.serverVersion) info.serverVersion = h.serverVersion;
      if (h.dumpVersion) info.dumpVersion = h.dumpVersion;
    } catch {
      addWarning({ info, warnings }, 'the dump header could not be read (versions not recorded)');
    }
  };
  return storeDump(ctx, info, warnings, withHead(stream, 4096, readHeader), async () => {
    await verifier.abort();
    await proc.kill();
  });
}

async function dumpGlobals(ctx: SourceContext, container: string): Promise<SourceResult> {
  const { docker } = ctx.host;
  const signal = ctx.job.signal;
  const info: Record<string, string> = { format: 'pg_dumpall --globals-only', database: '@globals', container, secret: 'role password hashes' };
  const image = containerImage(ctx);
  if (image) info.image = image;
  const warnings: string[] = [];
  const proc = await containerSpawn(docker, container, dbArgv('postgres', pgGlobalsScript), { signal });
  const stream = checkedDump(proc, {
    what: `pg_dumpall --globals-only in ${container}`,
    info,
    warnings,
    signal,
    ...(ctx.previous ? { previous: ctx.previous } : {}),
    checkTail: (tail) => (tail.includes(globalsEnd) ? undefined : `the output does not end with "${globalsEnd}"`),
  });
  return storeDump(ctx, info, warnings, stream, () => proc.kill());
}

/** PostgreSQL: one `pg_dump` per database and `pg_dumpall --globals-only` for `@globals`. */
export const postgresSource: BackupSource = {
  kinds: ['postgres'],
  async backup(ctx) {
    const container = ctx.item.container;
    const database = databaseName(ctx.item, ctx.inventory);
    if (!container || database === '*') {
      throw new LifeboatError('unsupported', `the databases of ${container ?? 'this server'} could not be listed, so ${ctx.item.id} cannot be dumped`, ctx.item.notes[0] ?? 'start the database container and run discovery again');
    }
    return database === '@globals' ? dumpGlobals(ctx, container) : dumpDatabase(ctx, container, database);
  },
};
