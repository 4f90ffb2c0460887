import { create } from 'zustand';
import type { RequestOutput } from '../../src-main/api/contract';
import type { LifeboatApi } from '../../src-main/api/named-api';

type VersionInfo = RequestOutput<'version'>;

/** Connection state of the renderer to the engine, mirrored from the engine's answers. */
export interface EngineState {
  status: 'connecting' | 'ready' | 'error';
  version?: VersionInfo;
  error?: string;
  api?: LifeboatApi;
  connect(api: LifeboatApi | { error: string }): Promise<void>;
}

/** The store every page reads the engine connection from. */
export const useEngineStore = create<EngineState>((set) => ({
  status: 'connecting',
  async connect(api) {
    if ('error' in api && typeof api.error === 'string') {
      set({ status: 'error', error: api.error });
      return;
    }
    const ready = api as LifeboatApi;
    try {
      const version = await ready.version();
      set({ status: 'ready', version, api: ready, error: undefined });
    } catch (err) {
      set({ status: 'error', error: err instanceof Error ? err.message : String(err) });
    }
  },
}));

/** The connected engine API for store actions (throws when the engine is not connected yet). */
export function engineApi(): LifeboatApi {
  const a = useEngineStore.getState().api;
  if (!a) throw new Error('the engine is not connected');
  return a;
}

/** An engine error as one line for a banner: the message and, when there is one, the next step. */
export function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) {
    const e = err as { message: string; hint?: string };
    return e.hint ? `${e.message} — ${e.hint}` : e.message;
  }
  return String(err);
}
