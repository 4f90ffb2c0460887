import type { ItemKind } from '../api/discovery-contract';
import type { BackupSource } from './source';
import { volumeSource } from './volume-source';
import { postgresSource } from './postgres-source';
import { mysqlSource } from './mysql-source';
import { sqliteSource } from './sqlite-source';
import { secretsSource } from './secrets-source';

/** Every backup source; each kind module appends its own. */
export const backupSources: BackupSource[] = [volumeSource, postgresSource, mysqlSource, sqliteSource, secretsSource];

/** The source that saves items of a kind, if any. */
export function sourceFor(kind: ItemKind): BackupSource | undefined {
  return backupSources.find((s) => s.kinds.includes(kind));
}
