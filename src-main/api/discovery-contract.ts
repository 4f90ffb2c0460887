import { z } from 'zod';
import { defineRequests } from './define';
import { probeSchema } from './hosts-contract';

/** Kinds of things Lifeboat can save; an item id is `<stack>/<kind>:<name>`. */
export const itemKinds = ['postgres', 'mysql', 'sqlite', 'volume', 'bind', 'secrets'] as const;
export type ItemKind = (typeof itemKinds)[number];

/** A mount of a container, as discovery reports it. */
export const mountSchema = z.object({
  type: z.enum(['volume', 'bind', 'tmpfs', 'other']),
  name: z.string().optional(),
  source: z.string(),
  destination: z.string(),
  rw: z.boolean(),
});

/** A container: identity, state and shape; env NAMES only, never values. */
export const containerSchema = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  service: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  envNames: z.array(z.string()),
  mounts: z.array(mountSchema),
  database: z.enum(['postgres', 'mysql']).optional(),
});

/** One thing worth saving. */
export const itemSchema = z.object({
  /** `<stack>/<kind>:<name>`, stable across runs. */
  id: z.string(),
  stack: z.string(),
  kind: z.enum(itemKinds),
  name: z.string(),
  /** Container the item is read through (databases, sqlite) or that uses it. */
  container: z.string().optional(),
  /** Volume name (volume, sqlite). */
  volume: z.string().optional(),
  /** Path on the host (volume mountpoint, bind source) or inside the volume (sqlite). */
  path: z.string().optional(),
  /** Files of a secrets item, as host paths. */
  files: z.array(z.string()).optional(),
  sizeBytes: z.number().nonnegative().optional(),
  /** A database's data directory: the dump covers it, so raw copies leave it out by default. */
  covered: z.boolean(),
  coveredBy: z.array(z.string()).optional(),
  /** Always stored encrypted and shown as secret (.env, keys, certificates). */
  secret: z.boolean(),
  notes: z.array(z.string()),
});

/** A compose project (or `_` for containers outside any stack). */
export const stackSchema = z.object({
  name: z.string(),
  compose: z.boolean(),
  workingDir: z.string().optional(),
  configFiles: z.array(z.string()),
  containers: z.array(containerSchema),
  items: z.array(itemSchema),
});

/** Everything worth saving on one host. */
export const inventorySchema = z.object({
  host: z.string(),
  discoveredAt: z.string(),
  durationMs: z.number(),
  docker: z.object({ version: z.string(), apiVersion: z.string(), os: z.string(), arch: z.string() }),
  access: probeSchema.optional(),
  stacks: z.array(stackSchema),
  totals: z.object({ stacks: z.number(), containers: z.number(), items: z.number(), sizeBytes: z.number() }),
  warnings: z.array(z.string()),
});

export type Mount = z.infer<typeof mountSchema>;
export type ContainerInfo = z.infer<typeof containerSchema>;
export type Item = z.infer<typeof itemSchema>;
export type Stack = z.infer<typeof stackSchema>;
export type Inventory = z.infer<typeof inventorySchema>;

/** Discovery: connect to a host and list its stacks, containers and items. */
export const discoveryRequests = defineRequests({
  discover: {
    summary: 'Find the stacks, databases, volumes, bind mounts and secrets of a host',
    long: true,
    input: z
      .object({
        host: z.string().max(64),
        acceptNewHostKey: z.boolean().optional().default(false),
        fingerprints: z.array(z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/)).max(16).optional().default([]),
        password: z.string().max(4096).optional(),
        passphrase: z.string().max(4096).optional(),
        /** Probe again instead of using what was remembered. */
        reprobe: z.boolean().optional().default(false),
      })
      .strict(),
    output: inventorySchema,
  },
});
