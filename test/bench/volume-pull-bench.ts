import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus as cpuList, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Item } from '../../src-main/api/discovery-contract';
import { HostService } from '../../src-main/hosts/host-service';
import type { Vault } from '../../src-main/vault/vault';
import { labInfo } from '../helpers/lab';
import { backupItem, newVault, throwawayVolume, treeItem } from '../helpers/volume-pull';
import { type BenchSuite, ratio, timed, waitQuiet } from './bench-kit';
import { type LocalBackup, changeOnePercent, fillVolume, localToolBackup, machineCpuSeconds, makeSqlite, rsyncPull, rsyncVersion, sshTar, treeSize, updateSqlite } from './volume-pull-peers';

const MiB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

const mib = (n: number) => `${(n / MiB).toFixed(2)} MiB`;
const sec = (n: number) => `${n.toFixed(2)} s`;
const verdict = (ok: boolean, target: string) => `${ok ? 'meets' : '**MISSES**'} ${target}`;
const cpuRange = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} s`;

/** Seconds the vault takes to store a local `tar -c` of `dir` as one stream item (its ingest rate). */
async function vaultAlone(dir: string, tree: string): Promise<number> {
  const vault = await newVault(dir);
  try {
    const writer = await vault.createSnapshot({ host: 'bench' });
    const tar = spawn('tar', ['-C', tree, '-c', '.'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const r = await timed(async () => {
      await writer.addStream({ name: 'tar', kind: 'bench' }, tar.stdout);
      await writer.commit();
    });
    return r.seconds;
  } finally {
    await vault.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One pull as the engine runs it: open the host, pull into a new snapshot, commit. */
export async function ours(hosts: HostService, vault: Vault, item: Item, onOpen = false): Promise<{ seconds: number; bytes: number; info: Record<string, string> }> {
  if (onOpen) {
    const conn = await hosts.open('lab', {});
    try {
      const r = await timed(() => backupItem(conn, vault, item));
      return { seconds: r.seconds, bytes: r.value.result.bytesTransferred, info: r.value.result.stored.info };
    } finally {
      conn.close();
    }
  }
  const r = await timed(async () => {
    const conn = await hosts.open('lab', {});
    try {
      return await backupItem(conn, vault, item);
    } finally {
      conn.close();
    }
  });
  return { seconds: r.seconds, bytes: r.value.result.bytesTransferred, info: r.value.result.stored.info };
}

/** Rounds of the first pull (each a fresh vault) and of its peer. */
const FIRST_ROUNDS = 5;

/**
 * The rsync-style pull against its peers over the lab's loopback sshd: first pull of a 1 GiB
 * volume vs `ssh host tar -c`, a no-op pull and a 1 % change vs `rsync -a`, and a 256 MiB
 * SQLite file with 1 MiB rewritten in place (block delta) vs rsync.
 */
export const volumePullBench: BenchSuite = {
  id: 'volume-pull',
  title: 'Rsync-style pull of volumes over SSH',
  async run({ scratch, log }) {
    const info = labInfo();
    const loadStart = loadavg()[0]?.toFixed(1);
    const cpus = cpuList().length;
    const hosts = new HostService({ home: join(scratch, 'home'), userHome: join(scratch, 'user'), env: {} });
    await hosts.add('lab', `ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`, { identityFile: info.ssh.identityFile, fingerprints: [info.ssh.hostKeyFingerprint] });
    // Every timed run starts on a quiet machine (other work shares these cores); how long that
    // took and the busiest start are reported with the numbers.
    const quiet = { worst: 0, waited: 0 };
    const loads: number[] = [];
    const settle = async () => {
      await waitQuiet(log, quiet);
      loads.push(loadavg()[0] ?? 0);
    };
    /** Wall time and the whole machine's CPU seconds (every process: ours, sshd, tar, workers). */
    const measured = async <T>(fn: () => Promise<T>): Promise<{ seconds: number; cpu: number; value: T }> => {
      await settle();
      const cpu0 = machineCpuSeconds();
      const r = await timed(fn);
      return { ...r, cpu: machineCpuSeconds() - cpu0 };
    };
    const vol = throwawayVolume('bench-pull');
    const db = throwawayVolume('bench-sqlite');
    try {
      log('filling a 1 GiB volume');
      const files = fillVolume(vol.mountpoint);
      const size = treeSize(vol.mountpoint);
      const item = treeItem('volume', vol.volume);

      log('first pull: Lifeboat vs ssh tar');
      const firstOurs: number[] = [];
      const firstPeer: number[] = [];
      const firstOursCpu: number[] = [];
      const firstPeerCpu: number[] = [];
      let firstBytes = 0;
      let tarBytes = 0;
      let vault: Vault | undefined;
      // Five rounds, and who goes first alternates: the peer's time varies from run to run
      // (2.0–2.9 s on the reference machine), so one order or three rounds can flatter either side.
      const peerRun = async () => {
        const p = await measured(async () => sshTar(info, vol.mountpoint, join(scratch, 'peer.tar')));
        firstPeer.push(p.seconds);
        firstPeerCpu.push(p.cpu);
        tarBytes = p.value;
        rmSync(join(scratch, 'peer.tar'), { force: true });
      };
      for (let i = 0; i < FIRST_ROUNDS; i++) {
        if (i % 2 === 1) await peerRun();
        await vault?.close();
        rmSync(join(scratch, 'vault'), { recursive: true, force: true });
        vault = await newVault(join(scratch, 'vault'));
        const v0 = vault;
        const r = await measured(() => ours(hosts, v0, item));
        firstOurs.push(r.value.seconds);
        firstOursCpu.push(r.cpu);
        firstBytes = r.value.bytes;
        if (i % 2 === 0) await peerRun();
      }
      const v = vault as Vault;
      log('reference: the vault alone, one local tar stream of the same tree');
      await settle();
      const alone = await vaultAlone(join(scratch, 'vault-alone'), vol.mountpoint);
      log('reference: restic and borg storing the same tree from the local disk');
      const localTools: { backup: LocalBackup; cpu: number }[] = [];
      for (const tool of ['restic', 'borg'] as const) {
        const m = await measured(async () => localToolBackup(tool, vol.mountpoint, scratch));
        if (m.value) localTools.push({ backup: m.value, cpu: m.cpu });
      }
      const rsyncDest = join(scratch, 'rsync');
      const rsyncFirst = await measured(async () => rsyncPull(info, vol.mountpoint, rsyncDest));

      log('no-op pulls');
      const noopOurs: number[] = [];
      const noopOpen: number[] = [];
      const noopPeer: number[] = [];
      let noopBytes = 0;
      let noopRsyncBytes = 0;
      for (let i = 0; i < 5; i++) {
        await settle();
        const r = await ours(hosts, v, item);
        noopOurs.push(r.seconds);
        noopBytes = r.bytes;
        await settle();
        noopOpen.push((await ours(hosts, v, item, true)).seconds);
        const p = await measured(async () => rsyncPull(info, vol.mountpoint, rsyncDest));
        noopPeer.push(p.seconds);
        noopRsyncBytes = p.value;
      }

      log('1 % of files changed');
      const changedRows: string[] = [];
      const ratios: number[] = [];
      for (let round = 1; round <= 3; round++) {
        const changed = changeOnePercent(files, round);
        await settle();
        const r = await ours(hosts, v, item);
        const p = await measured(async () => rsyncPull(info, vol.mountpoint, rsyncDest));
        ratios.push(r.bytes / p.value);
        changedRows.push(`| round ${round}: ${changed.count} files, ${mib(changed.bytes)} rewritten | ${mib(r.bytes)} in ${sec(r.seconds)} (fetched ${r.info.fetched}) | ${mib(p.value)} in ${sec(p.seconds)} | ${ratio(r.bytes, p.value)} bytes, ${ratio(r.seconds, p.seconds)} time |`);
      }

      log('256 MiB SQLite, 1 MiB rewritten in place');
      makeSqlite(join(db.mountpoint, 'app.sqlite'));
      const dbItem = treeItem('volume', db.volume);
      await ours(hosts, v, dbItem);
      const dbDest = join(scratch, 'rsync-db');
      rsyncPull(info, db.mountpoint, dbDest);
      const sqliteRows: string[] = [];
      let worstSqlite = 0;
      for (let round = 0; round < 3; round++) {
        updateSqlite(join(db.mountpoint, 'app.sqlite'), round);
        await settle();
        const r = await ours(hosts, v, dbItem);
        const p = await measured(async () => rsyncPull(info, db.mountpoint, dbDest));
        worstSqlite = Math.max(worstSqlite, r.bytes);
        sqliteRows.push(`| round ${round + 1} | ${mib(r.bytes)} in ${sec(r.seconds)} (blocks ${r.info.deltaBlocks}) | ${mib(p.value)} in ${sec(p.seconds)} | ${ratio(r.bytes, p.value)} bytes, ${ratio(r.seconds, p.seconds)} time |`);
      }
      await v.close();

      // Ratios use the best run of each side: the machine is shared, and the best run is the
      // least disturbed estimate of what each tool costs.
      const best = (xs: number[]) => Math.min(...xs);
      // The target counts as met only when the best times and the medians both are within it.
      const first = Math.max(best(firstOurs) / best(firstPeer), median(firstOurs) / median(firstPeer));
      const bestOk = best(firstOurs) / best(firstPeer) <= 1.5;
      const medianOk = median(firstOurs) / median(firstPeer) <= 1.5;
      const firstVerdict = bestOk === medianOk ? verdict(bestOk, 'the 1.5× target on both') : `meets the 1.5× target on ${bestOk ? 'best times' : 'medians'}, **MISSES** it on ${bestOk ? 'medians' : 'best times'} (both are required)`;
      const roundRatios = firstOurs.map((t, i) => (t / (firstPeer[i] as number)).toFixed(2)).join(', ');
      const noopT = best(noopOurs) / best(noopPeer);
      const worst = Math.max(...ratios);
      return [
        `Host: the lab's sshd on 127.0.0.1, host rung (root). Volume: ${size.files} files, ${mib(size.bytes)} (280 random 1–5 MiB "photos", 3000 text documents of 1–120 KiB). ${rsyncVersion()}. Lifeboat's times include opening the SSH connection, reading the previous snapshot's tree, the encrypted, deduplicated, fsync'ed vault writes and the commit; the vault is unlocked beforehand. Bytes on the wire: Lifeboat counts the payload of its remote commands both ways (listing, tar name list, tar, hashes, ranges); rsync's are its own \`--stats\` totals; the tar peer's is the archive size. ${FIRST_ROUNDS} runs (first pull; who goes first alternates) and 5 (no-op), best and median, ours and the peers interleaved. The machine (${cpus} CPUs) is shared with other work: before every timed run the suite waited until the CPUs were idle (under 15 % busy over a second; ${Math.round(quiet.waited / 1000)} s of waiting in all, busiest start ${Math.round(quiet.worst * 100)} %; 1-minute load average at those starts ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, at the suite's start ${loadStart}). Times are still noisy when work starts mid-run; bytes are not.`,
        '',
        '| measurement | Lifeboat | peer | ratio / target |',
        '| --- | --- | --- | --- |',
        `| first pull of the 1 GiB volume | best ${sec(best(firstOurs))} (median ${sec(median(firstOurs))}; CPU of the whole machine ${cpuRange(firstOursCpu)}), ${mib(firstBytes)} on the wire | \`ssh host tar -C dir -c . > file\`: best ${sec(best(firstPeer))} (median ${sec(median(firstPeer))}; CPU ${cpuRange(firstPeerCpu)}), ${mib(tarBytes)} | ${ratio(best(firstOurs), best(firstPeer))} best, ${ratio(median(firstOurs), median(firstPeer))} median (rounds: ${roundRatios}) — ${firstVerdict} |`,
        `| (for reference) first copy with \`rsync -a\` | | ${sec(rsyncFirst.seconds)} (CPU ${rsyncFirst.cpu.toFixed(1)} s), ${mib(rsyncFirst.value)} | |`,
        ...localTools.map(
          ({ backup, cpu }) =>
            `| (for reference) ${backup.tool} backing up the same tree from the local disk into a fresh repository, no network | | ${sec(backup.seconds)} (by its own clock ${sec(backup.own)}; CPU ${cpu.toFixed(1)} s) | ${ratio(backup.seconds, best(firstPeer))} the peer |`,
        ),
        `| (for reference) the vault alone: \`tar -c\` of the same tree from a local pipe into one stream item, no SSH | ${sec(alone)} | | the bound of any first pull into this vault: ${ratio(alone, best(firstPeer))} the peer |`,
        `| second pull, nothing changed | best ${sec(best(noopOurs))} incl. connect (median ${sec(median(noopOurs))}; ${sec(best(noopOpen))} on an open connection), ${mib(noopBytes)} on the wire = ${((100 * noopBytes) / size.bytes).toFixed(3)} % of the volume | \`rsync -a\` no-op: best ${sec(best(noopPeer))} (median ${sec(median(noopPeer))}), ${mib(noopRsyncBytes)} | time ${ratio(best(noopOurs), best(noopPeer))} — ${verdict(noopT <= 2, 'the 2× target')}; bytes ${verdict(noopBytes <= size.bytes / 100, 'the 1 % target')} |`,
        '',
        '1 % of the files rewritten with new content of the same size (every 100th file), then one pull each:',
        '',
        '| change | Lifeboat | `rsync -a` | ratio |',
        '| --- | --- | --- | --- |',
        ...changedRows,
        '',
        `Worst bytes ratio ${worst.toFixed(2)}× — ${verdict(worst <= 1.5, 'the 1.5× target')}.`,
        '',
        'A 256 MiB SQLite database (4 KiB pages) with 256 consecutive rows (1 MiB of pages) rewritten through SQLite between pulls; Lifeboat uses its block delta (1 MiB blocks), rsync its rolling checksum:',
        '',
        '| update | Lifeboat | `rsync -a` | ratio |',
        '| --- | --- | --- | --- |',
        ...sqliteRows,
        '',
        `Worst: ${mib(worstSqlite)} on the wire — ${verdict(worstSqlite <= 8 * MiB, 'the 8 MiB target')}.`,
        '',
        first > 1.5
          ? `Why the first pull misses its target: the time is CPU, and two cores have to carry all of it. "CPU of the whole machine" counts every process during the run (/proc/stat): the peer needs about ${median(firstPeerCpu).toFixed(1)} CPU seconds (sshd encrypting, tar, the ssh client decrypting, the page cache), so 1.5× its ${sec(best(firstPeer))} leaves ${(3 * best(firstPeer)).toFixed(1)} CPU seconds on two cores for the whole pull, server side included. Lifeboat's pull needs about ${median(firstOursCpu).toFixed(1)}: the same sshd and tar, SSH decryption in Node (ssh2's native AES-GCM), the tar parse, and the vault's work on every byte — chunking, keyed hashing (HMAC-SHA256), compressing or skipping, AES-256-GCM, fsync'ed packs — with a forced cut at every file boundary. The vault alone, fed the same tree as one local stream, takes ${sec(alone)} (${ratio(alone, best(firstPeer))} the peer)${alone / best(firstPeer) > 1.5 ? ', so no pull into it can meet 1.5× on this machine until ingest itself gets cheaper' : ''}; the pull adds ${ratio(best(firstOurs), alone)} on top of it (SSH in Node, the tar parse, and a chunk boundary at every file: all files go through one ingest loop, but a small file is still a chunk, a hash and a seal of its own). For scale, in the same run: rsync's first copy over the same SSH took ${ratio(rsyncFirst.seconds, best(firstPeer))} the peer${localTools.map(({ backup }) => `, ${backup.tool.split(' ').slice(0, 2).join(' ')} storing the tree from the local disk with no network at all ${ratio(backup.seconds, best(firstPeer))}`).join('')} — on two cores, 1.5× a bare \`ssh tar\` asks for less time than the established deduplicating, encrypting tools need without a network. Where the time goes and what was tried: docs/volume-pull.md, Performance.`
          : '',
      ].join('\n');
    } finally {
      vol.remove();
      db.remove();
    }
  },
};
