import { contextBridge, ipcRenderer } from 'electron';
import type { EventName, RequestName } from '../src-main/api/contract';
import { fromErrorPayload, type ErrorPayload } from '../src-main/api/errors';
import { buildNamedApi } from '../src-main/api/named-api';
import { eventChannel, requestChannel } from '../src-main/api/ipc-channels';

type Reply = { ok: true; output: unknown } | { ok: false; error: ErrorPayload };

/**
 * Exposes one named function per contract request as `window.lifeboat` (never a generic
 * invoke): the renderer can call what the contract lists and nothing else.
 */
const api = buildNamedApi({
  async request(method: RequestName, input: unknown) {
    const reply = (await ipcRenderer.invoke(requestChannel(method), input)) as Reply;
    if (reply.ok) return reply.output;
    throw fromErrorPayload(reply.error);
  },
  subscribe(event: EventName, listener: (payload: unknown) => void) {
    const wrapped = (_e: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(eventChannel(event), wrapped);
    return () => ipcRenderer.off(eventChannel(event), wrapped);
  },
});

contextBridge.exposeInMainWorld('lifeboat', api);
