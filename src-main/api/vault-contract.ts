import { z } from 'zod';
import { defineRequests } from './define';

/** Secrets come in with a request and stay in the engine's memory; no output carries them. */
const secret = z.string().min(1).max(4096);
/** Which vault and how to open it; both default in the engine ($LIFEBOAT_VAULT, $LIFEBOAT_PASSPHRASE). */
const access = {
  /** Vault directory; default `$LIFEBOAT_VAULT` or `<home>/vault`. */
  vault: z.string().min(1).max(4096).optional(),
  passphrase: secret.optional(),
};
const count = z.number().int().nonnegative();

/** A snapshot as lists show it. */
export const snapshotSummarySchema = z.object({
  id: z.string(),
  short: z.string(),
  time: z.string(),
  host: z.string(),
  tags: z.array(z.string()),
  label: z.string().optional(),
  size: count,
  /** Bytes this snapshot added to the vault when it was made (after dedup and compression). */
  added: count,
  items: z.array(z.object({ name: z.string(), kind: z.string(), type: z.enum(['stream', 'tree']), size: count, entries: count.optional() })),
});

export type SnapshotSummary = z.infer<typeof snapshotSummarySchema>;

const problemSchema = z.object({ level: z.enum(['error', 'warning']), object: z.string(), file: z.string().optional(), message: z.string() });

const keepSchema = z.number().int().nonnegative().max(100_000).optional();

/** The vault: create, inspect, verify, prune, copy, and the stdin/stdout doors for scripts. */
export const vaultRequests = defineRequests({
  vaultInit: {
    summary: 'Create a new encrypted vault',
    input: z.object({ ...access, passphrase: secret }).strict(),
    output: z.object({ path: z.string(), id: z.string(), version: count, kdf: z.object({ name: z.literal('scrypt'), N: count, r: count, p: count }) }),
  },
  vaultInfo: {
    summary: 'Where the vault is, what it holds, who holds locks',
    input: z.object(access).strict(),
    output: z.object({
      path: z.string(),
      id: z.string(),
      version: count,
      created: z.string(),
      catalog: z.string(),
      snapshots: count,
      packs: count,
      indexFiles: count,
      blobs: count,
      storedBytes: count,
      keys: count,
      locks: z.array(z.object({ id: z.string(), operation: z.string(), exclusive: z.boolean(), host: z.string(), pid: count, stale: z.boolean() })),
    }),
  },
  vaultPasswd: {
    summary: 'Change the vault passphrase (no data is re-encrypted)',
    input: z.object({ ...access, newPassphrase: secret }).strict(),
    output: z.object({ keyId: z.string() }),
  },
  vaultSnapshots: {
    summary: 'List snapshots (from the catalog, reconciled with the vault)',
    input: z.object(access).strict(),
    output: z.object({ snapshots: z.array(snapshotSummarySchema) }),
  },
  vaultCheck: {
    summary: 'Verify the vault structure; with readData, decrypt and re-hash every blob',
    long: true,
    input: z.object({ ...access, readData: z.boolean().default(false) }).strict(),
    output: z.object({
      ok: z.boolean(),
      readData: z.boolean(),
      problems: z.array(problemSchema),
      stats: z.object({ snapshots: count, indexFiles: count, packs: count, blobs: count, bytesRead: count }),
    }),
  },
  vaultPrune: {
    summary: 'Forget snapshots outside the retention policy and free their space',
    long: true,
    input: z
      .object({ ...access, keepLast: keepSchema, keepHourly: keepSchema, keepDaily: keepSchema, keepWeekly: keepSchema, keepMonthly: keepSchema, keepYearly: keepSchema, dryRun: z.boolean().default(false) })
      .strict(),
    output: z.object({
      dryRun: z.boolean(),
      decisions: z.array(z.object({ id: z.string(), time: z.string(), group: z.string(), keep: z.boolean(), reasons: z.array(z.string()) })),
      removedSnapshots: z.array(z.string()),
      packs: z.object({ total: count, deleted: count, repacked: count, kept: count }),
      bytes: z.object({ before: count, freed: count, repacked: count }),
    }),
  },
  vaultCopy: {
    summary: 'Copy the vault to a second place, transferring only what is missing',
    long: true,
    input: z.object({ ...access, to: z.string().min(1).max(4096) }).strict(),
    output: z.object({
      target: z.string(),
      created: z.boolean(),
      copied: z.object({ packs: count, indexFiles: count, snapshots: count, keys: count }),
      skipped: count,
      bytes: count,
    }),
  },
  vaultCatalogRebuild: {
    summary: 'Rebuild the snapshot catalog from the vault',
    input: z.object(access).strict(),
    output: z.object({ before: count, after: count }),
  },
  vaultBackupStdin: {
    summary: 'Store standard input as a one-item snapshot (CLI door only)',
    long: true,
    input: z
      .object({
        ...access,
        name: z.string().min(1).max(500),
        kind: z.string().min(1).max(100).default('stdin'),
        host: z.string().min(1).max(255).optional(),
        tags: z.array(z.string().min(1).max(100)).max(50).default([]),
      })
      .strict(),
    output: z.object({ snapshot: snapshotSummarySchema, bytesIn: count, bytesNew: count, storedNew: count, seconds: z.number().nonnegative() }),
  },
  vaultCat: {
    summary: 'Write a stored item (or one file of a tree item) to standard output (CLI door only)',
    long: true,
    input: z
      .object({
        ...access,
        snapshot: z.string().min(1).max(100),
        item: z.string().min(1).max(5000),
        /** One file inside a tree item (as "lifeboat ls" prints it); without it ITEM is a stream or TREE-ITEM/path. */
        path: z.string().min(1).max(4096).optional(),
      })
      .strict(),
    output: z.object({ bytes: count, seconds: z.number().nonnegative() }),
  },
});
