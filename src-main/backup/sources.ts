import type { ItemKind } from '../api/discovery-contract';
import type { BackupSource } from './source';

/** Every backup source; each kind module appends its own. */
export const backupSources: BackupSource[] = [];

/** The source that saves items of a kind, if any. */
export function sourceFor(kind: ItemKind): BackupSource | undefined {
  return backupSources.find((s) => s.kinds.includes(kind));
}
