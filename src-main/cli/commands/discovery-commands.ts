import type { Inventory } from '../../api/discovery-contract';
import type { CliCommand } from '../command';
import { formatBytes, printJson } from '../output';
import { connectFlags, connectOptions } from './host-commands';

/** The inventory as an indented tree: stacks, their containers, their items. */
export function inventoryText(inv: Inventory): string {
  const lines: string[] = [];
  const t = inv.totals;
  lines.push(`${inv.host}: Docker ${inv.docker.version}, ${t.stacks} stacks, ${t.containers} containers, ${t.items} items, ~${formatBytes(t.sizeBytes)} to save (${inv.durationMs} ms)`);
  for (const s of inv.stacks) {
    lines.push('', `${s.name === '_' ? '_ (standalone)' : s.name}${s.workingDir ? `  ${s.workingDir}` : ''}`);
    for (const c of s.containers) lines.push(`  container ${c.name}  ${c.state}  ${c.image}${c.database ? `  [${c.database}]` : ''}`);
    for (const i of s.items) {
      const size = i.sizeBytes === undefined ? '' : formatBytes(i.sizeBytes);
      const flags = [i.covered ? 'covered by dump' : '', i.secret ? 'secret' : ''].filter(Boolean).join(', ');
      lines.push(`  ${i.kind.padEnd(8)} ${i.id.padEnd(48)} ${size.padStart(10)}${flags ? `  (${flags})` : ''}`);
    }
  }
  if (inv.access?.notes.length) lines.push('', ...inv.access.notes.map((n) => `note: ${n}`));
  return `${lines.join('\n')}\n`;
}

/** `lifeboat discover HOST`. */
export const discoveryCommands: CliCommand[] = [
  {
    path: ['discover'],
    summary: 'List the stacks, databases, volumes, bind mounts and secrets of a host',
    usage: 'HOST [--json] [--reprobe] [--accept-new-host-key | --fingerprint SHA256:…] [--password-file FILE] [--passphrase-file FILE]',
    options: { ...connectOptions, reprobe: { type: 'boolean' } },
    positionals: { min: 1, max: 1 },
    async run(args) {
      const inv = await args.engine().call('discover', { host: args.positionals[0] ?? '', ...connectFlags(args), reprobe: Boolean(args.values.reprobe) }, { signal: args.signal });
      for (const w of inv.warnings) args.io.stderr.write(`${w.startsWith('WARNING') ? '\n*** ' : 'warning: '}${w}\n`);
      if (args.values.json) printJson(args.io, inv);
      else args.io.stdout.write(inventoryText(inv));
      return 0;
    },
  },
];
