import { sshCryptoKind } from '../hosts/ssh-crypto';
import type { HandlerTable } from './handlers';
import { packageVersion } from './paths';

/** Settings of the running engine that core requests report. */
export interface CoreInfo {
  readonly door: 'cli' | 'bridge' | 'electron';
  readonly home: string;
}

/** Identity and liveness handlers. */
export function coreHandlers(info: CoreInfo): HandlerTable<'version' | 'ping'> {
  return {
    version: async () => ({
      name: 'lifeboat' as const,
      version: packageVersion(),
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      door: info.door,
      home: info.home,
      sshCrypto: sshCryptoKind(),
    }),
    ping: async (input) => ({
      pong: true as const,
      ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
      at: new Date().toISOString(),
    }),
  };
}
