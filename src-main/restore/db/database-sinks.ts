import { LifeboatError } from '../../api/errors';
import type { SnapshotItem } from '../../vault/snapshots';
import { type RestoreSink, restoreSinks } from '../restore-sink';
import type { DbAdapter, DbSinkHooks } from './db-adapter';
import { drillDb } from './db-drill';
import { previewDb, restoreDb } from './db-restore';
import { dbItemFacts } from './item-facts';
import { mysqlAdapter } from './mysql-adapter';
import { pgAdapter } from './pg-adapter';
import { isGlobalsItem, previewGlobals, restoreGlobals } from './pg-globals';
import { sqliteSink } from './sqlite-sink';

/**
 * A restore sink for a database engine. Tests pass hooks to inject faults (a corrupted dump,
 * a killed pg_restore); the registered sinks have none.
 */
export function createDbSink(adapter: DbAdapter, hooks: DbSinkHooks = {}): RestoreSink {
  const globals = (ctx: { item: SnapshotItem }) => adapter.engine === 'postgres' && isGlobalsItem(dbItemFacts(ctx.item));
  return {
    kinds: [adapter.engine],
    defaultMode: 'new-database',
    preview: (ctx) => (globals(ctx) ? previewGlobals(ctx) : previewDb(adapter, ctx, hooks)),
    restore: (ctx) => (globals(ctx) ? restoreGlobals(ctx) : restoreDb(adapter, ctx, hooks)),
    drill: async (ctx) => {
      if (globals(ctx)) throw new LifeboatError('unsupported', 'a drill restores a database; the @globals item holds roles', 'preview it with "lifeboat restore SNAPSHOT ITEM --dry-run"');
      return drillDb(adapter, ctx);
    },
  };
}

/** The registered database sinks: PostgreSQL, MySQL/MariaDB and SQLite. */
export const databaseSinks: RestoreSink[] = [createDbSink(pgAdapter), createDbSink(mysqlAdapter), sqliteSink];

for (const sink of databaseSinks) if (!restoreSinks.includes(sink)) restoreSinks.push(sink);
