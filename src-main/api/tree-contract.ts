import { z } from 'zod';
import { defineRequests } from './define';

const count = z.number().int().nonnegative();

/** One entry of a tree item as listings show it. */
export const treeListEntrySchema = z.object({
  path: z.string(),
  type: z.enum(['file', 'dir', 'symlink', 'other']),
  mode: count,
  uid: count,
  gid: count,
  size: count,
  /** Milliseconds since the epoch. */
  mtime: z.number(),
  link: z.string().optional(),
  /** A folder with no entry of its own (only its contents were saved, as for secrets). */
  implicit: z.boolean().optional(),
});

export type TreeListEntry = z.infer<typeof treeListEntrySchema>;

/** Browsing the files of a tree item (a volume, a bind mount, secrets) without restoring it. */
export const treeRequests = defineRequests({
  treeList: {
    summary: 'List the files of a tree item of a snapshot, or of a folder inside it',
    long: true,
    input: z
      .object({
        vault: z.string().min(1).max(4096).optional(),
        passphrase: z.string().min(1).max(4096).optional(),
        snapshot: z.string().min(1).max(100),
        item: z.string().min(1).max(5000),
        /** A folder (its children) or a file inside the item; default: the top. */
        path: z.string().min(1).max(4096).optional(),
        /** Everything below `path`, not just its direct children. */
        recursive: z.boolean().default(false),
        limit: z.number().int().min(1).max(1_000_000).default(10_000),
      })
      .strict(),
    output: z.object({
      snapshot: z.string(),
      item: z.string(),
      path: z.string(),
      entries: z.array(treeListEntrySchema),
      total: count,
      bytes: count,
      truncated: z.boolean(),
    }),
  },
});
