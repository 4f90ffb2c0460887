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
