import type { EventName, RequestName } from './contract';

/** IPC channel of a request; one channel per request so main registers exactly the contract. */
export function requestChannel(method: RequestName): string {
  return `lifeboat:request:${method}`;
}

/** IPC channel on which the main process forwards an engine event to the window. */
export function eventChannel(event: EventName): string {
  return `lifeboat:event:${event}`;
}
