import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { HostService } from '../../src-main/hosts/host-service';
import { ProgressMeter } from '../../src-main/jobs/progress-meter';
import { volumeSink } from '../../src-main/restore/volume-sink';
import { labInfo } from '../helpers/lab';
import { diffViews, serverView } from '../helpers/tree-view';
import { backupItem, docker, newVault, treeItem } from '../helpers/volume-pull';
import { type BenchSuite, ratio, timed, toolVersion, waitQuiet } from './bench-kit';

const MiB = 2 ** 20;
const RUNS = Number(process.env.LIFEBOAT_BENCH_ROUNDS ?? 5);
const prefix = `lbtest-bench-restore-${process.pid}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** 1 GiB like a real volume: seven 128 MiB random files (images, disks) and 2,048 files of 64 KiB in 32 folders. */
export function fillVolume(dir: string): number {
  let bytes = 0;
  for (let i = 0; i < 7; i++) {
    execFileSync('dd', ['if=/dev/urandom', `of=${join(dir, `disk-${i}.img`)}`, 'bs=1M', 'count=128', 'status=none']);
    bytes += 128 * MiB;
  }
  const small = randomBytes(64 * 1024 * 2048);
  for (let d = 0; d < 32; d++) {
    mkdirSync(join(dir, `photos-${d}`));
    for (let f = 0; f < 64; f++) {
      const at = (d * 64 + f) * 64 * 1024;
      writeFileSync(join(dir, `photos-${d}`, `img-${f}.jpg`), small.subarray(at, at + 64 * 1024));
    }
  }
  bytes += small.length;
  execFileSync('chown', ['-R', '1000:1000', dir]);
  return bytes;
}

/** `ssh host tar -C dir -x < file` with OpenSSH and the lab's key: the baseline. */
async function sshTarExtract(tarFile: string, dir: string, options: string[] = []): Promise<number> {
  const info = labInfo();
  const fd = openSync(tarFile, 'r');
  try {
    const { seconds } = await timed(async () => {
      const child = spawn('ssh', [...options, '-i', info.ssh.identityFile, '-p', String(info.ssh.port), '-o', `UserKnownHostsFile=${(info.ssh as { knownHostsFile?: string }).knownHostsFile ?? ''}`, '-o', 'BatchMode=yes', `${info.ssh.user}@${info.ssh.host}`, `tar -C ${dir} -x`], { stdio: [fd, 'ignore', 'inherit'] });
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`ssh tar -x exited ${code}`);
    });
    return seconds;
  } finally {
    closeSync(fd);
  }
}

function job() {
  return { jobId: 'bench', signal: new AbortController().signal, meter: new ProgressMeter('bench'), report: () => undefined, log: () => undefined, itemDone: () => undefined };
}

/**
 * Restore of a 1 GiB volume into a new volume over SSH (vault → validated tar → GNU tar as
 * root on the server) against OpenSSH piping the same tree as a plain tar file into
 * `tar -C dir -x` on the same host, in the same run (target ≤ 1.5×).
 */
export const restoreBench: BenchSuite = {
  id: 'restore',
  title: 'Restore of a 1 GiB volume over SSH',
  async run({ scratch, log }) {
    const info = labInfo();
    const source = `${prefix}-src`;
    const made: string[] = [source];
    const hosts = new HostService({ home: join(scratch, 'home'), userHome: join(scratch, 'user'), env: {} });
    await hosts.add('lab', `ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`, { identityFile: info.ssh.identityFile, fingerprints: [info.ssh.hostKeyFingerprint] });
    const conn = await hosts.open('lab', {});
    const vault = await newVault(join(scratch, 'vault'));
    try {
      docker('volume', 'create', source);
      const mountpoint = docker('volume', 'inspect', source, '--format', '{{.Mountpoint}}');
      log('writing 1 GiB into the source volume');
      const bytes = fillVolume(mountpoint);
      log('backing it up');
      const { snapshot, result } = await backupItem(conn, vault, treeItem('volume', source, 'bench'));
      const tarFile = join(scratch, 'volume.tar');
      execFileSync('tar', ['-C', mountpoint, '--numeric-owner', '-cf', tarFile, '.']);
      const ours: number[] = [];
      const loads: number[] = [];
      const base: number[] = [];
      const sameCipher: number[] = [];
      const quiet = { worst: 0, waited: 0 };
      // Before each timed run: earlier runs' writes flushed, then other processes' CPU use gone.
      const settle = async () => {
        execFileSync('sync');
        await waitQuiet(log, quiet);
      };
      for (let run = 0; run < RUNS; run++) {
        const b = `${prefix}-base-${run}`;
        made.push(b);
        docker('volume', 'create', b);
        const baseDir = docker('volume', 'inspect', b, '--format', '{{.Mountpoint}}');
        await settle();
        base.push(await sshTarExtract(tarFile, baseDir));
        docker('volume', 'rm', '-f', b);
        docker('volume', 'create', b);
        await settle();
        sameCipher.push(await sshTarExtract(tarFile, docker('volume', 'inspect', b, '--format', '{{.Mountpoint}}'), ['-c', 'aes128-gcm@openssh.com']));
        docker('volume', 'rm', '-f', b);
        const target = `${prefix}-ours-${run}`;
        made.push(target);
        await settle();
        const t = await timed(() => volumeSink.restore({ host: conn, vault, snapshot, item: result.stored, target: { mode: 'new-volume', volume: target }, job: job() }));
        ours.push(t.seconds);
        if (run === 0) {
          const diff = diffViews(serverView(mountpoint), serverView(docker('volume', 'inspect', target, '--format', '{{.Mountpoint}}')));
          if (diff.length > 0) throw new Error(`the restored volume differs: ${diff.slice(0, 3).join('; ')}`);
        }
        docker('volume', 'rm', '-f', target);
        loads.push(loadavg()[0] ?? 0);
        log(`run ${run + 1}: lifeboat ${t.seconds.toFixed(2)} s, ssh tar -x ${base.at(-1)?.toFixed(2)} s (aes128-gcm ${sameCipher.at(-1)?.toFixed(2)} s)`);
      }
      const [o, s] = [median(ours), median(base)];
      const [ob, sb] = [Math.min(...ours), Math.min(...base)];
      const mbps = (sec: number) => `${(bytes / MiB / sec).toFixed(0)} MiB/s`;
      return [
        `Source: one volume of ${(bytes / MiB).toFixed(0)} MiB (seven 128 MiB random files, 2,048 × 64 KiB files in 32 folders), owned by 1000:1000, backed up into a fresh vault first (not timed). Both sides write into a fresh, empty Docker volume on the lab host over its sshd on 127.0.0.1; OpenSSH negotiates its default cipher (chacha20-poly1305), ssh2 aes128-gcm@openssh.com with its native binding; ${RUNS} alternating runs; before each timed run the suite flushed earlier writes (\`sync\`) and waited for other processes to leave the CPUs idle (waited ${(quiet.waited / 1000).toFixed(0)} s in all; busiest moment at a start: ${Math.round(quiet.worst * 100)} % of the machine; other engineers' work can still start during a run). Load average (1 min) after each round: ${loads.map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} cores.`,
        '',
        '| | best | median | throughput (best) | ratio (best) | ratio (median) |',
        '|---|---|---|---|---|---|',
        `| \`ssh host tar -C dir -x < file\` (${toolVersion('tar').replace(/^tar /, '')}, OpenSSH, tar file in page cache) | ${sb.toFixed(2)} s | ${s.toFixed(2)} s | ${mbps(sb)} | 1.00× | 1.00× |`,
        `| (for reference) the same with \`ssh -c aes128-gcm@openssh.com\` (the cipher ssh2 picks) | ${Math.min(...sameCipher).toFixed(2)} s | ${median(sameCipher).toFixed(2)} s | ${mbps(Math.min(...sameCipher))} | ${ratio(Math.min(...sameCipher), sb)} | ${ratio(median(sameCipher), s)} |`,
        `| Lifeboat restore into a new volume (vault read + decrypt + verify, validated tar, ssh2, GNU tar as root) | ${ob.toFixed(2)} s | ${o.toFixed(2)} s | ${mbps(ob)} | ${ratio(ob, sb)} | ${ratio(o, s)} |`,
        '',
        `Target ≤ 1.5×: **${ob / sb <= 1.5 && o / s <= 1.5 ? 'met' : ob / sb <= 1.5 ? 'met on best runs, missed on medians' : 'missed'}** (${ratio(ob, sb)} on best runs, ${ratio(o, s)} on medians). Every run writes the whole tree; the first run's result is compared entry by entry (mode, owner, exact mtime, sha256) with the source.`,
        '',
        `Round by round (Lifeboat ÷ the \`ssh tar -x\` run just before it): ${ours.map((t, i) => ratio(t, base[i] ?? t)).join(', ')}. On a shared machine single rounds swing both ways (mostly the baseline's: ${Math.min(...base).toFixed(2)}–${Math.max(...base).toFixed(2)} s against Lifeboat's ${ob.toFixed(2)}–${Math.max(...ours).toFixed(2)} s), which is why the target is judged on best and median runs.`,
        '',
        "How Lifeboat's side runs (`test/bench/restore-profile.ts` times each stage and the CPU of every thread): the vault read — a pread of every blob from the packs (about 1 CPU s per GiB out of the page cache on this VM, the same copy the baseline's ssh client makes of the tar file), AES-256-GCM and the HMAC-SHA256 id check of every chunk — runs on two worker threads that write the verified plaintext straight into a shared 64 MiB ring, reading ahead across files (24 MiB); the main thread only builds tar headers and runs ssh2, which writes each lent chunk (copied into 32 KiB packets, the largest OpenSSH's sshd accepts on a session channel, encrypted in place by the native binding) before the next is pulled. Alone, the vault read of this volume takes ~1.5 s (2.9 CPU s) and ssh2 moving 1 GiB into `cat` ~1.7 s; the restore is the two overlapped plus GNU tar and sshd on the same two cores, and the whole machine spends ~9–10 CPU s on it against ~6 for the baseline (2.4 of them in the ssh client). On this 2-core machine that CPU is the limit: what is left is the HMAC and decryption the baseline does not do, and ssh2's per-packet work in JavaScript.",
      ].join('\n');
    } finally {
      conn.close();
      await vault.close();
      for (const v of made) {
        try {
          docker('volume', 'rm', '-f', v);
        } catch {
          /* gone */
        }
      }
    }
  },
};
