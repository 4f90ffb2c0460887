import { z } from 'zod';
import { errorPayloadSchema } from './errors';

/**
 * Frames exchanged over the bridge socket and the utility-process port. Requests carry an id
 * so responses can come back out of order while long work runs.
 */
export const clientFrameSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('request'), id: z.number().int(), method: z.string(), input: z.unknown() }),
  z.object({ kind: z.literal('cancel'), id: z.number().int() }),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;

export const serverFrameSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('result'), id: z.number().int(), output: z.unknown() }),
  z.object({ kind: z.literal('error'), id: z.number().int(), error: errorPayloadSchema }),
  z.object({ kind: z.literal('event'), event: z.string(), payload: z.unknown() }),
]);

export type ServerFrame = z.infer<typeof serverFrameSchema>;
