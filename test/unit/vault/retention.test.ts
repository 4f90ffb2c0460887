import { describe, expect, it, vi } from 'vitest';
import { applyRetention, bucketOf } from '../../../src-main/vault/retention';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const snap = (id: string, time: string, host = 'nas', tags: string[] = []) => ({ id, time, host, tags });
const kept = (decisions: ReturnType<typeof applyRetention>) => decisions.filter((d) => d.keep).map((d) => d.id).sort();

describe('retention (pure)', () => {
  // One snapshot every 6 hours for 60 days.
  const start = Date.UTC(2026, 0, 1);
  const many = Array.from({ length: 240 }, (_, i) => snap(`s${String(i).padStart(3, '0')}`, new Date(start + i * 6 * 3600_000).toISOString()));

  it('keeps the N newest for keep-last', () => {
    expect(kept(applyRetention(many, { last: 3 }, { utc: true }))).toEqual(['s237', 's238', 's239']);
  });

  it('keeps the newest snapshot of each of the last N days, weeks, months', () => {
    const days = applyRetention(many, { daily: 7 }, { utc: true }).filter((d) => d.keep);
    expect(days).toHaveLength(7);
    expect(days.every((d) => d.time.endsWith('T18:00:00.000Z'))).toBe(true);
    expect(days[0]!.reasons).toEqual(['daily 2026-03-01']);
    const months = applyRetention(many, { monthly: 12 }, { utc: true }).filter((d) => d.keep);
    expect(months.map((d) => d.time.slice(0, 10))).toEqual(['2026-03-01', '2026-02-28', '2026-01-31']);
    const weeks = applyRetention(many, { weekly: 2 }, { utc: true }).filter((d) => d.keep);
    expect(weeks).toHaveLength(2);
  });

  it('unions rules, lists reasons, and is deterministic', () => {
    const a = applyRetention(many, { last: 2, daily: 3, yearly: 1 }, { utc: true });
    expect(kept(a)).toEqual(['s231', 's235', 's238', 's239']);
    expect(a.find((d) => d.id === 's239')!.reasons).toEqual(['last', 'daily 2026-03-01', 'yearly 2026']);
    expect(applyRetention([...many].reverse(), { last: 2, daily: 3, yearly: 1 }, { utc: true })).toEqual(a);
  });

  it('groups by host and tags', () => {
    const mixed = [snap('a1', '2026-01-01T00:00:00Z', 'a'), snap('a2', '2026-01-02T00:00:00Z', 'a'), snap('b1', '2026-01-01T00:00:00Z', 'b'), snap('t1', '2026-01-01T00:00:00Z', 'a', ['x'])];
    expect(kept(applyRetention(mixed, { last: 1 }))).toEqual(['a2', 'b1', 't1']);
  });

  it('refuses a policy that keeps nothing', () => {
    expect(() => applyRetention(many, {})).toThrow(/no keep rule/);
    expect(() => applyRetention(many, { daily: 0 })).toThrow(/no keep rule/);
    expect(() => applyRetention(many, { daily: -1 })).toThrow(/whole number/);
  });

  it('buckets ISO weeks across a year boundary', () => {
    expect(bucketOf('weekly', '2027-01-01T12:00:00Z', true)).toBe('2026-W53');
    expect(bucketOf('weekly', '2026-12-28T12:00:00Z', true)).toBe('2026-W53');
    expect(bucketOf('hourly', '2026-05-04T13:59:00Z', true)).toBe('2026-05-04T13');
  });
});
