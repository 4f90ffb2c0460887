import { type EventName, type RequestName, isEventName } from '../../src-main/api/contract';
import { fromErrorPayload } from '../../src-main/api/errors';
import { type ApiTransport, type LifeboatApi, buildNamedApi } from '../../src-main/api/named-api';
import { serverFrameSchema } from '../../src-main/api/wire';

const tokenProtocolPrefix = 'lifeboat-token.';

/** Reads the bridge token from `#token=…` (fragments never reach a server or a log). */
export function tokenFromHash(hash: string): string | undefined {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(hash);
  return match?.[1];
}

/** The API over the loopback bridge's WebSocket, for a renderer opened in a normal browser. */
export function connectBridge(location: Location, token: string): LifeboatApi {
  const socketUrl = `ws://${location.host}/api`;
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const ws = new WebSocket(socketUrl, [`${tokenProtocolPrefix}${token}`]);
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error('cannot reach the Lifeboat engine (is `lifeboat serve` still running?)')));
  });
  ws.addEventListener('close', () => {
    for (const w of waiting.values()) w.reject(new Error('connection to the Lifeboat engine was lost'));
    waiting.clear();
  });
  ws.addEventListener('message', (message) => {
    const parsed = serverFrameSchema.safeParse(JSON.parse(String(message.data)));
    if (!parsed.success) return;
    const frame = parsed.data;
    if (frame.kind === 'event') {
      if (isEventName(frame.event)) for (const l of listeners.get(frame.event) ?? []) l(frame.payload);
      return;
    }
    const w = waiting.get(frame.id);
    if (!w) return;
    waiting.delete(frame.id);
    if (frame.kind === 'result') w.resolve(frame.output);
    else w.reject(fromErrorPayload(frame.error));
  });
  const transport: ApiTransport = {
    async request(method: RequestName, input: unknown) {
      await opened;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ kind: 'request', id, method, input }));
      });
    },
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  };
  return buildNamedApi(transport);
}
