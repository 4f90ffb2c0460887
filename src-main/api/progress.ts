import { z } from 'zod';

/**
 * Progress as data (after GitHub Desktop's models/progress.ts): the engine reports where long
 * work is, the doors decide how to draw it (terminal bar, progress row, JSON lines).
 */
export const progressSchema = z.object({
  jobId: z.string(),
  /** Short machine-readable phase, e.g. `connect`, `dump`, `upload`, `verify`. */
  phase: z.string(),
  /** Human label of the current phase, e.g. "Dumping wiki/postgres:wiki". */
  label: z.string(),
  item: z.string().optional(),
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative().optional(),
  /** Bytes per second, smoothed. */
  rate: z.number().nonnegative(),
  etaSeconds: z.number().nonnegative().optional(),
});

export type Progress = z.infer<typeof progressSchema>;

/** Log line attached to a job; never carries secrets. */
export const jobLogSchema = z.object({
  jobId: z.string(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  at: z.string(),
});

export type JobLog = z.infer<typeof jobLogSchema>;
