import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { discoverHost } from '../../src-main/discovery/discover';
import { packageRoot } from '../../src-main/engine/paths';
import { HostService } from '../../src-main/hosts/host-service';
import { labInfo } from '../helpers/lab';
import { type BenchSuite, ratio, timed } from './bench-kit';

const wantedStacks = 50;
const runs = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** `ssh -V` prints its version on stderr. */
function sshVersion(): string {
  return spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.split('\n')[0]?.trim() || 'OpenSSH';
}

function labScale(): number {
  return Object.keys((labInfo() as { scaleStacks?: Record<string, unknown> }).scaleStacks ?? {}).length;
}

function setScale(n: number, log: (m: string) => void): void {
  log(`lab: --scale ${n}`);
  execFileSync('bash', [join(packageRoot(), 'test', 'lab', 'lab.sh'), 'up', '--scale', String(n)], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Discovery of a host with 50 extra compose stacks over SSH (target ≤ 2 s), against OpenSSH
 * running `docker ps` + `docker inspect` of everything on the same host in the same run.
 */
export const discoveryBench: BenchSuite = {
  id: 'discovery',
  title: 'Discovery of a host with 50 stacks over SSH',
  async run({ scratch, log }) {
    const before = labScale();
    if (before !== wantedStacks) setScale(wantedStacks, log);
    // labInfo() caches; re-read after scaling
    const info = JSON.parse(execFileSync('bash', [join(packageRoot(), 'test', 'lab', 'lab.sh'), 'info'], { encoding: 'utf8' })) as ReturnType<typeof labInfo>;
    try {
      const hosts = new HostService({ home: join(scratch, 'home'), userHome: join(scratch, 'user'), env: {} });
      const url = `ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`;
      await hosts.add('lab', url, { identityFile: info.ssh.identityFile, fingerprints: [info.ssh.hostKeyFingerprint] });
      const cold: number[] = [];
      const warm: number[] = [];
      let totals = { stacks: 0, containers: 0, items: 0 };
      for (let i = 0; i < runs; i++) {
        const { seconds, value } = await timed(async () => {
          const conn = await hosts.open('lab', {});
          try {
            const t = await timed(() => discoverHost(conn));
            warm.push(t.seconds);
            return t.value;
          } finally {
            conn.close();
          }
        });
        cold.push(seconds);
        totals = value.totals;
      }
      const sshArgs = ['-i', info.ssh.identityFile, '-p', String(info.ssh.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${(info.ssh as { knownHostsFile?: string }).knownHostsFile ?? '/dev/null'}`, '-o', 'StrictHostKeyChecking=yes', `${info.ssh.user}@${info.ssh.host}`];
      const peerCmd = 'docker inspect $(docker ps -aq) >/dev/null && docker volume inspect $(docker volume ls -q) >/dev/null';
      const peer: number[] = [];
      const peerPs: number[] = [];
      for (let i = 0; i < runs; i++) {
        peer.push((await timed(async () => spawnSync('ssh', [...sshArgs, peerCmd], { stdio: 'ignore' }))).seconds);
        peerPs.push((await timed(async () => spawnSync('ssh', [...sshArgs, 'docker ps -a >/dev/null'], { stdio: 'ignore' }))).seconds);
      }
      const cli: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await timed(async () => spawnSync(process.execPath, [join(packageRoot(), 'bin', 'lifeboat.js'), 'discover', 'lab', '--json'], { env: { ...process.env, LIFEBOAT_HOME: join(scratch, 'home'), HOME: join(scratch, 'user') }, stdio: 'ignore' }));
        cli.push(r.seconds);
      }
      const m = median(cold);
      const rows = [
        `| Lifeboat: connect + discover (engine API) | ${median(cold).toFixed(3)} s | ${Math.min(...cold).toFixed(3)} s | ${m <= 2 ? 'meets' : 'MISSES'} the 2 s target |`,
        `| Lifeboat: discover on an open connection | ${median(warm).toFixed(3)} s | ${Math.min(...warm).toFixed(3)} s | |`,
        `| Lifeboat CLI: \`lifeboat discover lab --json\` (incl. Node start) | ${median(cli).toFixed(3)} s | ${Math.min(...cli).toFixed(3)} s | |`,
        `| OpenSSH peer: \`ssh host docker inspect (all containers) + docker volume inspect (all)\` | ${median(peer).toFixed(3)} s | ${Math.min(...peer).toFixed(3)} s | Lifeboat / peer: ${ratio(m, median(peer))} |`,
        `| OpenSSH peer: \`ssh host docker ps -a\` | ${median(peerPs).toFixed(3)} s | ${Math.min(...peerPs).toFixed(3)} s | |`,
      ];
      return [
        `Host: the test lab over SSH on 127.0.0.1 (${sshVersion()}, Docker ${(info.docker as { serverVersion?: string }).serverVersion ?? '?'}) with ${wantedStacks} scale stacks; the inventory had ${totals.stacks} stacks, ${totals.containers} containers, ${totals.items} items. ${runs} runs each, median and best.`,
        '',
        'Lifeboat does more than the peer: besides inspecting every container and volume it lists the databases inside each database container, measures volume and bind sizes, scans volumes for SQLite headers and bind mounts for certificates, and reads compose files for env_files.',
        '',
        '| what | median | best | note |',
        '| --- | --- | --- | --- |',
        ...rows,
      ].join('\n');
    } finally {
      if (before !== wantedStacks) setScale(before, log);
    }
  },
};
