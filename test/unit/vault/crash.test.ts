import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkVault } from '../../../src-main/vault/check';
import type { VaultKeys } from '../../../src-main/vault/vault';
import { builtCli } from './built-cli';
import { PASS, collect, newVault, pseudoRandom, reopen, tempDir, textLike } from './helpers';

// Generous limits: these tests do real I/O and crypto and must pass on a busy 2-core machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/** Kill points in the suite; the soak script (test/vault-soak.sh) raises it to 1,000. */
const POINTS = Number(process.env.LIFEBOAT_CRASH_POINTS ?? 50);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  ms: number;
}

function countPacks(dir: string): number {
  return readdirSync(`${dir}/data`).reduce((n, sub) => n + readdirSync(`${dir}/data/${sub}`).length, 0);
}

function run(cli: string, args: string[], env: NodeJS.ProcessEnv, input: Buffer | undefined, killAfterMs: number | undefined): Promise<Run> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child: ChildProcess = spawn(process.execPath, [cli, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr?.on('data', () => undefined);
    child.stdin?.on('error', () => undefined);
    if (input) child.stdin?.end(input);
    else child.stdin?.end();
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, ms: Date.now() - started });
    });
  });
}

describe(`kill -9 of writing processes at ${POINTS} random points`, () => {
  const tmp = tempDir();
  const dir = `${tmp.dir}/vault`;
  let keys: VaultKeys;
  let cli: string;
  beforeAll(async () => {
    cli = builtCli();
    keys = await newVault(dir);
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('loses nothing committed and leaves a vault that checks clean', async () => {
    const env = { ...process.env, LIFEBOAT_HOME: `${tmp.dir}/home`, LIFEBOAT_VAULT: dir, LIFEBOAT_PASSPHRASE: PASS };
    const shared = Buffer.concat([pseudoRandom(1_500_000, 1), textLike(1_000_000, 2)]);
    const expected = new Map<string, Buffer>();
    const verified = new Set<string>();
    let committed = 0;
    let killed = 0;
    const vault = await reopen(dir, keys, { lockWaitMs: 30_000 });
    // Kill times are drawn from the observed length of runs that finished, skewed past process
    // start-up and key derivation so most kills land while the vault is being written.
    const typical = { backup: 900, prune: 900 };
    let midWrite = 0;
    let packsBefore = 0;
    for (let i = 0; killed < POINTS && i < POINTS * 3; i++) {
      const pruning = i % 7 === 6;
      let result: Run;
      if (pruning) {
        result = await run(cli, ['prune', '--keep-last', '6', '--json'], env, undefined, typical.prune * (0.4 + Math.random() * 0.8));
        if (result.code === 0) typical.prune = (typical.prune + result.ms) / 2;
      } else {
        const name = `item-${i}`;
        const data = Buffer.concat([shared.subarray(0, Math.floor(Math.random() * shared.length)), pseudoRandom(1_000_000 + Math.floor(Math.random() * 12_000_000), 1000 + i)]);
        expected.set(name, data);
        result = await run(cli, ['backup-stdin', name, '--json'], env, data, typical.backup * (0.4 + Math.random() * 0.8));
        if (result.code === 0) typical.backup = (typical.backup + result.ms) / 2;
      }
      if (result.signal === 'SIGKILL') {
        killed++;
        // Evidence that the kill hit while files were being written: leftovers in tmp/ or packs
        // that no snapshot uses yet.
        if (readdirSync(`${dir}/tmp`).length > 0 || countPacks(dir) > packsBefore) midWrite++;
        // Killed before writing anything: runs take longer than assumed (a busy machine).
        else if (!pruning) typical.backup = Math.min(typical.backup * 1.25, 20_000);
      } else {
        expect(result.code, result.stdout).toBe(0);
        if (!pruning) committed++;
      }
      packsBefore = countPacks(dir);
      // Every snapshot present holds exactly what was sent for its item; none is half there.
      const snapshots = await vault.readAllSnapshots();
      for (const s of snapshots) {
        if (verified.has(s.id)) continue;
        for (const item of s.items) expect((await collect(vault.readItem(s, item.name))).equals(expected.get(item.name) as Buffer)).toBe(true);
        verified.add(s.id);
      }
      // A backup that exited 0 is there (unless a later prune removed it by policy).
      if (!pruning && result.code === 0) expect(snapshots.some((s) => s.items[0]?.name === `item-${i}`)).toBe(true);
      if (i % 10 === 9) expect((await checkVault(vault)).problems.filter((p) => p.level === 'error')).toEqual([]);
    }
    expect(killed).toBeGreaterThanOrEqual(POINTS);
    console.log(`crash test: ${killed} kills (${midWrite} while files were being written), ${committed} backups finished`);
    expect(committed).toBeGreaterThan(0);
    const report = await checkVault(vault, { readData: true });
    expect(report.problems.filter((p) => p.level === 'error')).toEqual([]);
    for (const s of await vault.readAllSnapshots()) {
      for (const item of s.items) expect((await collect(vault.readItem(s, item.name))).equals(expected.get(item.name) as Buffer)).toBe(true);
    }
    await vault.close();
  }, 60_000 + POINTS * 6_000);
});
