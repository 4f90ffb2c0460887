import { create } from 'zustand';
import type { BackupSummary } from '../../src-main/api/backup-contract';
import type { Inventory } from '../../src-main/api/discovery-contract';
import type { ItemOutcome, JobState } from '../../src-main/api/jobs-contract';
import type { Progress } from '../../src-main/api/progress';
import { engineApi, errorText } from './engine-store';
import { useHostsStore } from './hosts-store';

/** The run the page started, mirrored from jobProgress/jobState events. */
export interface RunView {
  jobId: string;
  status: JobState['status'];
  progress?: Progress;
  done: ItemOutcome[];
  /** What was asked for, in order, for the progress rows. */
  items: string[];
}

/** State of the Backups page: which host, which items, the run in progress, its summary. */
export interface BackupsState {
  host?: string;
  selected: Record<string, boolean>;
  stopFor: Record<string, boolean>;
  run?: RunView;
  summary?: BackupSummary;
  starting: boolean;
  error?: string;
  /** Picks a host and discovers it if the Hosts page has not yet. */
  pickHost(name: string): Promise<void>;
  /** Default choice: everything not covered by a dump. */
  selectDefaults(inventory: Inventory): void;
  toggle(id: string): void;
  toggleStop(id: string): void;
  setAll(inventory: Inventory, on: boolean): void;
  start(): Promise<void>;
  cancel(): Promise<void>;
  /** Subscribes to job events; returns the unsubscribe function. */
  attach(): () => void;
}

const api = engineApi;
const message = errorText;

const finished = (s: JobState['status']) => s !== 'queued' && s !== 'running';

/** The Backups page's store. */
export const useBackupsStore = create<BackupsState>((set, get) => ({
  selected: {},
  stopFor: {},
  starting: false,
  async pickHost(name) {
    set({ host: name, selected: {}, stopFor: {}, error: undefined });
    const hosts = useHostsStore.getState();
    if (!hosts.inventories[name]) await hosts.discover(name);
    const inv = useHostsStore.getState().inventories[name];
    if (inv && get().host === name) get().selectDefaults(inv);
  },
  selectDefaults(inventory) {
    const selected: Record<string, boolean> = {};
    for (const s of inventory.stacks) for (const i of s.items) selected[i.id] = !i.covered;
    set({ selected });
  },
  toggle(id) {
    set((s) => ({ selected: { ...s.selected, [id]: !s.selected[id] } }));
  },
  toggleStop(id) {
    set((s) => ({ stopFor: { ...s.stopFor, [id]: !s.stopFor[id] } }));
  },
  setAll(inventory, on) {
    const selected: Record<string, boolean> = {};
    for (const s of inventory.stacks) for (const i of s.items) selected[i.id] = on;
    set({ selected });
  },
  async start() {
    const { host, selected, stopFor } = get();
    if (!host) return;
    const items = Object.keys(selected).filter((id) => selected[id]);
    set({ starting: true, error: undefined, summary: undefined });
    try {
      const { jobId } = await api().backup({ host, items, stopContainersFor: items.filter((id) => stopFor[id]), wait: false });
      set({ run: { jobId, status: 'queued', done: [], items } });
      const summary = await api().backupResult({ jobId });
      set((s) => ({ summary, run: s.run && s.run.jobId === jobId ? { ...s.run, status: summary.status } : s.run }));
    } catch (err) {
      set({ error: message(err) });
    } finally {
      set({ starting: false });
    }
  },
  async cancel() {
    const run = get().run;
    if (!run) return;
    try {
      await api().jobCancel({ id: run.jobId });
    } catch (err) {
      set({ error: message(err) });
    }
  },
  attach() {
    const a = api();
    const offProgress = a.onJobProgress((p) => {
      const run = get().run;
      if (run && p.jobId === run.jobId && !finished(run.status)) set({ run: { ...run, progress: p } });
    });
    const offState = a.onJobState((s) => {
      const run = get().run;
      if (run && s.id === run.jobId) set({ run: { ...run, status: s.status, done: s.items } });
    });
    return () => {
      offProgress();
      offState();
    };
  },
}));
