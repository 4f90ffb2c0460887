import type { BackupSummary } from '../../../src-main/api/backup-contract';
import type { Vault } from '../../../src-main/vault/vault';
import { type dbLab, passphrase } from '../restore/db-helpers';

/** The lab environment of the restore tests: a home, a vault and an engine with host "lab". */
export type BackupLab = Awaited<ReturnType<typeof dbLab>>;

/** Runs `backup` through the engine API (the CLI's and the UI's door) and waits for the summary. */
export async function backup(lab: BackupLab, items: string[], extra: Record<string, unknown> = {}, signal?: AbortSignal): Promise<BackupSummary> {
  const out = await lab.engine.call('backup', { host: 'lab', items, vault: lab.vaultDir, vaultPassphrase: passphrase, wait: true, ...extra }, signal ? { signal } : {});
  if (!out.summary) throw new Error('backup returned no summary');
  return out.summary;
}

/** The bytes of a stream item of a snapshot. */
export async function storedBytes(vault: Vault, snapshotId: string, item: string): Promise<Buffer> {
  const snapshot = await vault.snapshot(snapshotId);
  const parts: Buffer[] = [];
  for await (const chunk of vault.readItem(snapshot, item)) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Item status by id, for compact assertions. */
export function statuses(summary: BackupSummary): Record<string, string> {
  return Object.fromEntries(summary.items.map((i) => [i.item, i.status]));
}

/** Row counts recorded on a snapshot item, with PostgreSQL's `public.` prefix dropped (as lab:info names tables). */
export function recordedRows(info: Record<string, string>): Record<string, number> {
  const rows = JSON.parse(info.rows ?? '{}') as Record<string, number>;
  return Object.fromEntries(Object.entries(rows).map(([t, n]) => [t.replace(/^public\./, ''), n]));
}
