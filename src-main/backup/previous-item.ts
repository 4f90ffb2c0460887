import type { Snapshot } from '../vault/snapshots';
import type { Vault } from '../vault/vault';
import type { PreviousItem } from './source';

/**
 * The latest snapshot of `host` that holds an item named `itemId`, with that item. Pure, over
 * a list of snapshots (any order), so a run lists snapshots once and asks for every item.
 * Items that failed were never recorded, so the answer is always a good earlier copy.
 */
export function latestItem(snapshots: readonly Snapshot[], host: string, itemId: string): PreviousItem | undefined {
  let best: PreviousItem | undefined;
  for (const snapshot of snapshots) {
    if (snapshot.host !== host) continue;
    const item = snapshot.items.find((i) => i.name === itemId);
    if (!item) continue;
    if (!best || snapshot.time > best.snapshot.time || (snapshot.time === best.snapshot.time && snapshot.id > best.snapshot.id)) best = { snapshot, item };
  }
  return best;
}

/**
 * The previous backup of one item of a host, for incremental pulls (quick check, block delta
 * bases) and anomaly checks (a dump under half the size of the last one). Reads the snapshot
 * list from the catalog when the vault has one, else from the vault itself.
 */
export async function findPreviousItem(vault: Vault, host: string, itemId: string): Promise<PreviousItem | undefined> {
  return latestItem(await vault.listSnapshots(), host, itemId);
}
