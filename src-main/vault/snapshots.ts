import { z } from 'zod';
import { LifeboatError } from '../api/errors';
import type { MasterKeys } from './crypto';
import { Dirs, SealedKind, corrupt, isHexId, sealedPath } from './format';
import { readSealed, writeSealed } from './sealed';
import type { VaultStorage } from './storage';

/** One entry of a tree item (docs/vault-format.md, Snapshots). */
export const treeEntrySchema = z.object({
  path: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => !p.startsWith('/') && !p.split('/').some((part) => part === '..' || part === '') && !p.includes('\0'), 'paths are relative, without "..", empty parts or NUL'),
  type: z.enum(['file', 'dir', 'symlink', 'other']),
  mode: z.number().int().nonnegative(),
  uid: z.number().int().nonnegative(),
  gid: z.number().int().nonnegative(),
  mtime: z.number().nonnegative(),
  size: z.number().int().nonnegative(),
  link: z.string().max(4096).optional(),
  chunks: z.array(z.string().refine(isHexId)).optional(),
  /** Exact mtime in nanoseconds (decimal) when the source knows it, so the next quick check compares like with like. */
  mtimeNs: z.string().regex(/^\d{1,30}$/).optional(),
  /** SHA-256 of each `size`-byte block of a large file (base64, concatenated): the next pull's block delta base. */
  blocks: z.object({ size: z.number().int().positive(), sha256: z.string().max(64 * 1024 * 1024) }).optional(),
});

/** A file, directory, link or other node in a tree item. */
export type TreeEntry = z.infer<typeof treeEntrySchema>;

/** One item of a snapshot: a stream (a dump) or a tree (files). */
export const itemSchema = z.object({
  name: z.string().min(1).max(500),
  kind: z.string().min(1).max(100),
  type: z.enum(['stream', 'tree']),
  size: z.number().int().nonnegative(),
  chunks: z.number().int().nonnegative(),
  entries: z.number().int().nonnegative().optional(),
  meta: z.array(z.string().refine(isHexId)),
  metaSize: z.number().int().nonnegative(),
  startedAt: z.string(),
  finishedAt: z.string(),
  info: z.record(z.string(), z.string()).default({}),
});

/** An item as stored in a manifest. */
export type SnapshotItem = z.infer<typeof itemSchema>;

/** The decrypted content of `snapshots/<id>`. */
export const manifestSchema = z.object({
  version: z.literal(1),
  time: z.string(),
  host: z.string(),
  tags: z.array(z.string()),
  label: z.string().optional(),
  program: z.string(),
  items: z.array(itemSchema),
  stats: z.object({
    bytesIn: z.number().nonnegative(),
    bytesNew: z.number().nonnegative(),
    storedNew: z.number().nonnegative(),
    blobsNew: z.number().nonnegative(),
    blobsSeen: z.number().nonnegative(),
  }),
});

/** A snapshot manifest. */
export type Manifest = z.infer<typeof manifestSchema>;

/** A manifest with the id it is stored under. */
export interface Snapshot extends Manifest {
  readonly id: string;
}

/** Ids of every snapshot file. */
export async function listSnapshotIds(storage: VaultStorage): Promise<string[]> {
  return (await storage.list(Dirs.snapshots)).filter(isHexId).sort();
}

/** Writes a manifest durably (the last step of a backup); returns the snapshot id. */
export function writeSnapshot(storage: VaultStorage, keys: MasterKeys, manifest: Manifest): Promise<string> {
  return writeSealed(storage, keys, SealedKind.snapshot, Buffer.from(JSON.stringify(manifest)));
}

/** Reads and validates one manifest. */
export async function readSnapshot(storage: VaultStorage, keys: MasterKeys, id: string): Promise<Snapshot> {
  const bytes = await readSealed(storage, keys, SealedKind.snapshot, id);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw corrupt('snapshot', sealedPath(SealedKind.snapshot, id), 'not valid JSON');
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw corrupt('snapshot', sealedPath(SealedKind.snapshot, id), `unexpected content (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return { id, ...parsed.data };
}

/** Sorts snapshots oldest first (ties by id, so the order is total). */
export function byTime<T extends { time: string; id: string }>(a: T, b: T): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Resolves what a user typed — a full id, a unique prefix (at least 4 digits) or `latest` —
 * against the list of snapshots (each with id and time).
 */
export function resolveSnapshotRef<T extends { id: string; time: string }>(snapshots: readonly T[], ref: string): T {
  if (ref === 'latest') {
    const latest = [...snapshots].sort(byTime).at(-1);
    if (!latest) throw new LifeboatError('not-found', 'the vault has no snapshots yet', 'make one first (for example "lifeboat backup-stdin NAME < file")');
    return latest;
  }
  const wanted = ref.toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(wanted)) throw new LifeboatError('bad-input', `"${ref.slice(0, 80)}" is not a snapshot id`, 'use "latest" or at least 4 hex digits of an id from "lifeboat snapshots"');
  const hits = snapshots.filter((s) => s.id.startsWith(wanted));
  if (hits.length === 0) throw new LifeboatError('not-found', `no snapshot ${wanted}`, 'list them with "lifeboat snapshots"');
  if (hits.length > 1) throw new LifeboatError('bad-input', `snapshot prefix ${wanted} is ambiguous (${hits.length} match)`, 'type more digits of the id');
  return hits[0] as T;
}
