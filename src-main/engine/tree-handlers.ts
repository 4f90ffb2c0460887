import { openVaultSession } from '../backup/vault-session';
import { listTree, treeItemOf } from '../restore/tree-browse';
import type { HandlerTable } from './handlers';

/** What browsing needs from the composition root. */
export interface TreeServices {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Handlers of the tree requests (`lifeboat ls`, the restore wizard's file picker). */
export function treeHandlers(services: TreeServices): HandlerTable<'treeList'> {
  return {
    treeList: async (input, ctx) => {
      const session = await openVaultSession({ home: services.home, env: services.env, vault: input.vault, passphrase: input.passphrase });
      try {
        const snapshot = await session.vault.snapshot(input.snapshot);
        const item = treeItemOf(session.vault, snapshot, input.item);
        const listing = await listTree(session.vault, snapshot, item, { ...(input.path ? { path: input.path } : {}), recursive: input.recursive, limit: input.limit, signal: ctx.signal });
        return { snapshot: snapshot.id, item: item.name, path: input.path ?? '', ...listing };
      } finally {
        await session.close();
      }
    },
  };
}
