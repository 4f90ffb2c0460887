import { LifeboatError } from '../api/errors';

/** How many snapshots to keep per rule (docs/vault-format.md, Retention and prune). */
export interface RetentionPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
}

/** The fields of a snapshot retention looks at. */
export interface RetentionSubject {
  readonly id: string;
  readonly time: string;
  readonly host: string;
  readonly tags: readonly string[];
}

/** The verdict for one snapshot, with the rules that keep it. */
export interface RetentionDecision {
  readonly id: string;
  readonly time: string;
  readonly group: string;
  readonly keep: boolean;
  readonly reasons: string[];
}

type Rule = Exclude<keyof RetentionPolicy, 'last'>;
const RULES: readonly Rule[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO-8601 week-numbering year and week of a date (local or UTC fields). */
function isoWeek(y: number, m: number, d: number): string {
  const date = new Date(Date.UTC(y, m, d));
  const day = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${pad(week)}`;
}

/** The bucket a snapshot falls in for a rule, e.g. `2026-11-21` for daily. */
export function bucketOf(rule: Rule, time: string, utc: boolean): string {
  const t = new Date(time);
  const y = utc ? t.getUTCFullYear() : t.getFullYear();
  const mo = utc ? t.getUTCMonth() : t.getMonth();
  const d = utc ? t.getUTCDate() : t.getDate();
  const h = utc ? t.getUTCHours() : t.getHours();
  switch (rule) {
    case 'hourly':
      return `${y}-${pad(mo + 1)}-${pad(d)}T${pad(h)}`;
    case 'daily':
      return `${y}-${pad(mo + 1)}-${pad(d)}`;
    case 'weekly':
      return isoWeek(y, mo, d);
    case 'monthly':
      return `${y}-${pad(mo + 1)}`;
    case 'yearly':
      return `${y}`;
  }
}

/** True when the policy keeps anything at all. */
export function hasRule(policy: RetentionPolicy): boolean {
  return Object.values(policy).some((n) => typeof n === 'number' && n > 0);
}

/**
 * Decides which snapshots a policy keeps. Pure: same input, same answer; nothing is deleted
 * here, so `prune --dry-run` can show exactly this. Snapshots are grouped by host and tags and
 * handled newest first; `last` keeps the N newest, every other rule keeps the newest snapshot
 * of each of its N most recent buckets (hours, days, ISO weeks, months, years) that have one.
 */
export function applyRetention(snapshots: readonly RetentionSubject[], policy: RetentionPolicy, options: { utc?: boolean } = {}): RetentionDecision[] {
  for (const [rule, n] of Object.entries(policy)) {
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new LifeboatError('bad-input', `--keep-${rule} must be a whole number, got ${String(n)}`);
  }
  if (!hasRule(policy)) {
    throw new LifeboatError('bad-input', 'no keep rule given: prune would delete every snapshot', 'say what to keep, e.g. --keep-daily 7 --keep-weekly 4 --keep-monthly 12');
  }
  const utc = options.utc ?? false;
  const groups = new Map<string, RetentionSubject[]>();
  for (const s of snapshots) {
    const key = `${s.host}|${[...s.tags].sort().join(',')}`;
    const list = groups.get(key) ?? [];
    list.push(s);
    groups.set(key, list);
  }
  const out: RetentionDecision[] = [];
  for (const [group, list] of groups) {
    const sorted = [...list].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.id < b.id ? 1 : -1));
    const reasons = sorted.map(() => [] as string[]);
    sorted.forEach((_, i) => {
      if (policy.last !== undefined && i < policy.last) (reasons[i] as string[]).push('last');
    });
    for (const rule of RULES) {
      const n = policy[rule] ?? 0;
      let kept = 0;
      let lastBucket: string | undefined;
      sorted.forEach((s, i) => {
        if (kept >= n) return;
        const bucket = bucketOf(rule, s.time, utc);
        if (bucket === lastBucket) return;
        lastBucket = bucket;
        kept++;
        (reasons[i] as string[]).push(`${rule} ${bucket}`);
      });
    }
    sorted.forEach((s, i) => {
      const r = reasons[i] as string[];
      out.push({ id: s.id, time: s.time, group: group.replace('|', ' '), keep: r.length > 0, reasons: r });
    });
  }
  return out;
}
