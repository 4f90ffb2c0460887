import { create } from 'zustand';
import type { SnapshotDetail } from '../../src-main/api/backup-contract';
import { errorText, useEngineStore } from './engine-store';

/** State of the Snapshots page, mirrored from the engine's answer. */
export interface SnapshotsState {
  snapshots: SnapshotDetail[];
  loading: boolean;
  loaded: boolean;
  error?: string;
  open: Record<string, boolean>;
  load(): Promise<void>;
  toggle(id: string): void;
}

/** The Snapshots page's store: the list (newest first) and which rows are expanded. */
export const useSnapshotsStore = create<SnapshotsState>((set) => ({
  snapshots: [],
  loading: false,
  loaded: false,
  open: {},
  async load() {
    const api = useEngineStore.getState().api;
    if (!api) return;
    set({ loading: true, error: undefined });
    try {
      const { snapshots } = await api.backupSnapshots({});
      set({ snapshots, loading: false, loaded: true });
    } catch (err) {
      set({ loading: false, loaded: true, error: errorText(err) });
    }
  },
  toggle(id) {
    set((s) => ({ open: { ...s.open, [id]: !s.open[id] } }));
  },
}));
