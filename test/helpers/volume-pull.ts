import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inventory, Item } from '../../src-main/api/discovery-contract';
import type { SourceResult } from '../../src-main/backup/source';
import { type VolumeSourceOptions, createVolumeSource } from '../../src-main/backup/volume-source';
import { type HostConnection, HostService } from '../../src-main/hosts/host-service';
import type { JobContext } from '../../src-main/jobs/job-runner';
import { ProgressMeter } from '../../src-main/jobs/progress-meter';
import type { Snapshot } from '../../src-main/vault/snapshots';
import { type Vault, initVault, openVault } from '../../src-main/vault/vault';
import { labInfo } from './lab';
import { previousOf } from './tree-view';

/** Label and name prefix of everything these tests create in the lab. */
export const testLabel = 'org.lifeboat.test=sync';

/** A vault in a fresh directory (scrypt at the floor, to keep tests fast). */
export async function newVault(dir: string): Promise<Vault> {
  await initVault({ dir, passphrase: 'test passphrase', kdfLogN: 16 });
  return openVault({ dir, passphrase: 'test passphrase' });
}

/** An open lab connection (as `user`, trusting the lab's key by fingerprint) and a fresh vault. */
export interface LabSession {
  readonly hosts: HostService;
  readonly conn: HostConnection;
  readonly vault: Vault;
  readonly dir: string;
  close(): Promise<void>;
}

/** Adds the lab as host `lab` in a temp home, opens it and creates a vault next to it. */
export async function openLabSession(tag: string, user = labInfo().ssh.user): Promise<LabSession> {
  const dir = mkdtempSync(join(tmpdir(), `lifeboat-${tag}-`));
  const { host, port, identityFile, hostKeyFingerprint } = labInfo().ssh;
  const hosts = new HostService({ home: join(dir, 'home'), userHome: join(dir, 'user'), env: {}, connectTimeoutMs: 5000 });
  await hosts.add('lab', `ssh://${user}@${host}:${port}`, { identityFile, fingerprints: [hostKeyFingerprint] });
  const conn = await hosts.open('lab', {});
  const vault = await newVault(join(dir, 'vault'));
  return {
    hosts,
    conn,
    vault,
    dir,
    close: async () => {
      await vault.close();
      conn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A job context that records phases, progress and logs. */
export function testJob(signal?: AbortSignal): JobContext & { logs: string[]; phases: string[] } {
  const logs: string[] = [];
  const phases: string[] = [];
  const meter = new ProgressMeter('test');
  const setPhase = meter.setPhase.bind(meter);
  meter.setPhase = (phase, label, options) => {
    phases.push(phase);
    if (process.env.LIFEBOAT_TEST_TIMING) console.log(`${new Date().toISOString()} ${phase}`);
    setPhase(phase, label, options);
  };
  return { jobId: 'test', signal: signal ?? new AbortController().signal, meter, report: () => undefined, log: (level, m) => logs.push(`${level}: ${m}`), itemDone: () => undefined, logs, phases };
}

/** The item discovery would report for a volume or a bind mount. */
export function treeItem(kind: 'volume' | 'bind', name: string, stack = '_'): Item {
  return { id: `${stack}/${kind}:${name}`, stack, kind, name, ...(kind === 'volume' ? { volume: name } : { path: name }), covered: false, secret: false, notes: [] };
}

/** Backs one item up into its own snapshot, against the previous copy in the vault. */
export async function backupItem(conn: HostConnection, vault: Vault, item: Item, options: VolumeSourceOptions = {}, job = testJob()): Promise<{ snapshot: Snapshot; result: SourceResult; job: ReturnType<typeof testJob> }> {
  const previous = await previousOf(vault, item.id);
  const snapshot = await vault.createSnapshot({ host: 'lab' });
  try {
    const result = await createVolumeSource(options).backup({ host: conn, inventory: {} as Inventory, item, snapshot, vault, ...(previous ? { previous } : {}), job });
    return { snapshot: await snapshot.commit(), result, job };
  } catch (err) {
    await snapshot.abort();
    throw err;
  }
}

/** `docker` with the lab's daemon. */
export function docker(...args: string[]): string {
  // A time limit: a synchronous docker call that hangs would block vitest's own timeouts too.
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim();
}

/** The lab's image names. */
export function labImage(name: 'app' | 'tools'): string {
  const images = (labInfo() as { images?: Record<string, string> }).images ?? {};
  return images[name] ?? `lifeboat-lab/${name}:latest`;
}

/** A throwaway volume (with a container of `image` mounting it at /data), removed by `remove`. */
export function throwawayVolume(tag: string, image: 'app' | 'tools' = 'app'): { volume: string; container: string; mountpoint: string; remove(): void } {
  const id = `lbtest-${tag}-${process.pid}`;
  docker('volume', 'create', '--label', testLabel, id);
  docker('run', '-d', '--name', id, '--label', testLabel, '--network', 'none', '-v', `${id}:/data`, labImage(image));
  const mountpoint = docker('volume', 'inspect', id, '--format', '{{.Mountpoint}}');
  return {
    volume: id,
    container: id,
    mountpoint,
    remove: () => {
      try {
        docker('rm', '-f', id);
      } finally {
        docker('volume', 'rm', '-f', id);
      }
    },
  };
}
