import type Docker from 'dockerode';
import type { Inventory, Item } from '../api/discovery-contract';

/**
 * Containers that use an item, by name: for files (volume, sqlite, bind) every container that
 * mounts them; for a database, the other containers of its stack (the apps that write to it),
 * never the database server itself, which the dump needs running. Secrets have no users.
 */
export function containersUsing(item: Item, inventory: Inventory): string[] {
  const all = inventory.stacks.flatMap((s) => s.containers.map((c) => ({ c, stack: s.name })));
  switch (item.kind) {
    case 'volume':
    case 'sqlite':
      return all.filter(({ c }) => c.mounts.some((m) => m.type === 'volume' && m.name === item.volume)).map(({ c }) => c.name);
    case 'bind':
      return all.filter(({ c }) => c.mounts.some((m) => m.type === 'bind' && m.source === item.path)).map(({ c }) => c.name);
    case 'postgres':
    case 'mysql':
      return all.filter(({ c, stack }) => stack === item.stack && c.name !== item.container && stack !== '_').map(({ c }) => c.name);
    case 'secrets':
      return [];
  }
}

/** The running ones among named containers, as the inventory saw them. */
export function runningOnly(names: readonly string[], inventory: Inventory): string[] {
  const running = new Set(inventory.stacks.flatMap((s) => s.containers.filter((c) => c.state === 'running').map((c) => c.name)));
  return names.filter((n) => running.has(n));
}

/** What happened to the stopped containers: restarts that failed become warnings. */
export interface StopReport {
  readonly stopped: string[];
  readonly warnings: string[];
}

/**
 * Stops the given containers, runs `copy`, and starts them again in a `finally` — also when
 * the copy failed or was cancelled — in reverse order, so dependencies come back first. A
 * container that cannot be stopped fails the item before anything is copied (after restarting
 * the ones already stopped); one that cannot be restarted is a warning the summary shows
 * loudly, never a silent loss.
 */
export async function withContainersStopped<T>(
  docker: Docker,
  names: readonly string[],
  copy: () => Promise<T>,
  log: (level: 'info' | 'warn' | 'error', message: string) => void,
): Promise<{ value: T; report: StopReport }> {
  const stopped: string[] = [];
  const warnings: string[] = [];
  const restart = async () => {
    for (const name of [...stopped].reverse()) {
      try {
        await docker.getContainer(name).start();
        log('info', `started ${name} again`);
      } catch (err) {
        const text = `could not start ${name} again: ${(err as Error).message}; start it by hand (docker start ${name})`;
        warnings.push(text);
        log('error', text);
      }
    }
  };
  try {
    for (const name of names) {
      log('info', `stopping ${name} for a consistent copy`);
      try {
        await docker.getContainer(name).stop({ t: 30 });
      } catch (err) {
        // 304: already stopped (e.g. by an outer stop of the same run); whoever stopped it restarts it.
        if ((err as { statusCode?: number }).statusCode === 304) continue;
        throw err;
      }
      stopped.push(name);
    }
    const value = await copy();
    return { value, report: { stopped, warnings } };
  } finally {
    await restart();
  }
}
