import { z } from 'zod';

/**
 * One request of the engine API. The same spec drives validation at every door (CLI, bridge,
 * Electron IPC) and the generated named functions in the preload, so a request cannot exist at
 * one door and be missing or differently shaped at another.
 */
export interface RequestSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** One line for `--help`, the bridge's request list and docs. */
  readonly summary: string;
  readonly input: I;
  readonly output: O;
  /** Long work: reports progress events and honours cancellation. */
  readonly long?: boolean;
}

/** Keeps literal types of a domain's request table while checking each entry's shape. */
export function defineRequests<T extends Record<string, RequestSpec>>(table: T): T {
  return table;
}

/** Keeps literal types of a domain's event table (event name → payload schema). */
export function defineEvents<T extends Record<string, z.ZodType>>(table: T): T {
  return table;
}

/** Input accepted by requests that take nothing; `undefined` is normalised to `{}`. */
export const noInput = z.object({}).strict().optional().default({});
