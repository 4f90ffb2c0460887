import { parseArgs } from 'node:util';
import { LifeboatError } from '../api/errors';
import { type Engine, createEngine } from '../engine/engine';
import { packageVersion } from '../engine/paths';
import type { CliCommand, CliIo } from './command';
import { reportError } from './output';

/** Finds the command whose words are the longest prefix of argv. */
export function matchCommand(commands: readonly CliCommand[], argv: readonly string[]): CliCommand | undefined {
  let best: CliCommand | undefined;
  for (const command of commands) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (!best || command.path.length > best.path.length)) best = command;
  }
  return best;
}

function usageLine(command: CliCommand): string {
  return `lifeboat ${command.path.join(' ')}${command.usage ? ` ${command.usage}` : ''}`;
}

/** Top-level help: every command with its summary, grouped by first word. */
export function helpText(commands: readonly CliCommand[]): string {
  const lines = [
    'Lifeboat — agentless backups of Docker homelabs into an encrypted vault on this machine.',
    '',
    'Usage: lifeboat <command> [options]',
    '',
    'Commands:',
  ];
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  for (const c of [...commands].sort((a, b) => a.path.join(' ').localeCompare(b.path.join(' ')))) {
    lines.push(`  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  }
  lines.push('', 'Global: --version, --help. State: $LIFEBOAT_HOME (default: your data directory).');
  return `${lines.join('\n')}\n`;
}

function commandHelp(command: CliCommand): string {
  const lines = [`Usage: ${usageLine(command)}`, '', command.summary];
  const options = Object.entries(command.options ?? {});
  if (options.length > 0) {
    lines.push('', 'Options:');
    for (const [name, spec] of options) lines.push(`  --${name}${spec.type === 'string' ? ' VALUE' : ''}${spec.multiple ? ' (repeatable)' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs the CLI in-process and returns the exit code. `main.ts` wires it to the real process;
 * tests call it with fake streams.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  commands: readonly CliCommand[],
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    const target = argv[0] === 'help' ? matchCommand(commands, argv.slice(1)) : undefined;
    io.stdout.write(target ? commandHelp(target) : helpText(commands));
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.stdout.write(`lifeboat ${packageVersion()}\n`);
    return 0;
  }
  const command = matchCommand(commands, argv);
  if (!command) {
    io.stderr.write(`lifeboat: unknown command "${argv[0]}"\n  run "lifeboat --help" for the list of commands\n`);
    return 2;
  }
  const rest = argv.slice(command.path.length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  const wantsJson = rest.includes('--json');
  let engine: Engine | undefined;
  try {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: [...rest], options: command.options ?? {}, allowPositionals: true, strict: true });
    } catch (err) {
      throw new LifeboatError('bad-input', (err as Error).message, `usage: ${usageLine(command)}`);
    }
    const { min, max } = command.positionals ?? { min: 0, max: Infinity };
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new LifeboatError('bad-input', `wrong number of arguments for "${command.path.join(' ')}"`, `usage: ${usageLine(command)}`);
    }
    return await command.run({
      positionals: parsed.positionals,
      values: parsed.values,
      io,
      signal,
      engine: () => (engine ??= createEngine({ door: command.door ?? 'cli', stdio: { stdin: io.stdin, stdout: io.stdout } })),
    });
  } catch (err) {
    return reportError(io, err, wantsJson);
  } finally {
    await engine?.close();
  }
}
