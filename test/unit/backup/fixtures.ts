import type { ContainerInfo, Inventory, Item, Stack } from '../../../src-main/api/discovery-contract';

/** An item as discovery reports it. */
export function item(stack: string, kind: Item['kind'], name: string, extra: Partial<Item> = {}): Item {
  return { id: `${stack}/${kind}:${name}`, stack, kind, name, covered: false, secret: kind === 'secrets', notes: [], ...extra };
}

/** A container as discovery reports it (running unless said otherwise). */
export function container(name: string, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  return { id: name, name, image: 'img', state: 'running', labels: {}, envNames: [], mounts: [], ...extra };
}

/** An inventory of host "nas" holding the given stacks. */
export function inventoryOf(stacks: Stack[]): Inventory {
  const items = stacks.flatMap((s) => s.items).length;
  const containers = stacks.flatMap((s) => s.containers).length;
  return { host: 'nas', discoveredAt: '', durationMs: 1, docker: { version: '20', apiVersion: '1.41', os: 'linux', arch: 'amd64' }, stacks, totals: { stacks: stacks.length, containers, items, sizeBytes: 0 }, warnings: [] };
}
