import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HostService } from '../../src-main/hosts/host-service';
import { ProgressMeter } from '../../src-main/jobs/progress-meter';
import { rootShell } from '../../src-main/restore/remote-shell';
import { emptyTarReport, lentTreeTar, treeTarFromVault } from '../../src-main/restore/tree-tar';
import { volumeSink } from '../../src-main/restore/volume-sink';
import { readTreeEntries } from '../../src-main/vault/item-reader';
import { openVault } from '../../src-main/vault/vault';
import { labInfo } from '../helpers/lab';
import { backupItem, docker, newVault, treeItem } from '../helpers/volume-pull';
import { timed, waitQuiet } from './bench-kit';
import { fillVolume } from './restore-bench';

/**
 * Stage-by-stage timing of the 1 GiB volume restore, for profiling by hand (not a suite):
 * `node dist/test/bench/restore-profile.js [ours|base|vault|ssh-null|ssh-tar]...`. The source
 * volume, vault and tar file are made once under $LIFEBOAT_PROFILE_DIR (default
 * /var/tmp/lifeboat-restore-profile) and reused.
 */
/** Busy CPU seconds of the whole machine since boot (all cores, /proc/stat). */
function systemBusy(): number {
  const n = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return (n.reduce((a, b) => a + b, 0) - (n[3] ?? 0) - (n[4] ?? 0)) / 100;
}

/** Latest CPU seconds (user, system) seen per thread of this process (Linux), sampled while a stage runs. */
const seen = new Map<string, { user: number; sys: number }>();
function sampleThreads(): void {
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seen.set(tid, { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 });
    } catch {
      /* thread gone */
    }
  }
}
function threadTimes(before: Map<string, { user: number; sys: number }>): string {
  const out: string[] = [];
  for (const [tid, t] of seen) {
    const b = before.get(tid) ?? { user: 0, sys: 0 };
    const [u, s] = [t.user - b.user, t.sys - b.sys];
    if (u + s >= 0.05) out.push(`${tid === String(process.pid) ? 'main' : tid}:${u.toFixed(2)}u+${s.toFixed(2)}s`);
  }
  return out.join(' ');
}

