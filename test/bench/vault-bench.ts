import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src-main/engine/paths';
import { type BenchSuite, ratio, toolVersion, waitQuiet } from './bench-kit';
import { hasPeer, initPeerRepo, ownDuration, peerEnv } from './peer-repos';
import { Prng, editOnePercent, generateMixed, writeMixedFile } from './vault-data';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const PASS = 'benchmark passphrase';
const ROUNDS = Number(process.env.LIFEBOAT_BENCH_ROUNDS ?? 2);

interface Measured {
  seconds: number;
  /** Peak resident memory in KiB (GNU time), 0 when unknown. */
  rssKb: number;
  /** User + system CPU seconds of the command and its threads. */
  cpu: number;
  code: number;
}

type Tool = 'lifeboat' | 'restic' | 'borg';

/**
 * Runs a command under GNU time with stdin from a file (or a generator) and stdout to a file
 * (or /dev/null); returns wall time and peak RSS.
 */
async function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, io: { stdinFile?: string; stdinGen?: Iterable<Buffer>; stdoutFile?: string }, scratch: string): Promise<Measured> {
  const timeFile = join(scratch, 'time.txt');
  const stdin = io.stdinFile ? openSync(io.stdinFile, 'r') : io.stdinGen ? 'pipe' : 'ignore';
  const stdout = openSync(io.stdoutFile ?? '/dev/null', 'w');
  const t0 = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%e %M %U %S', '-o', timeFile, cmd, ...args], { env: { ...process.env, ...env }, stdio: [stdin, stdout, 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const exited = once(child, 'exit');
  if (io.stdinGen && child.stdin) {
    child.stdin.on('error', () => undefined);
    for (const piece of io.stdinGen) if (!child.stdin.write(Buffer.from(piece))) await once(child.stdin, 'drain');
    child.stdin.end();
  }
  const [code] = (await exited) as [number | null];
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (typeof stdin === 'number') closeSync(stdin);
  closeSync(stdout);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.slice(-500)}`);
  const [, rss, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)?.split(' ') ?? [];
  return { seconds, rssKb: Number(rss) || 0, cpu: (Number(user) || 0) + (Number(sys) || 0), code: code ?? 1 };
}

function dirSize(path: string): number {
  let total = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

function sha256File(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(8 * MiB);
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  closeSync(fd);
  return h.digest('hex');
}

/** Installs Debian's restic and borgbackup when missing and we are root; reports what is there. */
function ensurePeers(log: (m: string) => void): { restic: boolean; borg: boolean } {
  if ((!hasPeer('restic') || !hasPeer('borg')) && process.getuid?.() === 0) {
    log('installing restic and borgbackup from Debian');
    spawnSync('apt-get', ['install', '-y', '-qq', 'restic', 'borgbackup'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return { restic: hasPeer('restic'), borg: hasPeer('borg') };
}

/** `lifeboat backup-stdin --json`'s own time for the backup; 0 when its output has none. */
function lifeboatSeconds(json: string): number {
  try {
    return (JSON.parse(json) as { seconds?: number }).seconds ?? 0;
  } catch {
    return 0;
  }
}

/** Each tool's commands, so the runs below read the same for all three. */
function tools(scratch: string) {
  const cli = join(packageRoot(), 'bin', 'lifeboat.js');
  const lbEnv = (repo: string) => ({ LIFEBOAT_HOME: join(scratch, 'lb-home'), LIFEBOAT_VAULT: repo, LIFEBOAT_PASSPHRASE: PASS });
  const resticEnv = peerEnv('restic', scratch, PASS);
  const borgEnv = peerEnv('borg', scratch, PASS);
  return {
    init(tool: Tool, repo: string) {
      if (tool !== 'lifeboat') return initPeerRepo(tool, repo, tool === 'restic' ? resticEnv : borgEnv);
      rmSync(repo, { recursive: true, force: true });
      const r = spawnSync(process.execPath, [cli, 'vault', 'init'], { env: { ...process.env, ...lbEnv(repo) }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`lifeboat vault init: ${r.stderr}`);
    },
    /** Runs a backup; `own` is the tool's own report of its backup time (after start-up and unlock). */
    async backup(tool: Tool, repo: string, name: string, io: { stdinFile?: string; stdinGen?: Iterable<Buffer> }): Promise<Measured & { own: number }> {
      const out = join(scratch, 'backup-out.json');
      const m =
        tool === 'lifeboat'
          ? await measure(process.execPath, [cli, 'backup-stdin', name, '--json'], lbEnv(repo), { ...io, stdoutFile: out }, scratch)
          : tool === 'restic'
            ? await measure('restic', ['-q', '-r', repo, 'backup', '--json', '--stdin', '--stdin-filename', name], resticEnv, { ...io, stdoutFile: out }, scratch)
            : await measure('borg', ['create', '--json', `${repo}::${name}`, '-'], borgEnv, { ...io, stdoutFile: out }, scratch);
      const text = readFileSync(out, 'utf8').trim();
      const own = tool === 'lifeboat' ? lifeboatSeconds(text) : ownDuration(tool, text);
      return { ...m, own };
    },
    restore(tool: Tool, repo: string, name: string, stdoutFile?: string) {
      const io = stdoutFile ? { stdoutFile } : {};
      if (tool === 'lifeboat') return measure(process.execPath, [cli, 'cat', 'latest', name], lbEnv(repo), io, scratch);
      if (tool === 'restic') return measure('restic', ['-q', '-r', repo, 'dump', 'latest', name], resticEnv, io, scratch);
      return measure('borg', ['extract', '--stdout', `${repo}::${name}`], borgEnv, io, scratch);
    },
  };
}

const fmt = (x: number, d = 0) => x.toFixed(d);
const mibps = (bytes: number, s: number) => bytes / MiB / s;

/**
 * The vault against restic and borg on the same data in the same run: ingest of 1 GiB of mixed
 * data through stdin, restore of it to stdout, the vault size after 30 daily versions of a
 * 200 MB file with 1 % changed each day, and lifeboat's peak memory at 1 and 4 GiB.
 */
export const vaultBench: BenchSuite = {
  id: 'vault',
  title: 'Vault: ingest, restore, 30 days of versions, memory',
  async run({ scratch, log }) {
    const peers = ensurePeers(log);
    const active: Tool[] = ['lifeboat', ...(peers.restic ? (['restic'] as const) : []), ...(peers.borg ? (['borg'] as const) : [])];
    const t = tools(scratch);
    const input = join(scratch, 'mixed-1g.bin');
    log('generating 1 GiB of mixed data');
    writeMixedFile(input, GiB, 1);
    const inputHash = sha256File(input);

    // Ingest and restore: rounds interleaved, best of each.
    const quiet = { worst: 0, waited: 0 };
    const ingest = new Map<Tool, Measured & { own: number }>();
    const restore = new Map<Tool, Measured>();
    const stored = new Map<Tool, number>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const tool of active) {
        const repo = join(scratch, `repo-${tool}`);
        t.init(tool, repo);
        await waitQuiet(log, quiet);
        log(`round ${round + 1}: ${tool} backup`);
        const m = await t.backup(tool, repo, 'data.bin', { stdinFile: input });
        if (!ingest.has(tool) || m.seconds < (ingest.get(tool) as Measured).seconds) ingest.set(tool, m);
        stored.set(tool, dirSize(repo));
        await waitQuiet(log, quiet);
        log(`round ${round + 1}: ${tool} restore`);
        const r = await t.restore(tool, repo, 'data.bin');
        if (!restore.has(tool) || r.seconds < (restore.get(tool) as Measured).seconds) restore.set(tool, r);
      }
    }
    const out = join(scratch, 'restored.bin');
    await t.restore('lifeboat', join(scratch, 'repo-lifeboat'), 'data.bin', out);
    const restoredOk = sha256File(out) === inputHash;
    rmSync(out, { force: true });
    for (const tool of active) rmSync(join(scratch, `repo-${tool}`), { recursive: true, force: true });
    rmSync(input, { force: true });

    // 30 daily versions of a 200 MB file, 1 % changed per day.
    log('30 daily versions of a 200 MB file');
    const rng = new Prng(99);
    const parts: Buffer[] = [];
    generateMixed(200_000_000, 7, (p) => parts.push(Buffer.from(p)));
    let day: Buffer = Buffer.concat(parts);
    const daily = join(scratch, 'daily.bin');
    for (const tool of active) t.init(tool, join(scratch, `daily-${tool}`));
    let dailyIn = 0;
    for (let d = 0; d < 30; d++) {
      if (d > 0) day = editOnePercent(day, rng);
      writeFileSync(daily, day);
      dailyIn += day.length;
      for (const tool of active) await t.backup(tool, join(scratch, `daily-${tool}`), tool === 'borg' ? `day${d}` : 'daily.bin', { stdinFile: daily });
    }
    const dailySize = new Map(active.map((tool) => [tool, dirSize(join(scratch, `daily-${tool}`))]));
    for (const tool of active) rmSync(join(scratch, `daily-${tool}`), { recursive: true, force: true });

    // Peak memory at 1 and 4 GiB, streamed from a generator (no 4 GiB file needed).
    log('peak memory at 4 GiB');
    const memRepo = join(scratch, 'mem-lifeboat');
    t.init('lifeboat', memRepo);
    const gen = function* (size: number): Generator<Buffer> {
      const pieces: Buffer[] = [];
      for (let done = 0; done < size; ) {
        const n = Math.min(size - done, 256 * MiB);
        generateMixed(n, 1000 + done / MiB, (p) => pieces.push(Buffer.from(p)));
        yield* pieces.splice(0);
        done += n;
      }
    };
    await waitQuiet(log, quiet);
    const mem4 = await t.backup('lifeboat', memRepo, 'big', { stdinGen: gen(4 * GiB) });
    rmSync(memRepo, { recursive: true, force: true });

    const lb = ingest.get('lifeboat') as Measured;
    const rate = (tool: Tool) => mibps(GiB, (ingest.get(tool) as Measured).seconds);
    const rrate = (tool: Tool) => mibps(GiB, (restore.get(tool) as Measured).seconds);
    const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
    const rows = active.map((tool) => {
      const i = ingest.get(tool) as Measured & { own: number };
      const r = restore.get(tool) as Measured;
      return `| ${tool} | ${fmt(rate(tool))} MiB/s (${fmt(i.seconds, 2)} s, ${fmt(i.cpu, 1)} CPU s; own clock ${fmt(i.own, 2)} s) | ${fmt(rrate(tool))} MiB/s (${fmt(r.seconds, 2)} s, ${fmt(r.cpu, 1)} CPU s) | ${fmt((stored.get(tool) ?? 0) / MiB)} MiB | ${fmt(i.rssKb / 1024)} MiB | ${fmt((dailySize.get(tool) ?? 0) / MiB, 1)} MiB |`;
    });
    const lines = [
      `Peers: ${toolVersion('restic', ['version'])}; ${toolVersion('borg')} (Debian). ${active.length < 3 ? `Missing peers were skipped (install with \`apt-get install -y restic borgbackup\`).` : ''}`,
      '',
      'Data: 1 GiB cycling 2–6 MiB segments of random bytes, SQL-dump-like text and zeros (`test/bench/vault-data.ts`, seeded). ' +
        'Each tool reads it from stdin redirected from a file (`lifeboat backup-stdin`, `restic backup --stdin`, `borg create … -`) into a fresh repository, then writes it back to /dev/null (`lifeboat cat`, `restic dump`, `borg extract --stdout`). ' +
        `Times are wall clock of the whole command (start-up and key derivation included), best of ${ROUNDS} interleaved rounds; defaults everywhere (restic: repository v2, auto compression; borg: repokey-blake2, lz4).`,
      '',
      '| tool | ingest 1 GiB | restore 1 GiB | stored | peak RSS (ingest) | 30 days × 200 MB |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      '| target | result | |',
      '|---|---|---|',
      ...(peers.restic
        ? [
            `| ingest ≥ 1.5× restic | ${ratio(rate('lifeboat'), rate('restic'))} restic, ${peers.borg ? `${ratio(rate('lifeboat'), rate('borg'))} borg` : ''} | ${verdict(rate('lifeboat') >= 1.5 * rate('restic'))} |`,
            `| (ingest by each tool's own clock, after start-up and unlock) | ${ratio((ingest.get('restic') as { own: number }).own, (ingest.get('lifeboat') as { own: number }).own)} restic | for long backups |`,
            `| (CPU spent on the ingest) | ${fmt(lb.cpu, 1)} s vs restic's ${fmt((ingest.get('restic') as Measured).cpu, 1)} s: ${ratio((ingest.get('restic') as Measured).cpu, lb.cpu)} less | for busy machines |`,
            `| vault after 30 days ≤ restic | ${ratio(dailySize.get('lifeboat') ?? 0, dailySize.get('restic') ?? 1)} of restic's (${fmt(dailyIn / MiB)} MiB went in) | ${verdict((dailySize.get('lifeboat') ?? 0) <= (dailySize.get('restic') ?? 0))} |`,
            `| restore ≥ restic dump | ${ratio(rrate('lifeboat'), rrate('restic'))} restic | ${verdict(rrate('lifeboat') >= rrate('restic'))} |`,
          ]
        : []),
      `| peak memory ≤ 300 MiB, flat | 1 GiB: ${fmt(lb.rssKb / 1024)} MiB, 4 GiB: ${fmt(mem4.rssKb / 1024)} MiB | ${verdict(lb.rssKb / 1024 <= 300 && mem4.rssKb / 1024 <= 300 && mem4.rssKb <= lb.rssKb * 1.15)} |`,
      '',
      `Restored bytes identical to the input: ${restoredOk ? 'yes' : '**NO**'} (SHA-256). Ratios are lifeboat ÷ peer (for sizes, smaller is better).`,
      `Before each timed run the suite waited for other processes to leave the CPUs idle (waited ${fmt(quiet.waited / 1000)} s in all; busiest moment at a start: ${fmt(quiet.worst * 100)} % of the machine).`,
    ];
    if (!existsSync('/usr/bin/time')) lines.push('', 'Note: GNU time was not found, so memory was not measured.');
    return lines.join('\n');
  },
};
