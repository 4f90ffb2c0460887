import type { CliCommand } from '../command';
import { appCommands } from './app-commands';
import { coreCommands } from './core-commands';
import { discoveryCommands } from './discovery-commands';
import { hostCommands } from './host-commands';
import { vaultCommands } from './vault-commands';
import { backupCommands } from './backup-commands';
import { restoreCommands } from './restore-commands';
import { treeCommands } from './tree-commands';

/** Every CLI command; each domain contributes its own list. */
export const allCommands: CliCommand[] = [...coreCommands, ...appCommands, ...hostCommands, ...discoveryCommands, ...vaultCommands, ...restoreCommands, ...treeCommands, ...backupCommands];
