import { describe, expect, it } from 'vitest';
import { latestItem } from '../../../src-main/backup/previous-item';
import type { Snapshot, SnapshotItem } from '../../../src-main/vault/snapshots';

function item(name: string, size: number): SnapshotItem {
  return { name, kind: 'postgres', type: 'stream', size, chunks: 1, meta: [], metaSize: 0, startedAt: '', finishedAt: '', info: {} };
}

function snap(id: string, time: string, host: string, items: SnapshotItem[]): Snapshot {
  return { id, version: 1, time, host, tags: [], program: 'test', items, stats: { bytesIn: 0, bytesNew: 0, storedNew: 0, blobsNew: 0, blobsSeen: 0 } };
}

describe('latestItem', () => {
  const list = [
    snap('b', '2026-01-02T00:00:00.000Z', 'nas', [item('wiki/postgres:wiki', 200)]),
    snap('a', '2026-01-01T00:00:00.000Z', 'nas', [item('wiki/postgres:wiki', 100), item('shop/postgres:chinook', 5)]),
    snap('c', '2026-01-03T00:00:00.000Z', 'other', [item('wiki/postgres:wiki', 999)]),
    snap('d', '2026-01-04T00:00:00.000Z', 'nas', [item('photos/mysql:photos', 7)]),
  ];

  it('finds the newest snapshot of the same host that holds the item', () => {
    expect(latestItem(list, 'nas', 'wiki/postgres:wiki')?.item.size).toBe(200);
    expect(latestItem(list, 'nas', 'shop/postgres:chinook')?.snapshot.id).toBe('a');
  });

  it('ignores other hosts and answers undefined when the item was never saved', () => {
    expect(latestItem(list, 'other', 'shop/postgres:chinook')).toBeUndefined();
    expect(latestItem(list, 'nas', 'notes/sqlite:x')).toBeUndefined();
    expect(latestItem([], 'nas', 'wiki/postgres:wiki')).toBeUndefined();
  });

  it('breaks time ties by id so the answer does not depend on list order', () => {
    const tie = [snap('e', '2026-01-05T00:00:00.000Z', 'nas', [item('x', 1)]), snap('f', '2026-01-05T00:00:00.000Z', 'nas', [item('x', 2)])];
    expect(latestItem(tie, 'nas', 'x')?.snapshot.id).toBe('f');
    expect(latestItem([...tie].reverse(), 'nas', 'x')?.snapshot.id).toBe('f');
  });
});
