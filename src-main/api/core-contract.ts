import { z } from 'zod';
import { defineEvents, defineRequests, noInput } from './define';
import { jobLogSchema, progressSchema } from './progress';

/** Requests every door must answer: identity and liveness. */
export const coreRequests = defineRequests({
  version: {
    summary: 'Engine version and runtime details',
    input: noInput,
    output: z.object({
      name: z.literal('lifeboat'),
      version: z.string(),
      node: z.string(),
      platform: z.string(),
      /** Which door is serving this engine: cli, bridge or electron. */
      door: z.enum(['cli', 'bridge', 'electron']),
      home: z.string(),
      /** ssh2's ciphers: its native binding, or the slower JavaScript fallback. */
      sshCrypto: z.enum(['native', 'javascript']),
    }),
  },
  ping: {
    summary: 'Round-trip check; echoes the nonce',
    input: z.object({ nonce: z.string().max(200).optional() }).strict().optional().default({}),
    output: z.object({ pong: z.literal(true), nonce: z.string().optional(), at: z.string() }),
  },
});

/** Events every door forwards. */
export const coreEvents = defineEvents({
  jobProgress: progressSchema,
  jobLog: jobLogSchema,
});
