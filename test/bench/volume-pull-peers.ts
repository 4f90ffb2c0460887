import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabInfo } from '../helpers/lab';
import { toolVersion } from './bench-kit';
import { type PeerTool, hasPeer, initPeerRepo, ownDuration, peerEnv, runPeer } from './peer-repos';

/** CPU seconds the whole machine has spent so far (every process and the kernel), from /proc/stat. */
export function machineCpuSeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system (idle iowait) irq softirq steal
  const busy = [0, 1, 2, 5, 6, 7].reduce((n, i) => n + (fields[i] ?? 0), 0);
  return busy / 100;
}

/** OpenSSH client arguments for the lab (key, port, the lab's known_hosts). */
export function sshArgs(info: LabInfo): string[] {
  const knownHosts = (info.ssh as { knownHostsFile?: string }).knownHostsFile ?? '/dev/null';
  return ['-i', info.ssh.identityFile, '-p', String(info.ssh.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes'];
}

/** `ssh host tar -C dir -c . > file`: the first-pull peer; returns the archive's size. */
export function sshTar(info: LabInfo, dir: string, out: string): number {
  const ssh = ['ssh', ...sshArgs(info), `${info.ssh.user}@${info.ssh.host}`, `tar -C '${dir}' -c .`].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('sh', ['-c', `${ssh} > '${out}'`], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`ssh tar failed: ${r.stderr.toString()}`);
  return statSync(out).size;
}

/** `rsync -a --stats` over the lab's sshd into `dest`; returns the bytes rsync moved both ways. */
export function rsyncPull(info: LabInfo, dir: string, dest: string): number {
  const rsh = ['ssh', ...sshArgs(info)].join(' ');
  const out = execFileSync('rsync', ['-a', '--stats', '-e', rsh, `${info.ssh.user}@${info.ssh.host}:${dir}/`, `${dest}/`], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const num = (label: string) => Number((new RegExp(`${label}: ([\\d,.]+)`).exec(out)?.[1] ?? 'NaN').replace(/[,.]/g, ''));
  return num('Total bytes sent') + num('Total bytes received');
}

/** A tool's time to back a tree up: wall clock of the command and by the tool's own clock. */
export interface LocalBackup {
  readonly tool: string;
  readonly seconds: number;
  /** The backup's duration as the tool reports it (after its start-up and key derivation). */
  readonly own: number;
}

/**
 * `restic backup DIR` or `borg create REPO::a DIR` into a fresh repository under `scratch`: the
 * same tree read straight from the local disk, no network — how long the established
 * deduplicating, encrypting tools take to store it on this machine (a reference for the first
 * pull's target). Undefined when the tool is not installed.
 */
export function localToolBackup(tool: PeerTool, dir: string, scratch: string): LocalBackup | undefined {
  if (!hasPeer(tool)) return undefined;
  const repo = join(scratch, `local-${tool}`);
  const env = peerEnv(tool, scratch, 'bench');
  try {
    initPeerRepo(tool, repo, env);
    const t0 = process.hrtime.bigint();
    const out = runPeer(tool, tool === 'restic' ? ['-q', '-r', repo, 'backup', '--json', dir] : ['create', '--json', `${repo}::a`, dir], env);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { tool: toolVersion(tool, tool === 'restic' ? ['version'] : ['--version']), seconds, own: ownDuration(tool, out) || seconds };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

/** The rsync version line. */
export function rsyncVersion(): string {
  return execFileSync('rsync', ['--version'], { encoding: 'utf8' }).split('\n')[0]?.trim() ?? 'rsync';
}

/** Deterministic-size text (compressible, like documents and configs). */
function text(bytes: number, seed: number): Buffer {
  const line = `note ${seed} lorem ipsum dolor sit amet, homelab backup line `;
  return Buffer.from(line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes));
}

/**
 * A homelab-like 1 GiB volume: 280 "photos" of 1–5 MiB (random bytes: incompressible) and
 * 3000 documents of 1–120 KiB (text), in nested folders. Returns the file paths.
 */
export function fillVolume(root: string): string[] {
  const files: string[] = [];
  for (let i = 0; i < 280; i++) {
    const dir = join(root, 'photos', `album-${String(i % 14).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `img-${String(i).padStart(4, '0')}.jpg`);
    writeFileSync(path, randomBytes(((i % 5) + 1) * 1024 * 1024 - (i % 7) * 1000));
    files.push(path);
  }
  for (let i = 0; i < 3000; i++) {
    const dir = join(root, 'docs', `year-${2015 + (i % 10)}`, `month-${String(i % 12).padStart(2, '0')}`);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `doc-${String(i).padStart(5, '0')}.md`);
    writeFileSync(path, text(1024 + ((i * 7919) % (120 * 1024)), i));
    files.push(path);
  }
  mkdirSync(join(root, 'empty', 'dir'), { recursive: true });
  return files;
}

/** Rewrites every 100th file (offset by `round`) with new content of the same size: 1 % changed. */
export function changeOnePercent(files: readonly string[], round: number): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (let i = round; i < files.length; i += 100) {
    const path = files[i] as string;
    const size = statSync(path).size;
    writeFileSync(path, path.endsWith('.jpg') ? randomBytes(size) : text(size, i * 1000 + round));
    count++;
    bytes += size;
  }
  return { count, bytes };
}

/** Total size and file count of a tree. */
export function treeSize(root: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.isFile()) {
        bytes += statSync(join(dir, e.name)).size;
        files++;
      }
    }
  };
  walk(root);
  return { bytes, files };
}

/** A 256 MiB SQLite database (65 000 rows of 4000-byte blobs, 4 KiB pages), made with the sqlite3 CLI. */
export function makeSqlite(path: string): void {
  execFileSync('sqlite3', [path, 'PRAGMA page_size=4096; CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 65000) INSERT INTO t SELECT x, randomblob(4000) FROM c;']);
}

/** Rewrites 256 consecutive rows (1 MiB of pages) in place through SQLite itself. */
export function updateSqlite(path: string, round: number): void {
  const first = 5000 + round * 17_000;
  execFileSync('sqlite3', [path, `UPDATE t SET b = randomblob(4000) WHERE id BETWEEN ${first} AND ${first + 255};`]);
}
