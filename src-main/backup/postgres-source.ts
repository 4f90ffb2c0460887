import { dbArgv } from '../databases/db-shell';
import { checksumMethods, pgTableStats } from '../databases/table-stats';
import { parsePgDumpHeader } from '../databases/versions';
import { containerSpawn } from '../hosts/docker-spawn';
import { addWarning, checkedDump, exitText, lastLine } from './dump-stream';
import { containerImage, dumpTarget, recordRows, storeDump, withHead } from './dump-item';
import { stopOnTerm } from './remote-script';
import type { BackupSource, SourceContext, SourceResult } from './source';

/**
 * `pg_dump -Fc -Z0`: custom format (what pg_restore needs for selective and parallel
 * restores) without compression, so day-to-day dumps deduplicate in the vault, which
 * compresses each new chunk itself. The database comes in as `$1` and is handed over in
 * PGDATABASE, which libpq never expands into connection options (a `-d` value holding `=`
 * would be) and which cannot be read as a flag.
 *
 * The dump is verified on the server as it streams: `tee` writes it to our stdout (kept as
 * fd 3) and, through the pipe it reopens as /proc/self/fd/5 (a pipe can be reopened; the exec's
 * stdout may be a socket, which cannot), into `pg_restore --exit-on-error -f /dev/null`, which reads the whole archive to its
 * end-of-archive marker. That is stronger than `pg_restore --list`, which reads only the
 * header and table of contents pg_dump writes first and so accepts a dump cut off halfway
 * (tested). Both tools report their exit status on stderr (`lifeboat-status:…`); the dump
 * counts only when both are 0. Nothing is sent back to the server and nothing is written
 * to disk there.
 */
export const pgDumpScript = [
  'PGDATABASE="$1"; export PGDATABASE',
  stopOnTerm(),
  'exec 3>&1',
  '{ { pg_dump --no-password -Fc -Z0; s=$?; echo "lifeboat-status:pg_dump:$s" >&2; exit $s; } | tee /proc/self/fd/5 >&3; } 5>&1 | { pg_restore --exit-on-error -f /dev/null; s=$?; echo "lifeboat-status:pg_restore:$s" >&2; exit $s; } &',
  'wait $!',
].join('\n');

/** Roles and tablespaces (with password hashes: the item is stored encrypted like all others). */
export const pgGlobalsScript = 'exec pg_dumpall --no-password --globals-only';

/** The last line pg_dumpall writes; a globals dump without it was cut off. */
const globalsEnd = 'PostgreSQL database cluster dump complete';

/**
 * How the dump pipeline ended, from the status lines both tools print: pg_dump must exit 0
 * (with no output at all that is left to the empty-dump check), then pg_restore must have
 * read the whole archive.
 */
export function pipelineProblem(stderr: string, bytes: number): string | undefined {
  const status = (tool: string) => new RegExp(`^lifeboat-status:${tool}:(\\d+)$`, 'm').exec(stderr)?.[1];
  const dump = status('pg_dump');
  if (dump === undefined) return 'ended without a status (it was stopped)';
  if (dump !== '0') return exitText(dump, stderr);
  if (bytes === 0) return undefined;
  const restore = status('pg_restore');
  if (restore !== '0') return `was rejected by pg_restore (${restore === undefined ? 'no status' : `exit ${restore}`}): ${lastLine(stderr.replace(/^lifeboat-status:.*$/gm, '')) || 'the archive is incomplete'}`;
  return undefined;
}

async function dumpDatabase(ctx: SourceContext, container: string, database: string): Promise<SourceResult> {
  const { docker } = ctx.host;
  const signal = ctx.job.signal;
  const info: Record<string, string> = { format: 'pg_dump -Fc -Z0', database, container, verified: 'pg_restore read the whole archive (on the server, as it streamed)' };
  const warnings: string[] = [];
  const image = containerImage(ctx);
  if (image) info.image = image;
  // Counted before the dump starts, for drills: exact count(*) and an ordered content checksum per table, in a second query.
  await recordRows(ctx, info, warnings, () => pgTableStats(docker, container, database, true, { signal }), checksumMethods.postgres);
  const proc = await containerSpawn(docker, container, dbArgv('postgres', pgDumpScript, [database]), { signal });
  const stream = checkedDump(proc, { what: `pg_dump of "${database}" in ${container}`, info, warnings, signal, checkExit: (exit, bytes) => pipelineProblem(exit.stderr, bytes), ...(ctx.previous ? { previous: ctx.previous } : {}) });
  const readHeader = (head: Buffer) => {
    try {
      const h = parsePgDumpHeader(head);
      if (h.serverVersion) info.serverVersion = h.serverVersion;
      if (h.dumpVersion) info.dumpVersion = h.dumpVersion;
    } catch {
      addWarning({ info, warnings }, 'the dump header could not be read (versions not recorded)');
    }
  };
  return storeDump(ctx, info, warnings, withHead(stream, 4096, readHeader), () => proc.kill());
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
    const { container, database } = dumpTarget(ctx);
    return database === '@globals' ? dumpGlobals(ctx, container) : dumpDatabase(ctx, container, database);
  },
};
