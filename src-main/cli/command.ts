import type { ParseArgsConfig } from 'node:util';
import type { Engine } from '../engine/engine';

/** The process surroundings a command may touch; injected so commands run in-process in tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** What a command's `run` receives. */
export interface CommandArgs {
  readonly positionals: string[];
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly io: CliIo;
  /** The engine, created on first use so `--help` never touches state. */
  engine(): Engine;
  /** Aborted on SIGINT/SIGTERM so long work stops cleanly. */
  readonly signal: AbortSignal;
}

/** One `lifeboat …` subcommand. Commands are thin: parse, call the engine, print. */
export interface CliCommand {
  /** Words that select the command, e.g. `['host', 'add']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Argument synopsis after the command words, e.g. `NAME URL [--identity FILE]`. */
  readonly usage?: string;
  readonly options?: NonNullable<ParseArgsConfig['options']>;
  /** Minimum and maximum positionals; checked before `run`. */
  readonly positionals?: { min: number; max: number };
  /** Which door the engine reports; commands that serve a UI set `bridge`. */
  readonly door?: 'cli' | 'bridge';
  run(args: CommandArgs): Promise<number>;
}
