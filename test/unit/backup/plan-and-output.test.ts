import { describe, expect, it } from 'vitest';
import type { BackupSummary } from '../../../src-main/api/backup-contract';
import type { Item } from '../../../src-main/api/discovery-contract';
import { chooseItems, databaseName } from '../../../src-main/backup/item-plan';
import { containersUsing, runningOnly } from '../../../src-main/backup/stop-containers';
import { outcomeLine, progressLine, summaryText } from '../../../src-main/cli/backup-progress';
import { backupExitCode } from '../../../src-main/cli/commands/backup-commands';
import { snapshotDetail } from '../../../src-main/engine/backup-handlers';
import type { Snapshot } from '../../../src-main/vault/snapshots';
import { container, inventoryOf, item } from './fixtures';

const c = container;
const it_ = item;

const inv = inventoryOf([
  {
    name: 'app',
    compose: true,
    configFiles: [],
    containers: [c('app-main-db-1', { database: 'postgres' }), c('app-logs-db-1', { database: 'postgres' }), c('app-web-1', { mounts: [{ type: 'bind', source: '/srv/conf', destination: '/c', rw: false }] }), c('app-cron-1', { state: 'exited', mounts: [{ type: 'volume', name: 'app_data', source: '/v', destination: '/d', rw: true }] })],
    items: [it_('app', 'postgres', 'main-db/app', { container: 'app-main-db-1' }), it_('app', 'postgres', 'logs-db/@globals', { container: 'app-logs-db-1' }), it_('app', 'volume', 'app_pg', { covered: true }), it_('app', 'volume', 'app_data', { volume: 'app_data' }), it_('app', 'bind', '/srv/conf', { path: '/srv/conf' }), it_('app', 'secrets', 'compose')],
  },
  { name: '_', compose: false, configFiles: [], containers: [c('solo-db', { database: 'mysql' }), c('other')], items: [it_('_', 'mysql', 'shop', { container: 'solo-db' })] },
]);

describe('choosing items', () => {
  it('takes everything not covered by a dump by default, or exactly the ids asked for', () => {
    expect(chooseItems(inv, undefined).map((i) => i.id)).not.toContain('app/volume:app_pg');
    expect(chooseItems(inv, undefined)).toHaveLength(6);
    expect(chooseItems(inv, ['app/volume:app_pg', 'app/volume:app_pg']).map((i) => i.id)).toEqual(['app/volume:app_pg']);
    expect(() => chooseItems(inv, ['app/volume:nope'])).toThrow(/nas has no item "app\/volume:nope"/);
  });

  it('strips the service prefix only when a stack runs two servers of a kind', () => {
    const items = inv.stacks.flatMap((s) => s.items);
    expect(databaseName(items[0] as Item, inv)).toBe('app');
    expect(databaseName(items[1] as Item, inv)).toBe('@globals');
    expect(databaseName(items[6] as Item, inv)).toBe('shop');
  });

  it('knows which containers use an item, never the database server itself or a whole standalone group', () => {
    const items = inv.stacks.flatMap((s) => s.items);
    expect(containersUsing(items[0] as Item, inv)).toEqual(['app-logs-db-1', 'app-web-1', 'app-cron-1']);
    expect(containersUsing(items[3] as Item, inv)).toEqual(['app-cron-1']);
    expect(runningOnly(containersUsing(items[3] as Item, inv), inv)).toEqual([]);
    expect(containersUsing(items[4] as Item, inv)).toEqual(['app-web-1']);
    expect(containersUsing(items[5] as Item, inv)).toEqual([]);
    expect(containersUsing(items[6] as Item, inv)).toEqual([]);
  });
});

const summary = (over: Partial<BackupSummary>): BackupSummary => ({ jobId: 'j', host: 'nas', status: 'succeeded', items: [], warnings: [], startedAt: '', finishedAt: '', seconds: 3.2, ...over });

describe('CLI output of a run', () => {
  it('draws a bar with bytes, rate and ETA, cut to the terminal', () => {
    const line = progressLine({ jobId: 'j', phase: 'dump', label: 'Dumping', item: 'wiki/postgres:wiki', bytesDone: 512 * 1024, bytesTotal: 1024 * 1024, rate: 1000.7, etaSeconds: 4 }, 200);
    expect(line).toBe('dump      wiki/postgres:wiki  [##########..........] 512 KiB / ~1.0 MiB  1001 B/s  ETA 4.0 s');
    expect(progressLine({ jobId: 'j', phase: 'connect', label: 'Connecting to nas', bytesDone: 0, rate: 0 }, 200)).toBe('connect   Connecting to nas');
    expect(progressLine({ jobId: 'j', phase: 'dump', label: 'x', item: 'a'.repeat(100), bytesDone: 0, rate: 0 }, 40)).toHaveLength(39);
  });

  it('prints each item, warnings and the verdict; exit 0 only when every item was saved', () => {
    const ok = summary({ snapshot: 'abcdef0123', items: [{ item: 'a', kind: 'postgres', status: 'succeeded', warnings: [], size: 2048, seconds: 1 }], stats: { bytesIn: 2048, bytesNew: 10, storedNew: 10 } });
    expect(summaryText(ok)).toMatch(/^ok +a +2\.0 KiB +1\.0 s\nsnapshot abcdef01 of nas: 1 of 1 items saved, 2\.0 KiB read, 10 B new in the vault in 3\.2 s \(succeeded\)\n$/);
    expect(backupExitCode(ok)).toBe(0);
    const partial = summary({ status: 'partial', snapshot: 'abcdef0123', warnings: ['a: small'], items: [...ok.items, { item: 'b', kind: 'mysql', status: 'failed', warnings: [], message: 'dump failed', hint: 'fix it' }] });
    expect(summaryText(partial)).toContain('FAILED    b');
    expect(summaryText(partial)).toContain('fix it');
    expect(summaryText(partial)).toContain('warning: a: small');
    expect(backupExitCode(partial)).toBe(1);
    expect(backupExitCode(summary({ items: [{ item: 'v', kind: 'volume', status: 'skipped', warnings: [] }] }))).toBe(1);
    expect(backupExitCode(summary({ status: 'cancelled' }))).toBe(130);
    expect(backupExitCode(summary({ status: 'failed', error: 'unreachable' }))).toBe(1);
    expect(outcomeLine({ item: 'b', status: 'failed', warnings: [], message: 'boom' })).toBe('FAILED    b: boom');
  });
});

describe('snapshot details for the Snapshots page', () => {
  it('shows warnings and facts but not the bulky row counts', () => {
    const snap = {
      id: 'f'.repeat(64),
      version: 1,
      time: '2026-01-01T00:00:00.000Z',
      host: 'nas',
      tags: [],
      program: 't',
      items: [{ name: 'a', kind: 'postgres', type: 'stream', size: 10, chunks: 1, meta: [], metaSize: 0, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:02.500Z', info: { format: 'pg_dump -Fc -Z0', rows: '{"t":1,"u":2}', warnings: '["smaller"]' } }],
      stats: { bytesIn: 10, bytesNew: 10, storedNew: 7, blobsNew: 1, blobsSeen: 1 },
    } as Snapshot;
    expect(snapshotDetail(snap).items[0]).toEqual({ name: 'a', kind: 'postgres', type: 'stream', size: 10, seconds: 2.5, warnings: ['smaller'], facts: { format: 'pg_dump -Fc -Z0', tables: '2' } });
    expect(snapshotDetail(snap)).toMatchObject({ short: 'ffffffff', size: 10, added: 7 });
  });
});
