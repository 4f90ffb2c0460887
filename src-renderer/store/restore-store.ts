import { create } from 'zustand';
import type { SnapshotDetail } from '../../src-main/api/backup-contract';
import type { Progress } from '../../src-main/api/progress';
import type { RestoreTargetInput } from '../../src-main/api/restore-contract';
import type { RequestOutput } from '../../src-main/api/contract';
import type { TreeListEntry } from '../../src-main/api/tree-contract';
import { engineApi, errorText } from './engine-store';

/** The wizard's steps, in order. */
export const restoreSteps = ['snapshot', 'item', 'target', 'preview', 'run', 'result'] as const;
export type RestoreStep = (typeof restoreSteps)[number];

type Item = SnapshotDetail['items'][number];
type Mode = NonNullable<RestoreTargetInput['mode']>;
type RestoreOutput = RequestOutput<'restore'>;

/** Target modes a kind offers, safe one first (the engine's defaults: new database / new volume). */
export function modesFor(kind: string): Mode[] {
  if (kind === 'volume') return ['new-volume', 'in-place', 'local-dir'];
  if (kind === 'bind') return ['path', 'in-place', 'local-dir'];
  if (kind === 'secrets') return ['local-dir', 'path', 'in-place'];
  return ['new-database', 'in-place'];
}

/** What the user filled in on the target step. */
export interface TargetForm {
  mode: Mode;
  database: string;
  volume: string;
  path: string;
  localDir: string;
  subtree: string;
  /** Host to restore to; empty: the host the snapshot came from. */
  host: string;
  /** In place only: the item's name typed again. */
  confirm: string;
}

/** A folder of a tree item being browsed on the item step. */
export interface Browse {
  path: string;
  entries: TreeListEntry[];
  total: number;
  loading: boolean;
  error?: string;
}

/** State of the Restore wizard. */
export interface RestoreState {
  step: RestoreStep;
  snapshots: SnapshotDetail[];
  loading: boolean;
  error?: string;
  snapshot?: SnapshotDetail;
  item?: Item;
  browse?: Browse;
  target: TargetForm;
  preview?: RestoreOutput;
  previewing: boolean;
  jobId?: string;
  progress?: Progress;
  result?: RestoreOutput;
  load(): Promise<void>;
  pickSnapshot(id: string): void;
  pickItem(name: string): void;
  browseTo(path: string): Promise<void>;
  setTarget(patch: Partial<TargetForm>): void;
  go(step: RestoreStep): void;
  runPreview(): Promise<void>;
  runRestore(): Promise<void>;
  reset(): void;
}

const api = engineApi;
const message = errorText;

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 13);

/** `<stack>/<kind>:<name>` → name. */
function itemName(item: Item): string {
  return item.name.slice(item.name.indexOf(':') + 1);
}

function defaults(item?: Item): TargetForm {
  const name = item ? itemName(item) : '';
  return {
    mode: item ? (modesFor(item.kind)[0] as Mode) : 'new-volume',
    database: item && (item.kind === 'postgres' || item.kind === 'mysql') ? `${name.replace(/^.*\//, '')}_restored`.slice(0, 63) : '',
    volume: item?.kind === 'volume' ? `${name}-restored-${stamp()}` : '',
    path: item?.kind === 'bind' ? `${name.replace(/\/+$/, '')}-restored` : '',
    localDir: '',
    subtree: '',
    host: '',
    confirm: '',
  };
}

/** The request's target from the form: only the fields the chosen mode uses. */
export function targetInput(t: TargetForm): RestoreTargetInput {
  const base: RestoreTargetInput = { mode: t.mode, ...(t.subtree ? { subtree: t.subtree } : {}) };
  if (t.mode === 'new-database' && t.database) return { ...base, database: t.database };
  if (t.mode === 'new-volume' && t.volume) return { ...base, volume: t.volume };
  if (t.mode === 'path') return { ...base, path: t.path };
  if (t.mode === 'local-dir') return { ...base, localDir: t.localDir };
  return base;
}

