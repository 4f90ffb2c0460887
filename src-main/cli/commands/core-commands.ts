import type { CliCommand } from '../command';
import { printJson } from '../output';

/** `lifeboat version` and `lifeboat ping`: the first requests through the CLI door. */
export const coreCommands: CliCommand[] = [
  {
    path: ['version'],
    summary: 'Print the version (same as --version)',
    options: { json: { type: 'boolean' } },
    positionals: { min: 0, max: 0 },
    async run({ engine, values, io }) {
      const info = await engine().call('version', {});
      if (values.json) printJson(io, info);
      else io.stdout.write(`lifeboat ${info.version}\n`);
      return 0;
    },
  },
  {
    path: ['ping'],
    summary: 'Check that the engine answers',
    options: { json: { type: 'boolean' } },
    positionals: { min: 0, max: 0 },
    async run({ engine, values, io }) {
      const pong = await engine().call('ping', { nonce: 'cli' });
      if (values.json) printJson(io, pong);
      else io.stdout.write(`pong ${pong.at}\n`);
      return 0;
    },
  },
];
