import type { CliCommand } from '../command';
import { appCommands } from './app-commands';
import { coreCommands } from './core-commands';

/** Every CLI command; each domain contributes its own list. */
export const allCommands: CliCommand[] = [...coreCommands, ...appCommands];
