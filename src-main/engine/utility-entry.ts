import { toErrorPayload } from '../api/errors';
import { clientFrameSchema, type ServerFrame } from '../api/wire';
import { createEngine } from './engine';

/** The port Electron gives a utility process (typed here so this file never imports electron). */
interface ParentPort {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/**
 * Entry of the engine inside Electron's utility process: chunking and hashing run here, never
 * on the window's main thread. Speaks the same frames as the bridge socket.
 */
export function serveParentPort(port: ParentPort, home: string | undefined): void {
  const engine = createEngine({ door: 'electron', ...(home ? { home } : {}) });
  const pending = new Map<number, AbortController>();
  const send = (frame: ServerFrame) => port.postMessage(frame);
  engine.onEvent((event, payload) => send({ kind: 'event', event, payload }));
  port.on('message', ({ data }) => {
    const parsed = clientFrameSchema.safeParse(data);
    if (!parsed.success) return;
    const frame = parsed.data;
    if (frame.kind === 'cancel') {
      pending.get(frame.id)?.abort();
      return;
    }
    const controller = new AbortController();
    pending.set(frame.id, controller);
    engine
      .call(frame.method, frame.input, { signal: controller.signal })
      .then((output) => send({ kind: 'result', id: frame.id, output }))
      .catch((err: unknown) => send({ kind: 'error', id: frame.id, error: toErrorPayload(err) }))
      .finally(() => pending.delete(frame.id));
  });
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (parentPort) serveParentPort(parentPort, process.env.LIFEBOAT_HOME);
