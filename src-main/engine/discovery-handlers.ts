import { discoverHost } from '../discovery/discover';
import type { HostService } from '../hosts/host-service';
import type { HandlerTable } from './handlers';

const phaseShare = { inspect: 0.1, databases: 0.4, files: 0.5, build: 0.95 } as const;

/** Discovery: open the host, gather, build the inventory; progress goes out as jobProgress. */
export function discoveryHandlers(hosts: HostService): HandlerTable<'discover'> {
  return {
    discover: async (input, ctx) => {
      const jobId = `discover:${input.host}`;
      const report = (phase: string, label: string, done: number) =>
        ctx.emit('jobProgress', { jobId, phase, label, bytesDone: done, bytesTotal: 1, rate: 0 });
      report('connect', `Connecting to ${input.host}`, 0);
      const conn = await hosts.open(input.host, input, ctx.signal);
      try {
        return await discoverHost(conn, { signal: ctx.signal, onPhase: (phase, label) => report(phase, label, phaseShare[phase]) });
      } finally {
        conn.close();
      }
    },
  };
}
