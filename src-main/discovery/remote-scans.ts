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
 * 4000 files per volume, so one huge volume cannot hide the others), printed by one `head -v`
 * per batch. Names with a newline or head's own markers are skipped so the output parses
 * without ambiguity.
 */
export const sqliteScanScript = [
  'if head -z -n 1 </dev/null >/dev/null 2>&1; then lim() { head -z -n 4000; }; else lim() { cat; }; fi',
  `for d in "$@"; do find "$d" -xdev -maxdepth 8 -type f -size +511c ! -name '*\n*' ! -name '*==> *' ! -name '* <==*' -print0 2>/dev/null | lim; done | xargs -0 -r head -v -c 16 -- 2>/dev/null`,
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

/** Scans that run together in one remote shell (one SSH exec instead of four). */
export const combinedScans = { compose: readFilesScript, certs: certScanScript, du: duScript, sqlite: sqliteScanScript } as const;
export type ScanName = keyof typeof combinedScans;

/**
 * One script running several scans, each on its own group of arguments. Arguments are
 * `NONCE group0… NONCE group1… …`; a group's members are passed to its function by position
 * (`"${7}"`), so eval only ever sees digits and never a server-supplied name. Each section of
 * the output starts with `\n<NONCE>:<name>\n`; the nonce is random per run, so no file content
 * can forge a section boundary.
 */
export function combinedScanScript(names: readonly ScanName[]): string {
  const lines = [
    'sep="$1"; shift',
    'grp() { n=$1; shift; i=0; k=0; G=""; for a in "$@"; do k=$((k+1)); if [ "$a" = "$sep" ]; then i=$((i+1)); elif [ "$i" -eq "$n" ]; then G="$G \\"\\${$k}\\""; fi; done; }',
  ];
  names.forEach((name, index) => {
    lines.push(`scan_${name}() {\n${combinedScans[name]}\n}`);
    lines.push(`printf '\\n%s:%s\\n' "$sep" ${name}; grp ${index} "$@"; if [ -n "$G" ]; then eval "scan_${name} $G"; fi`);
  });
  lines.push('true');
  return lines.join('\n');
}

/** The argv tail for `combinedScanScript`: nonce, then each group preceded by the nonce. */
export function combinedScanArgs(nonce: string, groups: readonly (readonly string[])[]): string[] {
  return [nonce, ...groups.flatMap((g, i) => (i === 0 ? [...g] : [nonce, ...g]))];
}

/** Splits combined output into sections by name. */
export function splitSections(out: Buffer, nonce: string): Map<string, Buffer> {
  const sections = new Map<string, Buffer>();
  const marker = Buffer.from(`\n${nonce}:`);
  let at = out.indexOf(marker);
  while (at >= 0) {
    const nameEnd = out.indexOf(0x0a, at + marker.length);
    if (nameEnd < 0) break;
    const name = out.subarray(at + marker.length, nameEnd).toString('latin1');
    const next = out.indexOf(marker, nameEnd + 1);
    sections.set(name, out.subarray(nameEnd + 1, next < 0 ? out.length : next));
    at = next;
  }
  return sections;
}

/** Every process on the host with its parent (procps and busybox both print this). */
export const psScript = 'ps -e -o pid= -o ppid= -o comm= 2>/dev/null || ps -o pid= -o ppid= -o comm= 2>/dev/null; true';

/**
 * Process names per container: each container's init PID (State.Pid) and all its
 * descendants in the host's process table, in one `ps` instead of a `docker top` per container.
 */
export function processesByContainer(psOut: string, initPids: ReadonlyMap<string, number>): Map<string, string[]> {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const line of psOut.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const ppid = Number(m[2]);
    names.set(pid, (m[3] ?? '').trim());
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out = new Map<string, string[]>();
  for (const [id, root] of initPids) {
    if (!names.has(root)) continue;
    const seen: string[] = [];
    const stack = [root];
    while (stack.length > 0 && seen.length < 500) {
      const pid = stack.pop() as number;
      seen.push(names.get(pid) ?? '');
      stack.push(...(children.get(pid) ?? []));
    }
    out.set(id, seen);
  }
  return out;
}
