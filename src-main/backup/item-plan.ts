import type { Inventory, Item } from '../api/discovery-contract';
import { LifeboatError } from '../api/errors';

/** Every item of an inventory, in inventory order. */
export function allItems(inventory: Inventory): Item[] {
  return inventory.stacks.flatMap((s) => s.items);
}

/**
 * The items a run saves: the ones asked for (each must exist), or by default every item that
 * no dump covers (a database's data volume is saved through its dump, not copied raw).
 */
export function chooseItems(inventory: Inventory, ids: readonly string[] | undefined): Item[] {
  const items = allItems(inventory);
  if (ids === undefined || ids.length === 0) return items.filter((i) => !i.covered);
  const byId = new Map(items.map((i) => [i.id, i]));
  const chosen: Item[] = [];
  for (const id of new Set(ids)) {
    const item = byId.get(id);
    if (!item) throw new LifeboatError('not-found', `${inventory.host} has no item "${id.slice(0, 300)}"`, `list the item ids with "lifeboat discover ${inventory.host}"`);
    chosen.push(item);
  }
  return chosen;
}

/**
 * The database an item names: its name without the `service/` prefix discovery adds when a
 * stack runs two servers of one kind (see docs/hosts-and-discovery.md, item ids).
 */
export function databaseName(item: Item, inventory: Inventory): string {
  const stack = inventory.stacks.find((s) => s.name === item.stack);
  const servers = stack?.containers.filter((c) => c.database === item.kind).length ?? 0;
  if (servers <= 1) return item.name;
  const slash = item.name.indexOf('/');
  return slash >= 0 ? item.name.slice(slash + 1) : item.name;
}
