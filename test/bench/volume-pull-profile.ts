/*
 * Times the stages of a first pull by hand, each after waiting for a quiet machine, with the
 * whole machine's CPU seconds: `node dist/test/bench/volume-pull-profile.js STEP…` where STEP is
 * `peer` (ssh tar > file), `rawssh`/`parse` (SSH only, SSH + tar parse), `localpull` (a local
 * `tar -c` through one ingest loop, `SnapshotWriter.ingestFiles`), `localpull1` (one ingest per file, the
 * old way), `alone` (one stream item) or `ours` (the real first pull). Add `--cpu-prof` to node
 * for profiles. Uses (and fills once) the Docker volume `lbprof-pull`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HostService } from '../../src-main/hosts/host-service';
import { receiveTar, tarMembers } from '../../src-main/sync/tar-ingest';
import { ingestInto, loopIngest, storeMember, wholeIngest } from '../../src-main/sync/tree-pull';
import { TarFileStore } from '../../src-main/sync/ingest-pipeline';
import { labInfo } from '../helpers/lab';
import { ours } from './volume-pull-bench';
import { newVault, testLabel, treeItem } from '../helpers/volume-pull';
import { busyFraction, timed, waitQuiet } from './bench-kit';
import { fillVolume, sshTar } from './volume-pull-peers';

const VOL = 'lbprof-pull';
const scratch = '/tmp/lbprof';

function machineCpu(): number {
  const n = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (n[0]! + n[1]! + n[2]! + n[5]! + n[6]!) / 100;
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8' }).trim();
}

async function main(): Promise<void> {
  const what = process.argv.slice(2);
  const info = labInfo();
  let mp: string;
  try {
    mp = docker('volume', 'inspect', VOL, '--format', '{{.Mountpoint}}');
  } catch {
    docker('volume', 'create', '--label', testLabel, VOL);
    mp = docker('volume', 'inspect', VOL, '--format', '{{.Mountpoint}}');
    fillVolume(mp);
  }
  rmSync(scratch, { recursive: true, force: true });
  const hosts = new HostService({ home: join(scratch, 'home'), userHome: join(scratch, 'user'), env: {} });
  await hosts.add('lab', `ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`, { identityFile: info.ssh.identityFile, fingerprints: [info.ssh.hostKeyFingerprint] });
  const item = treeItem('volume', VOL);
  const log = (m: string) => console.log(`${m}`);
  console.log(`busy before: ${Math.round((await busyFraction()) * 100)} %`);
  const quiet = { worst: 0, waited: 0 };
  for (const w of what) {
    await waitQuiet(() => undefined, quiet);
    const m0 = machineCpu();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    console.log(`[quiet: waited ${(quiet.waited / 1000).toFixed(0)} s, busy ${Math.round(quiet.worst * 100)} %] start ${t0 / 1000n}`);
    await step(w);
    const c = process.cpuUsage(c0);
    console.log(`   -> machine cpu ${(machineCpu() - m0).toFixed(2)} s, node cpu ${((c.user + c.system) / 1e6).toFixed(2)} s; end ${process.hrtime.bigint() / 1000n} (${Number(process.hrtime.bigint() - t0) / 1e9} s)`);
  }
  async function step(w: string): Promise<void> {
    if (w === 'peer') {
      const r = await timed(async () => sshTar(info, mp, join('/tmp', 'lbprof-peer.tar')));
      rmSync('/tmp/lbprof-peer.tar', { force: true });
      log(`peer ssh tar > file: ${r.seconds.toFixed(2)} s`);
    } else if (w.startsWith('rawssh') || w === 'parse') {
      const conn = await hosts.open('lab', {});
      const r = await timed(async () => {
        const proc = await (conn.spawn as NonNullable<typeof conn.spawn>)(w === 'rawssh' || w === 'parse' ? `tar -C '${mp}' -c .` : `tar -b ${w.slice(6)} -C '${mp}' -c .`);
        let n = 0;
        if (w.startsWith('rawssh')) {
          for await (const chunk of proc.stdout as AsyncIterable<Buffer>) n += chunk.length;
        } else {
          for await (const m of tarMembers(proc.stdout)) {
            for await (const b of m.body) n += (b as Buffer).length;
          }
        }
        await proc.done;
        return n;
      });
      conn.close();
      log(`${w}: ${r.seconds.toFixed(2)} s, ${(r.value / 2 ** 20).toFixed(0)} MiB`);
    } else if (w === 'localpull' || w === 'localpull1') {
      const dir = join(scratch, 'lp');
      const vault = await newVault(dir);
      const writer = await vault.createSnapshot({ host: 'bench' });
      const tar = spawn('tar', ['-C', mp, '-c', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const itemOptions = { name: 'x', kind: 'volume' };
      const loop = w === 'localpull' ? writer.ingestFiles(itemOptions) : undefined;
      const perFile = ingestInto({ snapshot: writer, vault, item: itemOptions });
      // The tar's files through one ingest loop (as the pull does) or one ingest each.
      const ingest = loop ? loopIngest(loop) : wholeIngest(perFile);
      const r = await timed(async () => {
        const store = new TarFileStore();
        const pending: Promise<unknown>[] = [];
        await receiveTar(tar.stdout, (m, flow) => {
          if (m.type !== 'file') return undefined;
          const { sink, done } = storeMember(store, ingest, m.size, flow, 16 << 20, 1 << 20);
          done.catch(() => undefined);
          pending.push(done);
          return sink;
        });
        await store.drain();
        await loop?.close();
        await Promise.all(pending);
        await writer.addStream({ name: 't', kind: 'x' }, (async function* () { yield Buffer.from('x'); })());
        await writer.commit();
      });
      await vault.close();
      rmSync(dir, { recursive: true, force: true });
      log(`local pull (tar pipe, ${loop ? 'one ingest loop' : 'one ingest per file'}): ${r.seconds.toFixed(2)} s`);
    } else if (w === 'alone') {
      const dir = join(scratch, 'alone');
      const vault = await newVault(dir);
      const writer = await vault.createSnapshot({ host: 'bench' });
      const tar = spawn('tar', ['-C', mp, '-c', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
      const r = await timed(async () => {
        await writer.addStream({ name: 'tar', kind: 'bench' }, tar.stdout);
        await writer.commit();
      });
      await vault.close();
      rmSync(dir, { recursive: true, force: true });
      log(`vault alone: ${r.seconds.toFixed(2)} s`);
    } else if (w === 'ours') {
      const dir = join(scratch, 'vault');
      rmSync(dir, { recursive: true, force: true });
      const vault = await newVault(dir);
      const cpu0 = process.cpuUsage();
      const r = await ours(hosts, vault, item);
      const cpu = process.cpuUsage(cpu0);
      await vault.close();
      log(`ours first pull: ${r.seconds.toFixed(2)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, wire ${(r.bytes / 2 ** 20).toFixed(0)} MiB`);
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
  }
}

void main().then(() => process.exit(0));

