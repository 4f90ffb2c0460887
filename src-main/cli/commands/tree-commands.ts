import { formatBytes } from '../../api/format';
import { modeString, printableName, shortTime } from '../../api/tree-format';
import type { CliCommand } from '../command';
import { printJson, printTable } from '../output';
import { vaultPassphrase } from '../vault-input';

/** `lifeboat ls`: the files of a tree item (a volume, a bind mount, secrets) without restoring them. */
export const treeCommands: CliCommand[] = [
  {
    path: ['ls'],
    summary: 'List the files of a volume, bind mount or secrets item of a snapshot (or of a folder PATH in it)',
    usage: 'SNAPSHOT ITEM [PATH] [--recursive] [--limit N] [--vault DIR] [--passphrase-file FILE] [--json]',
    options: { vault: { type: 'string' }, 'passphrase-file': { type: 'string' }, json: { type: 'boolean' }, recursive: { type: 'boolean', short: 'R' }, limit: { type: 'string' } },
    positionals: { min: 2, max: 3 },
    async run(args) {
      const [snapshot, item, path] = args.positionals as [string, string, string | undefined];
      const vault = typeof args.values.vault === 'string' ? args.values.vault : args.io.env.LIFEBOAT_VAULT;
      const limit = typeof args.values.limit === 'string' ? Number(args.values.limit) : undefined;
      const out = await args.engine().call('treeList', {
        ...(vault ? { vault } : {}),
        passphrase: await vaultPassphrase(args),
        snapshot,
        item,
        ...(path !== undefined ? { path } : {}),
        recursive: Boolean(args.values.recursive),
        ...(limit !== undefined ? { limit } : {}),
      });
      if (args.values.json) {
        printJson(args.io, out);
        return 0;
      }
      printTable(args.io, [
        ['MODE', 'OWNER', 'SIZE', 'MODIFIED (UTC)', 'PATH'],
        ...out.entries.map((e) => [modeString(e.type, e.mode), `${e.uid}:${e.gid}`, e.type === 'file' ? formatBytes(e.size) : '-', e.implicit ? '-' : shortTime(e.mtime), `${printableName(e.path)}${e.type === 'dir' ? '/' : ''}${e.link !== undefined ? ` -> ${printableName(e.link)}` : ''}`]),
      ]);
      args.io.stderr.write(`${out.total} entr${out.total === 1 ? 'y' : 'ies'}, ${formatBytes(out.bytes)} in files${out.truncated ? ` (first ${out.entries.length} shown; raise --limit)` : ''}\n`);
      return 0;
    },
  },
];
