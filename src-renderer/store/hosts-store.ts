import { create } from 'zustand';
import type { Inventory } from '../../src-main/api/discovery-contract';
import type { HostKeyInfo, HostSummary } from '../../src-main/api/hosts-contract';
import { engineApi, errorText } from './engine-store';

/** What the add-host form holds; secrets stay in this store only until the request is sent. */
export interface AddHostForm {
  name: string;
  url: string;
  identityFile: string;
  jumps: string;
  tlsDir: string;
  password: string;
  passphrase: string;
}

/** State of the Hosts page, mirrored from the engine's answers. */
export interface HostsState {
  hosts: HostSummary[];
  loading: boolean;
  error?: string;
  selected?: string;
  inventories: Record<string, Inventory>;
  discovering: Record<string, boolean>;
  discoverErrors: Record<string, string>;
  /** Keys seen on the way to the host being added (jump hosts first). */
  scanned: HostKeyInfo[];
  /** Fingerprints the user accepted in this add flow. */
  accepted: string[];
  busy: boolean;
  formError?: string;
  load(): Promise<void>;
  select(name: string | undefined): void;
  discover(name: string): Promise<void>;
  remove(name: string): Promise<void>;
  scanKeys(form: AddHostForm): Promise<void>;
  accept(fingerprint: string, form: AddHostForm): Promise<void>;
  add(form: AddHostForm): Promise<boolean>;
  resetAdd(): void;
}

const api = engineApi;
const message = errorText;

function connectInput(form: AddHostForm, fingerprints: string[]) {
  const jumps = form.jumps.split(/[\s,]+/).filter(Boolean);
  return {
    url: form.url.trim(),
    jumps,
    fingerprints,
    ...(form.identityFile.trim() ? { identityFile: form.identityFile.trim() } : {}),
    ...(form.tlsDir.trim() ? { tlsDir: form.tlsDir.trim() } : {}),
    ...(form.password ? { password: form.password } : {}),
    ...(form.passphrase ? { passphrase: form.passphrase } : {}),
  };
}

/** The Hosts page's store: host list, add flow with key confirmation, discovery results. */
export const useHostsStore = create<HostsState>((set, get) => ({
  hosts: [],
  loading: false,
  inventories: {},
  discovering: {},
  discoverErrors: {},
  scanned: [],
  accepted: [],
  busy: false,
  async load() {
    set({ loading: true, error: undefined });
    try {
      const { hosts } = await api().hostList();
      set({ hosts, loading: false });
    } catch (err) {
      set({ loading: false, error: message(err) });
    }
  },
  select(name) {
    set({ selected: name });
  },
  async discover(name) {
    set((s) => ({ selected: name, discovering: { ...s.discovering, [name]: true }, discoverErrors: { ...s.discoverErrors, [name]: '' } }));
    try {
      const inv = await api().discover({ host: name });
      set((s) => ({ inventories: { ...s.inventories, [name]: inv } }));
    } catch (err) {
      set((s) => ({ discoverErrors: { ...s.discoverErrors, [name]: message(err) } }));
    } finally {
      set((s) => ({ discovering: { ...s.discovering, [name]: false } }));
    }
  },
  async remove(name) {
    try {
      await api().hostRemove({ name });
      set((s) => ({ selected: s.selected === name ? undefined : s.selected }));
      await get().load();
    } catch (err) {
      set({ error: message(err) });
    }
  },
  async scanKeys(form) {
    set({ busy: true, formError: undefined });
    try {
      if (/^(docker\+)?tcp:\/\//i.test(form.url.trim())) {
        set({ scanned: [] });
        return;
      }
      const { hops } = await api().hostKeyScan(connectInput(form, get().accepted));
      set({ scanned: hops });
    } catch (err) {
      set({ formError: message(err), scanned: [] });
    } finally {
      set({ busy: false });
    }
  },
  async accept(fingerprint, form) {
    set((s) => ({ accepted: [...new Set([...s.accepted, fingerprint])] }));
    // With jump hosts, trusting one hop lets the scan reach the next one.
    if (form.jumps.trim()) await get().scanKeys(form);
  },
  async add(form) {
    set({ busy: true, formError: undefined });
    try {
      await api().hostAdd({ name: form.name.trim(), ...connectInput(form, get().accepted), source: 'app' });
      set({ scanned: [], accepted: [] });
      await get().load();
      return true;
    } catch (err) {
      set({ formError: message(err) });
      return false;
    } finally {
      set({ busy: false });
    }
  },
  resetAdd() {
    set({ scanned: [], accepted: [], formError: undefined });
  },
}));
