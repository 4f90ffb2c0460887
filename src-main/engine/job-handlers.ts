import type { JobRunner } from '../jobs/job-runner';
import type { HandlerTable } from './handlers';

/** Job list and cancel, served from the engine's single job runner. */
export function jobHandlers(jobs: JobRunner): HandlerTable<'jobList' | 'jobCancel'> {
  return {
    jobList: async () => ({ jobs: jobs.list() }),
    jobCancel: async ({ id }) => ({ cancelled: jobs.cancel(id) }),
  };
}
