import { LifeboatError } from '../../api/errors';
import { type TableStats, parseRecordedStats } from '../../databases/table-stats';
import type { SnapshotItem } from '../../vault/snapshots';

/** What a database item's manifest says about where it came from (see docs/restore.md). */
export interface DbItemFacts {
  readonly engine: 'postgres' | 'mysql' | 'sqlite';
  /** Database name (postgres/mysql); `@globals` for the roles item. */
  readonly database: string;
  /** Container the dump was taken in (the default restore target). */
  readonly container?: string;
  /** Image of that container, for drills when the container is gone. */
  readonly image?: string;
  readonly serverVersion?: string;
  /** Per-table rows and checksums recorded at backup time. */
  readonly stats?: TableStats;
  readonly checksumMethod?: string;
  /** SQLite: volume and path inside it. */
  readonly volume?: string;
  readonly path?: string;
}

/** The part of an item id after `<kind>:` (`wiki/postgres:wiki` → `wiki`). */
export function itemLocalName(name: string): string {
  const at = name.indexOf(':');
  return at >= 0 ? name.slice(at + 1) : name;
}

/**
 * Reads a database item's `info`. Keys written by the backup sources: `container`, `image`,
 * `database`, `serverVersion`, `rows` (JSON: table → rows), `checksums` (JSON: table →
 * checksum) and `checksumMethod`; SQLite adds `volume` and `path`. Missing keys fall back to
 * the item id (`<stack>/<kind>:<name>`).
 */
export function dbItemFacts(item: SnapshotItem): DbItemFacts {
  const info = item.info;
  const engine = item.kind === 'mysql' || item.kind === 'sqlite' ? item.kind : 'postgres';
  const local = itemLocalName(item.name);
  let volume = info.volume;
  let path = info.path;
  if (engine === 'sqlite' && (!volume || !path)) {
    const slash = local.indexOf('/');
    if (slash <= 0) throw new LifeboatError('corrupt', `SQLite item "${item.name}" names no volume and path`, 'restore it as a file with "lifeboat cat"');
    volume ??= local.slice(0, slash);
    path ??= local.slice(slash + 1);
  }
  const database = info.database ?? info.db ?? (engine === 'sqlite' ? (path ?? local) : local.replace(/^[^/]*\//, ''));
  const stats = parseRecordedStats(engine, info.rows ?? info.rowCounts ?? info.tables, info.checksums);
  const serverVersion = info.serverVersion ?? info.server_version ?? info.version;
  return {
    engine,
    database,
    ...(info.container ? { container: info.container } : {}),
    ...(info.image ? { image: info.image } : {}),
    ...(serverVersion ? { serverVersion } : {}),
    ...(stats ? { stats } : {}),
    ...(info.checksumMethod ? { checksumMethod: info.checksumMethod } : {}),
    ...(volume ? { volume } : {}),
    ...(path ? { path: path.replace(/^\/+/, '') } : {}),
  };
}

/** `yyyymmddhhmm` in UTC, for default names of restored copies. */
export function restoreStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 12);
}
