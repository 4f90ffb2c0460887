import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import Docker from 'dockerode';
import { runCli } from '../../../src-main/cli/run-cli';
import { allCommands } from '../../../src-main/cli/commands';
import { type TableStats, mysqlTableStats, pgTableStats } from '../../../src-main/databases/table-stats';
import { type Engine, createEngine } from '../../../src-main/engine/engine';
import { Catalog } from '../../../src-main/vault/catalog';
import { initVault, openVault, type Vault } from '../../../src-main/vault/vault';
import { labInfo } from '../../helpers/lab';
import { labUrl } from '../hosts/hosts-helpers';
import { docker } from '../sync/pull-helpers';

/** The Docker API of the lab (the local socket), for checks that bypass Lifeboat. */
export const labDocker = new Docker();
/** Label of everything these tests create. */
export const dbTestLabel = 'org.lifeboat.test=restore-db';
export const passphrase = 'restore test passphrase';

/** Bytes printed by a command in a container (dumps, query output). */
export function execIn(container: string, script: string, input?: Buffer | string): Buffer {
  return execFileSync('docker', ['exec', ...(input !== undefined ? ['-i'] : []), container, 'sh', '-c', script], { maxBuffer: 512 * 2 ** 20, stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

/** A fresh home (hosts, catalog) and vault, a lab host "lab" (root over SSH) and an engine on them. */
export async function dbLab(): Promise<{ home: string; vaultDir: string; engine: Engine; vault(): Promise<Vault>; close(): Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-restore-db-'));
  const home = join(root, 'home');
  const vaultDir = join(root, 'vault');
  await initVault({ dir: vaultDir, passphrase, kdfLogN: 16 });
  const engine = createEngine({ door: 'cli', home });
  const { ssh } = labInfo();
  await engine.hosts.add('lab', labUrl(), { identityFile: ssh.identityFile, fingerprints: [ssh.hostKeyFingerprint] });
  const opened: Vault[] = [];
  const catalogs: Catalog[] = [];
  return {
    home,
    vaultDir,
    engine,
    async vault() {
      const catalog = Catalog.open(join(home, 'catalog.sqlite'));
      catalogs.push(catalog);
      const v = await openVault({ dir: vaultDir, passphrase, catalog });
      opened.push(v);
      return v;
    },
    async close() {
      for (const v of opened) await v.close();
      for (const c of catalogs) c.close();
      await engine.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Stores bytes as a one-item snapshot of host "lab", the way the backup sources record dumps. */
export async function storeItem(vault: Vault, name: string, kind: string, info: Record<string, string>, bytes: Buffer, tags: string[] = []): Promise<string> {
  const writer = await vault.createSnapshot({ host: 'lab', tags });
  await writer.addStream({ name, kind, info }, (async function* () {
    yield bytes;
  })());
  return (await writer.commit()).id;
}

/** Info of a database item as the sources write it, with rows (and checksums when given) recorded. */
export function dbInfo(engine: 'postgres' | 'mysql', database: string, container: string, stats: TableStats, withChecksums = true): Record<string, string> {
  const rows = Object.fromEntries(Object.entries(stats).map(([t, s]) => [t, s.rows]));
  const sums = Object.fromEntries(Object.entries(stats).map(([t, s]) => [t, s.checksum]));
  return {
    format: engine === 'postgres' ? 'pg_dump -Fc -Z0' : 'mariadb-dump --single-transaction',
    database,
    container,
    rows: JSON.stringify(rows),
    ...(withChecksums ? { checksums: JSON.stringify(sums), checksumMethod: engine === 'postgres' ? 'pg-md5-sorted-row-md5-v1' : 'mysql-checksum-table-v1' } : {}),
  };
}

/** Stats of a live database (rows and checksums). */
export function liveStats(engine: 'postgres' | 'mysql', container: string, database: string): Promise<TableStats> {
  return engine === 'postgres' ? pgTableStats(labDocker, container, database, true) : mysqlTableStats(labDocker, container, database, true);
}

/** A throwaway database server container of the lab image, ready for connections; `remove` deletes it with its volumes. */
export async function throwawayServer(engine: 'postgres' | 'mysql', tag: string, env: string[]): Promise<{ name: string; remove(): void }> {
  const name = `lbtest-${tag}-${process.pid}`;
  docker('rm', '-f', '-v', name);
  const image = (labInfo() as { images?: Record<string, string> }).images?.[engine === 'postgres' ? 'postgres' : 'mariadb'] ?? '';
  docker('run', '-d', '--name', name, '--label', dbTestLabel, '--network', 'none', ...env.flatMap((e) => ['-e', e]), image);
  const probe = engine === 'postgres' ? 'pg_isready -q -h 127.0.0.1' : 'mariadb-admin --protocol=tcp -h127.0.0.1 ping';
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      execIn(name, probe);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not become ready`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { name, remove: () => docker('rm', '-f', '-v', name) };
}

/** Runs the CLI in-process against the test home; returns exit code and output. */
export async function cli(home: string, vaultDir: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const sink = () => {
    const chunks: Buffer[] = [];
    const w = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(Buffer.from(c)), cb()) }) as Writable & { text(): string };
    w.text = () => Buffer.concat(chunks).toString('utf8');
    return w;
  };
  const stdout = sink();
  const stderr = sink();
  const saved = process.env.LIFEBOAT_HOME;
  process.env.LIFEBOAT_HOME = home;
  try {
    const code = await runCli(argv, { stdout, stderr, stdin: new PassThrough(), env: { LIFEBOAT_VAULT: vaultDir, LIFEBOAT_PASSPHRASE: passphrase } }, allCommands);
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    if (saved === undefined) delete process.env.LIFEBOAT_HOME;
    else process.env.LIFEBOAT_HOME = saved;
  }
}

/** Passes the first `n` bytes, then ends: a dump cut off halfway. */
export function truncate(s: NodeJS.ReadableStream, n: number): Readable {
  return Readable.from((async function* () {
    let left = n;
    for await (const chunk of s as AsyncIterable<Buffer>) {
      if (left <= 0) break;
      yield chunk.subarray(0, left);
      left -= chunk.length;
    }
  })());
}

/** Passes the stream on in 16 KiB pieces with a pause between them, so a restore takes seconds. */
export function slow(s: NodeJS.ReadableStream): Readable {
  return Readable.from((async function* () {
    for await (const chunk of s as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i += 16384) {
        yield chunk.subarray(i, i + 16384);
        await new Promise((r) => setTimeout(r, 60));
      }
    }
  })());
}
