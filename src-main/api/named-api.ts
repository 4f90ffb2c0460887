import {
  type EventName,
  type EventPayload,
  type RequestInput,
  type RequestName,
  type RequestOutput,
  eventNames,
  requestNames,
  subscriberName,
} from './contract';

/**
 * The API as the renderer sees it: one named function per request and one `onXxx` per event.
 * The preload (Electron) and the bridge client (browser) both build it from the contract, so
 * the renderer never gets a generic `invoke`.
 */
export type LifeboatApi = {
  [N in RequestName]: (input?: RequestInput<N>) => Promise<RequestOutput<N>>;
} & {
  [E in EventName as `on${Capitalize<E>}`]: (listener: (payload: EventPayload<E>) => void) => () => void;
};

/** How a door moves requests and events; the only thing that differs between doors. */
export interface ApiTransport {
  request(method: RequestName, input: unknown): Promise<unknown>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

/** Builds the named-function API over a transport. */
export function buildNamedApi(transport: ApiTransport): LifeboatApi {
  const api: Record<string, unknown> = {};
  for (const method of requestNames) {
    api[method] = (input?: unknown) => transport.request(method, input ?? {});
  }
  for (const event of eventNames) {
    api[subscriberName(event)] = (listener: (payload: unknown) => void) => transport.subscribe(event, listener);
  }
  return Object.freeze(api) as LifeboatApi;
}
