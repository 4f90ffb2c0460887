import { create } from 'zustand';

/** Pages of the app, in sidebar order. */
export const pages = [
  { id: 'overview', label: 'Overview' },
  { id: 'hosts', label: 'Hosts' },
  { id: 'backups', label: 'Backups' },
  { id: 'snapshots', label: 'Snapshots' },
  { id: 'restore', label: 'Restore' },
  { id: 'vault', label: 'Vault' },
] as const;

export type PageId = (typeof pages)[number]['id'];

/** Which page is showing; kept out of the URL so the bridge token fragment stays intact. */
export const useNavStore = create<{ page: PageId; go(page: PageId): void }>((set) => ({
  page: 'overview',
  go: (page) => set({ page }),
}));
