import { drillReportSchema } from '../api/restore-contract';
import { type RestoreServices, drillHistory, runDrill, runRestore } from '../restore/restore-runner';
import type { HandlerTable } from './handlers';

/** Restore, drill and drill history; the long work runs as jobs in the target host's lane. */
export function restoreHandlers(services: RestoreServices): HandlerTable<'restore' | 'drill' | 'drillHistory'> {
  return {
    restore: async (input, ctx) => {
      const out = await runRestore(services, input, ctx.signal);
      return {
        jobId: out.jobId,
        snapshot: out.snapshot.id,
        item: out.item.name,
        kind: out.item.kind,
        host: out.host,
        mode: out.mode,
        dryRun: input.dryRun,
        ...(out.preview ? { preview: out.preview } : {}),
        ...(out.report ? { report: out.report } : {}),
        seconds: out.seconds,
      };
    },
    drill: (input, ctx) => runDrill(services, input, ctx.signal),
    drillHistory: async (input) => ({ reports: (await drillHistory(services, input)).map((r) => drillReportSchema.parse(r)) }),
  };
}
