import { z } from 'zod';

/**
 * Error codes every door understands. The CLI maps them to exit codes, the renderer to
 * messages; adding a code here is the only way to add a new kind of failure.
 */
export const errorCodes = [
  'bad-input',
  'not-found',
  'already-exists',
  'conflict',
  'auth-failed',
  'host-key-unknown',
  'host-key-changed',
  'unreachable',
  'timeout',
  'cancelled',
  'wrong-passphrase',
  'vault-locked',
  'vault-format',
  'corrupt',
  'disk-full',
  'remote-failed',
  'unsupported',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** The wire shape of a failure: what went wrong and what the user should do next. */
export const errorPayloadSchema = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  hint: z.string().optional(),
});

export type ErrorPayload = z.infer<typeof errorPayloadSchema>;

/**
 * The only error type the engine lets out on purpose. `message` says what happened, `hint`
 * says what to do next; both are safe to show (never contain secrets).
 */
export class LifeboatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LifeboatError';
  }

  toPayload(): ErrorPayload {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

/** Turns anything thrown into a payload without leaking stack traces or internals to a UI. */
export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof LifeboatError) return err.toPayload();
  if (err instanceof z.ZodError) {
    const first = err.issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
    return { code: 'bad-input', message: `invalid request${where}: ${first?.message ?? 'bad input'}` };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    code: 'internal',
    message,
    hint: 'this is a bug in Lifeboat; the log has details',
  };
}

/** Rebuilds an error on the calling side of a door from its payload. */
export function fromErrorPayload(payload: ErrorPayload): LifeboatError {
  return new LifeboatError(payload.code, payload.message, payload.hint);
}
