import { z } from 'zod';
import { defineRequests } from './define';

const secret = z.string().min(1).max(4096);
const count = z.number().int().nonnegative();
/** Vault location and passphrase, as in the vault requests (both default in the engine). */
const access = { vault: z.string().min(1).max(4096).optional(), passphrase: secret.optional() };
/** SSH secrets for the target host (kept in the engine's memory only, like `discover`'s). */
const sshSecrets = { sshPassword: secret.optional(), sshKeyPassphrase: secret.optional() };

/** Where a restore goes; every field optional: each kind picks its safe default (a new database, a new volume). */
export const restoreTargetSchema = z
  .object({
    mode: z.enum(['new-database', 'in-place', 'new-volume', 'path', 'local-dir']).optional(),
    /** New database name (databases) or new file name (SQLite). */
    database: z.string().min(1).max(63).optional(),
    volume: z.string().min(1).max(255).optional(),
    path: z.string().min(1).max(4096).optional(),
    localDir: z.string().min(1).max(4096).optional(),
    /** Container to restore into (databases), when not the one the item came from. */
    container: z.string().min(1).max(255).optional(),
    /** Only this file or subtree of a tree item. */
    subtree: z.string().min(1).max(4096).optional(),
  })
  .strict();

export type RestoreTargetInput = z.infer<typeof restoreTargetSchema>;

/** What a restore would do (dry run, and the wizard's confirmation step). */
export const restorePreviewSchema = z.object({
  summary: z.string(),
  creates: z.array(z.string()),
  overwrites: z.array(z.string()),
  deletes: z.array(z.string()),
  details: z.array(z.object({ name: z.string(), snapshot: z.string().optional(), live: z.string().optional(), differs: z.boolean() })),
  warnings: z.array(z.string()),
});

/** What a finished restore did. */
export const restoreReportSchema = z.object({
  summary: z.string(),
  location: z.string(),
  safetyCopy: z.string().optional(),
  warnings: z.array(z.string()),
});

/** One table (or file) compared by a drill. */
export const drillCheckSchema = z.object({
  name: z.string(),
  rowsExpected: count.optional(),
  rows: count.optional(),
  checksumExpected: z.string().optional(),
  checksum: z.string().optional(),
  ok: z.boolean(),
  note: z.string().optional(),
});

/** The record of one drill: a test restore into a scratch place, compared with what the backup recorded. */
export const drillReportSchema = z.object({
  id: z.string(),
  time: z.string(),
  snapshot: z.string(),
  item: z.string(),
  kind: z.string(),
  host: z.string(),
  ok: z.boolean(),
  /** What the restored copy was compared with: numbers recorded at backup, the live source now, or nothing. */
  basis: z.enum(['backup', 'live', 'none']),
  /** The scratch container (or volume) used and removed. */
  scratch: z.string(),
  image: z.string().optional(),
  integrity: z.string().optional(),
  checks: z.array(drillCheckSchema),
  problems: z.array(z.string()),
  notes: z.array(z.string()),
  seconds: z.number().nonnegative(),
});

export type DrillReport = z.infer<typeof drillReportSchema>;
export type DrillCheck = z.infer<typeof drillCheckSchema>;

/** Restore and drills: put an item back (or preview it), and prove a backup restores. */
export const restoreRequests = defineRequests({
  restore: {
    summary: 'Restore one item of a snapshot (default: into a new database or volume); dryRun previews',
    long: true,
    input: z
      .object({
        ...access,
        ...sshSecrets,
        snapshot: z.string().min(1).max(100),
        item: z.string().min(1).max(5000),
        target: restoreTargetSchema.default({}),
        /** Host to restore to; default: the host the snapshot came from. */
        host: z.string().min(1).max(255).optional(),
        dryRun: z.boolean().default(false),
        /** Required to overwrite anything in place (the CLI asks on a terminal). */
        yes: z.boolean().default(false),
      })
      .strict(),
    output: z.object({
      jobId: z.string(),
      snapshot: z.string(),
      item: z.string(),
      kind: z.string(),
      host: z.string(),
      mode: z.string(),
      dryRun: z.boolean(),
      preview: restorePreviewSchema.optional(),
      report: restoreReportSchema.optional(),
      seconds: z.number().nonnegative(),
    }),
  },
  drill: {
    summary: 'Test-restore one item into a scratch container and compare it with the backup',
    long: true,
    input: z.object({ ...access, ...sshSecrets, snapshot: z.string().min(1).max(100), item: z.string().min(1).max(5000), host: z.string().min(1).max(255).optional() }).strict(),
    output: z.object({ jobId: z.string(), report: drillReportSchema }),
  },
  drillHistory: {
    summary: 'Drill reports stored in the catalog, newest first',
    input: z.object({ ...access, item: z.string().min(1).max(5000).optional(), limit: z.number().int().min(1).max(1000).default(50) }).strict(),
    output: z.object({ reports: z.array(drillReportSchema) }),
  },
});