async function main(): Promise<void> {
  const dir = process.env.LIFEBOAT_PROFILE_DIR ?? '/var/tmp/lifeboat-restore-profile';
  const info = labInfo();
  const source = 'lbtest-restore-profile-src';
  const metaFile = join(dir, 'meta.json');
  mkdirSync(dir, { recursive: true });
  const hosts = new HostService({ home: join(dir, 'home'), userHome: join(dir, 'user'), env: {} });
  if (!existsSync(join(dir, 'home', 'hosts.json'))) await hosts.add('lab', `ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`, { identityFile: info.ssh.identityFile, fingerprints: [info.ssh.hostKeyFingerprint] });
  const conn = await hosts.open('lab', {});
  if (!existsSync(metaFile)) {
    docker('volume', 'create', source);
    const mountpoint = docker('volume', 'inspect', source, '--format', '{{.Mountpoint}}');
    fillVolume(mountpoint);
    const vault = await newVault(join(dir, 'vault'));
    const { snapshot, result } = await backupItem(conn, vault, treeItem('volume', source, 'bench'));
    await vault.close();
    execFileSync('tar', ['-C', mountpoint, '--numeric-owner', '-cf', join(dir, 'volume.tar'), '.']);
    writeFileSync(metaFile, JSON.stringify({ snapshot: snapshot.id, item: result.stored.name }));
  }
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { snapshot: string; item: string };
  const vault = await openVault({ dir: join(dir, 'vault'), passphrase: 'test passphrase' });
  const snapshot = await vault.snapshot(meta.snapshot);
  const item = vault.item(snapshot, meta.item);
  const job = { jobId: 'p', signal: new AbortController().signal, meter: new ProgressMeter('p'), report: () => undefined, log: () => undefined, itemDone: () => undefined };
  const tarFile = join(dir, 'volume.tar');
  const fresh = (n: string) => {
    docker('volume', 'rm', '-f', n);
    docker('volume', 'create', n);
    return docker('volume', 'inspect', n, '--format', '{{.Mountpoint}}');
  };
  let run = 0;
  for (const stage of process.argv.slice(2)) {
    const target = `lbtest-restore-profile-t${run++}`;
    let seconds: number;
    const quiet = { worst: 0, waited: 0 };
    await waitQuiet((m) => process.stderr.write(`${m}\n`), quiet);
    const cpu0 = process.cpuUsage();
    sampleThreads();
    const before = new Map(seen);
    const sampler = setInterval(sampleThreads, 100);
    const sys0 = systemBusy();
    if (stage === 'ours') {
      docker('volume', 'rm', '-f', target);
      ({ seconds } = await timed(() => volumeSink.restore({ host: conn, vault, snapshot, item, target: { mode: 'new-volume', volume: target }, job })));
    } else if (stage === 'base') {
      const mp = fresh(target);
      const fd = openSync(tarFile, 'r');
      ({ seconds } = await timed(async () => {
        const child = spawn('ssh', ['-i', info.ssh.identityFile, '-p', String(info.ssh.port), '-o', `UserKnownHostsFile=${(info.ssh as { knownHostsFile?: string }).knownHostsFile ?? ""}`, '-o', 'BatchMode=yes', `${info.ssh.user}@${info.ssh.host}`, `tar -C ${mp} -x`], { stdio: [fd, 'ignore', 'inherit'] });
        await once(child, 'exit');
      }));
      closeSync(fd);
    } else if (stage === 'vault') {
      ({ seconds } = await timed(() => pipeline(treeTarFromVault(vault, snapshot, item, { outsideLinks: 'keep' }, emptyTarReport()), new Writable({ write: (_c, _e, cb) => cb() }))));
    } else if (stage === 'lent-null') {
      ({ seconds } = await timed(() => rootShell(conn).feed('cat > /dev/null', [], lentTreeTar(vault, snapshot, item, { outsideLinks: 'keep' }, emptyTarReport()), 'null')));
    } else if (stage === 'own-tar') {
      const mp = fresh(target);
      ({ seconds } = await timed(() => rootShell(conn).feed('cd "$1" && exec tar -x -f - --numeric-owner', [mp], treeTarFromVault(vault, snapshot, item, { outsideLinks: 'keep' }, emptyTarReport()), 'tar')));
    } else if (stage === 'lent-tar') {
      const mp = fresh(target);
      ({ seconds } = await timed(() => rootShell(conn).feed('cd "$1" && exec tar -x -f - --numeric-owner', [mp], lentTreeTar(vault, snapshot, item, { outsideLinks: 'keep' }, emptyTarReport()), 'tar')));
    } else if (stage === 'lent') {
      ({ seconds } = await timed(async () => {
        for await (const chunk of lentTreeTar(vault, snapshot, item, { outsideLinks: 'keep' }, emptyTarReport())) void chunk;
      }));
    } else if (stage === 'vault-read' || stage === 'vault-open') {
      // Only the pack reads (and optionally the workers' open), without the archive.
      const opener = vault.openers();
      await vault.refreshIndex();
      const deps = vault.readDeps(undefined, opener);
      const ids: Buffer[] = [];
      for await (const e of readTreeEntries(deps, snapshot, item)) for (const c of e.chunks ?? []) ids.push(Buffer.from(c, 'hex'));
      ({ seconds } = await timed(async () => {
        let next = 0;
        const lane = async () => {
          while (next < ids.length) {
            const id = ids[next++] as Buffer;
            const loc = deps.index.get(id);
            if (!loc) throw new Error('missing');
            const { bytes, key } = await vault.packs.readRange(loc.packId, loc.offset, loc.length, 'x');
            if (stage === 'vault-open') await opener.open(id, loc, key, bytes);
          }
        };
        await Promise.all(Array.from({ length: 16 }, lane));
      }));
      await opener.close();
    } else if (stage === 'ssh-null' || stage === 'ssh-null-pipe') {
      const size = 1024 * 2 ** 20;
      const piece = Buffer.alloc(1 << 20, 7);
      async function* gen() {
        for (let i = 0; i < size / piece.length; i++) yield piece;
      }
      const spawnIt = conn.spawn as NonNullable<typeof conn.spawn>;
      if (stage === 'ssh-null') ({ seconds } = await timed(() => rootShell(conn).feed('cat > /dev/null', [], Readable.from(gen()), 'null')));
      else ({ seconds } = await timed(async () => void (await (await spawnIt('cat > /dev/null', { stdin: Readable.from(gen()) })).done)));
    } else if (stage === 'ssh-tar') {
      const mp = fresh(target);
      ({ seconds } = await timed(() => rootShell(conn).feed('cd "$1" && exec tar -x -f - --numeric-owner', [mp], createReadStream(tarFile, { highWaterMark: 1 << 20 }), 'tar')));
    } else throw new Error(`unknown stage ${stage}`);
    docker('volume', 'rm', '-f', target);
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    if (process.env.LIFEBOAT_PROFILE_THREADS) process.stdout.write(`${threadTimes(before)}\n`);
    process.stdout.write(`${stage}: ${seconds.toFixed(2)} s (machine: ${(systemBusy() - sys0).toFixed(2)} CPU s, this process: ${((cpu.user + cpu.system) / 1e6).toFixed(2)} CPU s; waited ${(quiet.waited / 1000).toFixed(0)} s, ${Math.round(quiet.worst * 100)} % busy)\n`);
  }
  await vault.close();
  conn.close();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