/** In place needs the item's name typed exactly; other modes need their field. */
export function targetReady(t: TargetForm, item?: Item): boolean {
  if (!item) return false;
  if (t.mode === 'in-place') return t.confirm === item.name;
  if (t.mode === 'path') return t.path.startsWith('/');
  if (t.mode === 'local-dir') return t.localDir.length > 0;
  return true;
}

/** The Restore wizard's store: snapshot → item → target → preview (dry run) → run → result. */
export const useRestoreStore = create<RestoreState>((set, get) => ({
  step: 'snapshot',
  snapshots: [],
  loading: false,
  target: defaults(),
  previewing: false,
  async load() {
    set({ loading: true, error: undefined });
    try {
      const { snapshots } = await api().backupSnapshots({});
      set({ snapshots, loading: false });
    } catch (err) {
      set({ loading: false, error: message(err) });
    }
  },
  pickSnapshot(id) {
    const snapshot = get().snapshots.find((s) => s.id === id);
    set({ snapshot, item: undefined, browse: undefined, preview: undefined, result: undefined, step: 'item', error: undefined });
  },
  pickItem(name) {
    const item = get().snapshot?.items.find((i) => i.name === name);
    set({ item, target: defaults(item), preview: undefined, browse: undefined, error: undefined });
    if (item?.type === 'tree') void get().browseTo('');
  },
  async browseTo(path) {
    const { snapshot, item } = get();
    if (!snapshot || !item) return;
    set((s) => ({ browse: { path, entries: s.browse?.entries ?? [], total: 0, loading: true } }));
    try {
      const out = await api().treeList({ snapshot: snapshot.id, item: item.name, ...(path ? { path } : {}), limit: 500 });
      set({ browse: { path, entries: out.entries, total: out.total, loading: false } });
    } catch (err) {
      set({ browse: { path, entries: [], total: 0, loading: false, error: message(err) } });
    }
  },
  setTarget(patch) {
    set((s) => ({ target: { ...s.target, ...patch }, preview: undefined }));
  },
  go(step) {
    set({ step, error: undefined });
  },
  async runPreview() {
    const { snapshot, item, target } = get();
    if (!snapshot || !item) return;
    set({ previewing: true, error: undefined, preview: undefined, step: 'preview' });
    try {
      const preview = await api().restore({ snapshot: snapshot.id, item: item.name, target: targetInput(target), ...(target.host ? { host: target.host } : {}), dryRun: true });
      set({ preview, previewing: false });
    } catch (err) {
      set({ previewing: false, error: message(err) });
    }
  },
  async runRestore() {
    const { snapshot, item, target } = get();
    if (!snapshot || !item) return;
    set({ step: 'run', error: undefined, progress: undefined, jobId: undefined, result: undefined });
    const a = api();
    // The request answers when the job is done; its id arrives earlier in job events.
    const offState = a.onJobState((s) => {
      if (!get().jobId && s.kind === 'restore' && s.label.includes(item.name) && (s.status === 'queued' || s.status === 'running')) set({ jobId: s.id });
    });
    const offProgress = a.onJobProgress((p) => {
      if (p.jobId === get().jobId) set({ progress: p });
    });
    try {
      const result = await a.restore({ snapshot: snapshot.id, item: item.name, target: targetInput(target), ...(target.host ? { host: target.host } : {}), dryRun: false, yes: target.mode === 'in-place' && target.confirm === item.name });
      set({ result, step: 'result' });
    } catch (err) {
      set({ error: message(err), step: 'result' });
    } finally {
      offState();
      offProgress();
    }
  },
  reset() {
    set({ step: 'snapshot', snapshot: undefined, item: undefined, browse: undefined, target: defaults(), preview: undefined, result: undefined, progress: undefined, jobId: undefined, error: undefined });
    void get().load();
  },
}));
