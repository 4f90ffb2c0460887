import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LifeboatError } from '../../api/errors';
import { expectOk, runInContainer } from '../../databases/container-run';
import { parseRows } from '../../databases/db-shell';
import { type TableStats, sqliteCountSql, sqliteTablesSql } from '../../databases/table-stats';
import { containerSpawn } from '../../hosts/docker-spawn';
import type { RemoteProcess } from '../../hosts/remote-process';
import { type Scratch, containerTemplate, scratchLabels, startScratch } from './scratch-containers';

/** Where the helper mounts the volume that holds the SQLite file. */
export const volMount = '/lifeboat-vol';

/** A path inside a volume as the helper sees it; refuses absolute, empty and `..` parts. */
export function inVolume(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..' || p.includes('\0'))) throw new LifeboatError('bad-input', `"${path}" is not a path inside the volume`, 'give a relative path without ".." (--to-path dir/name.sqlite)');
  return `${volMount}/${parts.join('/')}`;
}

/** A long-running helper container (no network) with the volume mounted, for exec'ing small steps. */
export interface SqliteHelper extends Scratch {
  run(script: string, args: readonly string[], stdin?: Buffer | Readable, signal?: AbortSignal): Promise<Buffer>;
  spawn(script: string, args: readonly string[], signal?: AbortSignal): Promise<RemoteProcess>;
  readonly hasSqlite: boolean;
}

/**
 * Starts a helper from the image of the container that uses the file (it has `sh`, and
 * usually `sqlite3`), as root, mounting `volume` (read-only for drills' live comparison).
 */
export async function startSqliteHelper(docker: Docker, opts: { container?: string; image?: string; volume?: string; readOnly?: boolean; role: 'drill' | 'restore-helper'; item: string }): Promise<SqliteHelper & { image: string }> {
  const template = opts.container ? await containerTemplate(docker, opts.container) : undefined;
  const image = template?.image ?? opts.image;
  if (!image) throw new LifeboatError('not-found', `no image for a helper container: ${opts.container ?? 'the container'} is gone and the backup did not record its image`);
  const scratch = await startScratch(docker, {
    prefix: opts.role === 'drill' ? 'lifeboat-drill' : 'lifeboat-restore',
    image,
    labels: scratchLabels(opts.role, opts.item),
    entrypoint: ['sh', '-c', 'while :; do sleep 3600; done'],
    cmd: null,
    user: '0',
    ...(opts.volume ? { binds: [`${opts.volume}:${volMount}${opts.readOnly ? ':ro' : ''}`] } : {}),
  });
  const run = async (script: string, args: readonly string[], stdin?: Buffer | Readable, signal?: AbortSignal) =>
    expectOk(await runInContainer(docker, scratch.name, ['sh', '-c', script, 'lifeboat', ...args], { ...(stdin !== undefined ? { stdin } : {}), ...(signal ? { signal } : {}) }), `a step in the helper container ${scratch.name}`).stdout;
  const probe = await runInContainer(docker, scratch.name, ['sh', '-c', 'command -v sqlite3']).catch(() => undefined);
  return {
    ...scratch,
    image,
    hasSqlite: probe?.code === 0,
    run,
    spawn: (script, args, signal) => containerSpawn(docker, scratch.name, ['sh', '-c', script, 'lifeboat', ...args], signal ? { signal } : {}),
  };
}

/** Writes stdin to a new file $1 (never over an existing file or through a symlink: noclobber). */
export const uploadScript = 'set -C; cat > "$1"';
/** Owner and mode of $1 as `uid:gid mode`, or nothing when it does not exist. */
export const statScript = '[ -e "$1" ] || exit 0; stat -c "%u:%g %a" -- "$1"';
/** Moves $1 over $2 in place: the old file's WAL, shared-memory and journal files go (they belong to the old content). */
export const replaceScript = 'chown "$3" "$1" && chmod "$4" "$1" && rm -f -- "$2-wal" "$2-shm" "$2-journal" && mv -f -- "$1" "$2"';
/** Puts $1 at $2 only if $2 does not exist (a hard link cannot clobber), then drops the temp name. */
export const placeNewScript = '{ [ -z "$3" ] || { chown "$3" "$1" && chmod "$4" "$1"; }; } && ln -- "$1" "$2" && rm -f -- "$1"';
/** Folds a WAL into the main file ($1), so the file alone is the whole database. */
export const checkpointScript = '[ ! -e "$1-wal" ] || sqlite3 "$1" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null';

/** A fresh temp name next to `path`. */
export function tempBeside(path: string): string {
  return `${path.slice(0, path.lastIndexOf('/') + 1)}.lifeboat-restore-${randomBytes(6).toString('hex')}`;
}

/** `PRAGMA integrity_check` of a file; `ok` when healthy. */
export async function integrityCheck(helper: SqliteHelper, file: string, signal?: AbortSignal): Promise<string> {
  return (await helper.run('exec sqlite3 -readonly "$1" "PRAGMA integrity_check;"', [file], undefined, signal)).toString('utf8').trim();
}

/** Row counts of every table of a SQLite file. */
export async function sqliteStats(helper: SqliteHelper, file: string, signal?: AbortSignal): Promise<TableStats> {
  const query = 'exec sqlite3 -readonly -ascii "$1"';
  const tables = parseRows('sqlite', await helper.run(query, [file], Buffer.from(sqliteTablesSql), signal)).map((r) => r[0] ?? '');
  if (tables.length === 0) return {};
  const counts = parseRows('sqlite', await helper.run(query, [file], Buffer.from(sqliteCountSql(tables)), signal));
  return Object.fromEntries(tables.map((t, i) => [t, { rows: Number(counts[i]?.[0] ?? NaN) }]));
}

/** A container that mounts a volume. */
export interface VolumeUser {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
}

/** Containers (running or not) that mount `volume`. */
export async function volumeUsers(docker: Docker, volume: string): Promise<VolumeUser[]> {
  const list = await docker.listContainers({ all: true, filters: { volume: [volume] } });
  return list.map((c) => ({ id: c.Id, name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''), running: c.State === 'running' }));
}
