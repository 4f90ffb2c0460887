import type { EventName, EventPayload, ParsedInput, RequestName, RequestOutput } from '../api/contract';

/** What a handler gets besides its input: cancellation and a way to report progress. */
export interface CallContext {
  readonly signal: AbortSignal;
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
}

/** A request's implementation; input is already validated. */
export type Handler<N extends RequestName> = (input: ParsedInput<N>, ctx: CallContext) => Promise<RequestOutput<N>>;

/** A (partial) table of handlers, as each domain contributes them. */
export type HandlerTable<N extends RequestName = RequestName> = { [K in N]: Handler<K> };
