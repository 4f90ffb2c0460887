import { posix } from 'node:path';
import type { FoundFile } from './inventory';

/**
 * Shell scripts discovery runs on a server, and parsers for what they print. Every script is
 * a constant; server-supplied names reach them only as positional arguments ("$@"), so no
 * name can change what runs.
 */

/** Prints `size<TAB>path<NUL>` for each argument that is a regular file. */
export const fileSizesScript = `find "$@" -maxdepth 0 -type f -printf '%s\\t%p\\0' 2>/dev/null; true`;

/** Certificates and keys in bind-mounted trees (bounded: depth 4, < 1 MiB, at most 500). */
export const certScanScript = [
  `find "$@" -xdev -maxdepth 4 -type f -size -1024k \\( -name '*.pem' -o -name '*.key' -o -name '*.crt' -o -name '*.cer' -o -name '*.p12' -o -name '*.pfx' -o -name '*.jks' -o -name 'acme.json' -o -name 'id_rsa' -o -name 'id_ecdsa' -o -name 'id_ed25519' \\) -printf '%s\\t%p\\0' 2>/dev/null | head -z -n 500`,
  'true',
].join('; ');

/** Apparent sizes of trees: `bytes<TAB>path<NUL>` (GNU du). */
export const duScript = `timeout 30 du -0 -s -b -- "$@" 2>/dev/null; true`;

/**
 * SQLite candidates: the first 16 bytes of every file of 512 bytes or more (bounded: depth 8,
 * 4000 files), printed by one `head -v` per batch. Names with a newline or head's own
 * markers are skipped so the output parses without ambiguity.
 */
export const sqliteScanScript = [
  'if head -z -n 1 </dev/null >/dev/null 2>&1; then lim() { head -z -n 4000; }; else lim() { cat; }; fi',
  `find "$@" -xdev -maxdepth 8 -type f -size +511c ! -name '*\n*' ! -name '*==> *' ! -name '* <==*' -print0 2>/dev/null | lim | xargs -0 -r head -v -c 16 -- 2>/dev/null`,
  'true',
].join('\n');

/** Reads files (at most 256 KiB each) as `path<NUL>content<NUL>`; for compose files. */
export const readFilesScript = `for f in "$@"; do if [ -f "$f" ]; then printf '%s\\0' "$f"; head -c 262144 -- "$f" | tr -d '\\000'; printf '\\0'; fi; done; true`;

/** Parses `size<TAB>path<NUL>` records. */
export function parseSizedPaths(out: Buffer): FoundFile[] {
  const files: FoundFile[] = [];
  for (const record of out.toString('utf8').split('\0')) {
    const tab = record.indexOf('\t');
    if (tab <= 0) continue;
    const size = Number(record.slice(0, tab));
    const path = record.slice(tab + 1);
    if (Number.isFinite(size) && path.length > 0) files.push({ path, sizeBytes: size });
  }
  return files;
}

/** Parses `path<NUL>content<NUL>` pairs. */
export function parseFileContents(out: Buffer): Map<string, string> {
  const parts = out.toString('utf8').split('\0');
  const files = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const path = parts[i];
    if (path) files.set(path, parts[i + 1] ?? '');
  }
  return files;
}

const sqliteMagic = Buffer.from('SQLite format 3\0', 'latin1');

/** Parses `head -v -c 16` output and returns the paths whose first 16 bytes are SQLite's magic. */
export function parseSqliteHeads(out: Buffer): string[] {
  const found: string[] = [];
  const open = Buffer.from('==> ');
  const close = Buffer.from(' <==\n');
  let pos = 0;
  while (pos < out.length) {
    if (out[pos] === 0x0a) {
      pos++;
      continue;
    }
    if (!out.subarray(pos, pos + 4).equals(open)) break;
    const end = out.indexOf(close, pos + 4);
    if (end < 0) break;
    const name = out.subarray(pos + 4, end).toString('utf8');
    const head = out.subarray(end + close.length, end + close.length + 16);
    if (head.equals(sqliteMagic)) found.push(name);
    pos = end + close.length + head.length;
  }
  return found;
}

/**
 * `env_file:` entries of a compose file, resolved against its directory. A small line-based
 * reader (scalar, list, and long `- path:` syntax) is enough: compose files are machine-made
 * or hand-written YAML with these three shapes.
 */
export function composeEnvFiles(text: string, composeFile: string): string[] {
  const dir = posix.dirname(composeFile);
  const files: string[] = [];
  const lines = text.split(/\r?\n/);
  const clean = (v: string) => v.replace(/\s+#.*$/, '').trim().replace(/^["']|["']$/g, '');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)env_file:\s*(.*)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const indent = (m[1] ?? '').length;
    const inline = clean(m[2] ?? '');
    if (inline.startsWith('[')) {
      files.push(...inline.slice(1, -1).split(',').map(clean).filter(Boolean));
    } else if (inline !== '') {
      files.push(inline);
    } else {
      for (let j = i + 1; j < lines.length; j++) {
        const line = lines[j] ?? '';
        if (line.trim() === '' || line.trim().startsWith('#')) continue;
        const lead = line.length - line.trimStart().length;
        if (lead <= indent) break;
        const item = /^\s*-\s*(?:path:\s*)?(.*)$/.exec(line);
        const path = /^\s*path:\s*(.*)$/.exec(line);
        if (item?.[1] && !/^[a-z_]+:\s/.test(item[1])) files.push(clean(item[1]));
        else if (path?.[1]) files.push(clean(path[1]));
      }
    }
  }
  return [...new Set(files.filter((f) => !f.includes('${')).map((f) => posix.resolve(dir, f)))];
}
