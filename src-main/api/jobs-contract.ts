import { z } from 'zod';
import { defineEvents, defineRequests, noInput } from './define';

/** Outcome of one item inside a job (a dump, a volume pull, a restore step). */
export const itemOutcomeSchema = z.object({
  item: z.string(),
  status: z.enum(['succeeded', 'failed', 'skipped', 'cancelled']),
  message: z.string().optional(),
  warnings: z.array(z.string()).default([]),
  bytes: z.number().nonnegative().optional(),
});

export type ItemOutcome = z.infer<typeof itemOutcomeSchema>;

/** A job as the UI mirrors it (after Podman Desktop's task manager: main owns, UI mirrors). */
export const jobStateSchema = z.object({
  id: z.string(),
  kind: z.string(),
  label: z.string(),
  /** Jobs with the same lane run one at a time (one per host); lanes run in parallel. */
  lane: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled']),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  items: z.array(itemOutcomeSchema),
  error: z.string().optional(),
});

export type JobState = z.infer<typeof jobStateSchema>;

/** Requests to see and stop jobs. */
export const jobRequests = defineRequests({
  jobList: {
    summary: 'Jobs queued, running and recently finished',
    input: noInput,
    output: z.object({ jobs: z.array(jobStateSchema) }),
  },
  jobCancel: {
    summary: 'Cancel a queued or running job (remote processes are stopped too)',
    input: z.object({ id: z.string().min(1).max(100) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  },
});

/** Job lifecycle events; progress and log lines are core events. */
export const jobEvents = defineEvents({
  jobState: jobStateSchema,
});
