import { chmodSync, mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The incremental scenario shared by the local and the lab tests: six files (one setuid, one
 * 20 000 bytes), a sticky directory, an empty one, a relative and a dangling symlink.
 */
export function seedScenario(root: string): void {
  mkdirSync(join(root, 'a/deep/er'), { recursive: true });
  mkdirSync(join(root, 'empty'), { recursive: true });
  writeFileSync(join(root, 'a/keep.txt'), 'keep me');
  writeFileSync(join(root, 'a/change.txt'), 'version 1');
  writeFileSync(join(root, 'a/delete.txt'), 'delete me');
  writeFileSync(join(root, 'a/deep/er/rename-me.bin'), Buffer.alloc(20_000, 7));
  writeFileSync(join(root, 'a/chmod.txt'), 'chmod me');
  writeFileSync(join(root, 'setuid'), '#!/bin/sh\n');
  chmodSync(join(root, 'setuid'), 0o4755);
  chmodSync(join(root, 'a/deep'), 0o1777);
  symlinkSync('a/keep.txt', join(root, 'current'));
  symlinkSync('/nowhere/at/all', join(root, 'dangling'));
}

/**
 * Adds, changes, deletes, renames, chmods and relinks: afterwards three of the six files have
 * new content (returned: their bytes), three only kept or changed metadata.
 */
export function mutateScenario(root: string): number {
  writeFileSync(join(root, 'a/new.txt'), 'a new file');
  writeFileSync(join(root, 'a/change.txt'), 'version 2, longer');
  unlinkSync(join(root, 'a/delete.txt'));
  mkdirSync(join(root, 'b'));
  renameSync(join(root, 'a/deep/er/rename-me.bin'), join(root, 'b/renamed.bin'));
  chmodSync(join(root, 'a/chmod.txt'), 0o600);
  unlinkSync(join(root, 'current'));
  symlinkSync('a/new.txt', join(root, 'current'));
  return 'a new file'.length + 'version 2, longer'.length + 20_000;
}
