import type { HostService } from '../hosts/host-service';
import type { HandlerTable } from './handlers';

/** Host requests, served by the host service. */
export function hostsHandlers(hosts: HostService): HandlerTable<'hostAdd' | 'hostKeyScan' | 'hostList' | 'hostRemove' | 'hostImportSshConfig'> {
  return {
    hostAdd: async (input, ctx) => hosts.add(input.name, input.url, input, ctx.signal),
    hostKeyScan: async (input, ctx) => ({ hops: await hosts.scanKeys(input.url, input, ctx.signal) }),
    hostList: async () => ({ hosts: hosts.list() }),
    hostRemove: async (input) => hosts.remove(input.name),
    hostImportSshConfig: async (input) => hosts.importSshConfig(input.file),
  };
}
