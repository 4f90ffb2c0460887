import { utilityProcess, type UtilityProcess } from 'electron';
import { join } from 'node:path';
import { type ErrorPayload, toErrorPayload } from '../api/errors';
import { serverFrameSchema } from '../api/wire';

type Reply = { ok: true; output: unknown } | { ok: false; error: ErrorPayload };

/**
 * Runs the engine in an Electron utility process and relays requests to it, so chunking,
 * hashing and SQLite never block the window.
 */
export class EngineHost {
  private readonly child: UtilityProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();

  constructor(home: string, onEvent: (event: string, payload: unknown) => void) {
    this.child = utilityProcess.fork(join(__dirname, '..', 'engine', 'utility-entry.js'), [], {
      serviceName: 'Lifeboat engine',
      env: { ...process.env, LIFEBOAT_HOME: home },
    });
    this.child.on('message', (data: unknown) => {
      const parsed = serverFrameSchema.safeParse(data);
      if (!parsed.success) return;
      const frame = parsed.data;
      if (frame.kind === 'event') return onEvent(frame.event, frame.payload);
      const resolve = this.waiting.get(frame.id);
      this.waiting.delete(frame.id);
      resolve?.(frame.kind === 'result' ? { ok: true, output: frame.output } : { ok: false, error: frame.error });
    });
    this.child.on('exit', (code) => {
      for (const resolve of this.waiting.values()) {
        resolve({ ok: false, error: toErrorPayload(new Error(`engine process exited with code ${code}`)) });
      }
      this.waiting.clear();
    });
  }

  /** Sends one request; resolves with a reply object (never rejects) for ipcMain.handle. */
  request(method: string, input: unknown): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.postMessage({ kind: 'request', id, method, input });
    });
  }

  stop(): void {
    this.child.kill();
  }
}
