import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { PreviousItem } from '../../src-main/backup/source';
import type { Snapshot, TreeEntry } from '../../src-main/vault/snapshots';
import type { Vault } from '../../src-main/vault/vault';

/** One line per path: type, mode, owner, exact mtime (files and dirs), size and sha256, or link target. */
export type TreeView = Map<string, string>;

/** What the server holds, read straight from the disk (the lab runs on this machine). */
export function serverView(root: string, options: { mtimes?: boolean } = {}): TreeView {
  const out: TreeView = new Map();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, path), { bigint: true });
      const mode = Number(st.mode & 0o7777n).toString(8);
      const mtime = options.mtimes === false ? '' : ` t=${st.mtimeNs}`;
      const own = `${mode} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out.set(path, `symlink ${own} -> ${readlinkSync(join(root, path))}`);
      else if (st.isDirectory()) {
        out.set(path, `dir ${own}${mtime}`);
        walk(path);
      } else if (st.isFile()) out.set(path, `file ${own}${mtime} ${st.size} ${createHash('sha256').update(readFileSync(join(root, path))).digest('hex')}`);
      else out.set(path, `other ${own}`);
    }
  };
  walk('');
  return out;
}

/** The same view of a tree item read back from the vault (content decrypted and hashed). */
export async function vaultView(vault: Vault, snapshot: Snapshot, name: string, options: { mtimes?: boolean } = {}): Promise<TreeView> {
  const out: TreeView = new Map();
  const entries: TreeEntry[] = [];
  for await (const e of vault.readTree(snapshot, name)) entries.push(e);
  await vault.withReadLock('test', async () => {
    for (const e of entries) {
      const own = `${e.mode.toString(8)} ${e.uid}:${e.gid}`;
      const mtime = options.mtimes === false ? '' : ` t=${e.mtimeNs ?? `${e.mtime}ms`}`;
      if (e.type === 'symlink') out.set(e.path, `symlink ${own} -> ${e.link}`);
      else if (e.type === 'dir') out.set(e.path, `dir ${own}${mtime}`);
      else if (e.type === 'file') {
        const h = createHash('sha256');
        let n = 0;
        for await (const c of vault.readTreeFile(e, name)) {
          h.update(c);
          n += c.length;
        }
        expectEqual(n, e.size, `${e.path}: size`);
        out.set(e.path, `file ${own}${mtime} ${e.size} ${h.digest('hex')}`);
      } else out.set(e.path, `other ${own}`);
    }
  });
  return out;
}

function expectEqual(a: unknown, b: unknown, what: string): void {
  if (a !== b) throw new Error(`${what}: ${String(a)} !== ${String(b)}`);
}

/** Paths whose lines differ between two views (for readable failures). */
export function diffViews(a: TreeView, b: TreeView): string[] {
  const out: string[] = [];
  for (const [p, v] of a) if (b.get(p) !== v) out.push(`${p}: server ${v} | vault ${b.get(p) ?? '(missing)'}`);
  for (const [p, v] of b) if (!a.has(p)) out.push(`${p}: server (missing) | vault ${v}`);
  return out;
}

/** The latest earlier copy of an item (what the runner's previous-item lookup returns). */
export async function previousOf(vault: Vault, itemId: string): Promise<PreviousItem | undefined> {
  const all = await vault.readAllSnapshots();
  for (const snapshot of all.reverse()) {
    const item = snapshot.items.find((i) => i.name === itemId);
    if (item) return { snapshot, item };
  }
  return undefined;
}
