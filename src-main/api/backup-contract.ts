import { z } from 'zod';
import { defineRequests } from './define';
import { itemOutcomeSchema, jobStateSchema } from './jobs-contract';
import { jobLogSchema } from './progress';
import { snapshotSummarySchema } from './vault-contract';

const secret = z.string().max(4096);
const itemId = z.string().min(1).max(1000);
const count = z.number().int().nonnegative();

/** How one item of a run ended, with what the summary and the Snapshots page show. */
export const backupItemResultSchema = itemOutcomeSchema.extend({
  kind: z.string(),
  /** Bytes stored for the item (the dump's size, the tree's file bytes). */
  size: count.optional(),
  /** Bytes that crossed the wire. */
  transferred: count.optional(),
  seconds: z.number().nonnegative().optional(),
  /** The error's next step, when it failed. */
  hint: z.string().optional(),
});

export type BackupItemResult = z.infer<typeof backupItemResultSchema>;

/** The end of a backup run: the snapshot it made (if any) and every item's outcome. */
export const backupSummarySchema = z.object({
  jobId: z.string(),
  host: z.string(),
  status: jobStateSchema.shape.status,
  /** Set when at least one item succeeded and the snapshot was committed. */
  snapshot: z.string().optional(),
  items: z.array(backupItemResultSchema),
  warnings: z.array(z.string()),
  /** The run-level failure (connect, discovery, vault), when there was one. */
  error: z.string().optional(),
  stats: z.object({ bytesIn: count, bytesNew: count, storedNew: count }).optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  seconds: z.number().nonnegative(),
});

export type BackupSummary = z.infer<typeof backupSummarySchema>;

/** A snapshot with what the Snapshots page shows per item (sizes, warnings, dump facts). */
export const snapshotDetailSchema = snapshotSummarySchema.extend({
  items: z.array(
    snapshotSummarySchema.shape.items.element.extend({
      seconds: z.number().nonnegative(),
      warnings: z.array(z.string()),
      /** Non-secret facts recorded by the source: format, tool, container, tables. */
      facts: z.record(z.string(), z.string()),
    }),
  ),
});

export type SnapshotDetail = z.infer<typeof snapshotDetailSchema>;

/** A job as the catalog remembers it after the engine that ran it is gone. */
export const jobRecordSchema = jobStateSchema.extend({ logLines: count });

/** Backups of a host: the run, its result, the snapshots it made and the job history. */
export const backupRequests = defineRequests({
  backup: {
    summary: 'Back up items of a host into the vault (one snapshot per run)',
    long: true,
    input: z
      .object({
        host: z.string().max(64),
        /** Item ids from discovery; default: every item that is not covered by a dump. */
        items: z.array(itemId).max(10_000).optional(),
        /** Stop the containers that use an item while it is copied (all chosen items). */
        stopContainers: z.boolean().optional().default(false),
        /** The same for some items only. */
        stopContainersFor: z.array(itemId).max(10_000).optional().default([]),
        tags: z.array(z.string().min(1).max(100)).max(20).optional().default([]),
        label: z.string().max(500).optional(),
        /** Wait for the end and return the summary (CLI); false returns the job id at once (UI). */
        wait: z.boolean().optional().default(true),
        /** Vault directory and passphrase; default `$LIFEBOAT_VAULT` / `$LIFEBOAT_PASSPHRASE`. */
        vault: z.string().min(1).max(4096).optional(),
        vaultPassphrase: secret.min(1).optional(),
        // Host secrets, as discovery takes them.
        acceptNewHostKey: z.boolean().optional().default(false),
        fingerprints: z.array(z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/)).max(16).optional().default([]),
        password: secret.optional(),
        passphrase: secret.optional(),
      })
      .strict(),
    output: z.object({ jobId: z.string(), summary: backupSummarySchema.optional() }),
  },
  backupResult: {
    summary: 'Wait for a backup job and return its summary',
    long: true,
    input: z.object({ jobId: z.string().min(1).max(100) }).strict(),
    output: backupSummarySchema,
  },
  backupSnapshots: {
    summary: 'Snapshots with per-item sizes, warnings and dump facts',
    input: z
      .object({
        host: z.string().max(64).optional(),
        vault: z.string().min(1).max(4096).optional(),
        vaultPassphrase: secret.min(1).optional(),
      })
      .strict()
      .optional()
      .default({}),
    output: z.object({ snapshots: z.array(snapshotDetailSchema) }),
  },
  jobHistory: {
    summary: 'Jobs recorded in the catalog (newest first), with their items',
    input: z.object({ limit: z.number().int().min(1).max(1000).optional().default(50) }).strict().optional().default({ limit: 50 }),
    output: z.object({ jobs: z.array(jobRecordSchema) }),
  },
  jobLogs: {
    summary: 'Log lines of one job, from the catalog',
    input: z.object({ id: z.string().min(1).max(100) }).strict(),
    output: z.object({ logs: z.array(jobLogSchema) }),
  },
});
