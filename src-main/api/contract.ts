import type { z } from 'zod';
import { coreEvents, coreRequests } from './core-contract';
import { jobEvents, jobRequests } from './jobs-contract';
import { sessionRequests } from './session-contract';
import { hostsRequests } from './hosts-contract';
import { discoveryRequests } from './discovery-contract';
import { vaultRequests } from './vault-contract';
import { restoreRequests } from './restore-contract';
import { backupRequests } from './backup-contract';
import { treeRequests } from './tree-contract';

/**
 * The one contract: every request and event of the engine. Domains define their tables in
 * `<domain>-contract.ts` and are merged here; nothing else may add a request.
 */
export const requests = {
  ...coreRequests,
  ...jobRequests,
  ...sessionRequests,
  ...hostsRequests,
  ...discoveryRequests,
  ...vaultRequests,
  ...backupRequests,
  ...restoreRequests,
  ...treeRequests,
};

/** Every event the engine emits, by name. */
export const events = {
  ...coreEvents,
  ...jobEvents,
};

export type Requests = typeof requests;
export type RequestName = keyof Requests;
/** What a caller may pass (before defaults). */
export type RequestInput<N extends RequestName> = z.input<Requests[N]['input']>;
/** What a handler receives (after defaults and validation). */
export type ParsedInput<N extends RequestName> = z.output<Requests[N]['input']>;
export type RequestOutput<N extends RequestName> = z.output<Requests[N]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<N extends EventName> = z.output<Events[N]>;

/** Request names, for generating named functions at the doors (preload, bridge client). */
export const requestNames = Object.keys(requests) as RequestName[];
/** Event names, likewise. */
export const eventNames = Object.keys(events) as EventName[];

/** Narrows untrusted strings (from IPC or a socket) to a known request name. */
export function isRequestName(name: unknown): name is RequestName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(requests, name);
}

/** Narrows untrusted strings to a known event name. */
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

/** `fooBar` → `onFooBar`: the subscription function name generated for an event. */
export function subscriberName(event: EventName): `on${Capitalize<EventName>}` {
  return `on${event.charAt(0).toUpperCase()}${event.slice(1)}` as `on${Capitalize<EventName>}`;
}
