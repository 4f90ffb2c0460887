import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { formatBytes } from '../../src-main/api/format';
import { createEngine } from '../../src-main/engine/engine';
import { initVault, openVault } from '../../src-main/vault/vault';
import { labInfo } from '../helpers/lab';
import { type BenchSuite, ratio, timed, toolVersion } from './bench-kit';

const PASS = 'bench passphrase';
const ROWS = 1_000_000;
const DAYS = 30;
/** Days of the worst case (1 % of rows updated uniformly over the table), after the 30. */
const SCATTER_DAYS = 4;

/** One row's columns from its id and a salt: deterministic, ~190 bytes of text per row. */
const rowSql = (id: string, salt: string) =>
  `${id}, (${id} * 7919) % 5000, (ARRAY['login','upload','comment','edit','share'])[1 + ${id} % 5], timestamp '2026-01-01' + ${id} * interval '1 second', md5(${id}::text || ${salt}) || md5((${id} * 31)::text || ${salt}) || md5((${id} * 17)::text) || ' ' || repeat(chr((97 + ${id} % 26)::int), 40)`;

const setupSql = `CREATE TABLE events (id bigint PRIMARY KEY, account int NOT NULL, kind text NOT NULL, created timestamptz NOT NULL, payload text NOT NULL);
INSERT INTO events SELECT ${rowSql('i', "''")} FROM generate_series(1::bigint, ${ROWS}) i;
VACUUM ANALYZE events;`;

/**
 * A day of an app's life, 1 % of the rows: the oldest 0.25 % expire, 0.5 % new rows arrive,
 * and 0.25 % of the rows of the last 5 % are edited. Then either nothing (autovacuum with its
 * defaults, as servers run) or a `VACUUM`, which makes the freed space reusable at once.
 */
const dailySql = (day: number, vacuum: boolean) => `DO $$ DECLARE lo bigint; hi bigint; BEGIN
SELECT min(id), max(id) INTO lo, hi FROM events;
DELETE FROM events WHERE id < lo + ${ROWS / 400};
INSERT INTO events SELECT ${rowSql('i', `'day${day}'`)} FROM generate_series(hi + 1, hi + ${ROWS / 200}) i;
UPDATE events SET kind = 'edit', payload = md5(id::text || 'edit${day}') || substr(payload, 33) WHERE id > hi - ${ROWS / 20} AND id % 20 = ${day % 20};
END $$;
${vacuum ? 'VACUUM events;' : ''}`;

/** The worst case for any chunking deduplicator: 1 % of rows edited uniformly over the table. */
const scatterSql = (day: number) => `UPDATE events SET payload = md5(id::text || 'scatter${day}') || substr(payload, 33) WHERE id % 100 = ${day % 100};
VACUUM events;`;

const du = (dir: string) => Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Two ways the same churn lands in the table, each on a fresh table, vault and restic repository. */
const scenarios = [
  { id: 'autovacuum', vacuum: false, label: 'autovacuum defaults' },
  { id: 'vacuum', vacuum: true, label: '`VACUUM` every day' },
] as const;

interface Day {
  scenario: (typeof scenarios)[number]['id'];
  day: number;
  kind: 'first' | 'daily' | 'scatter';
  dump: number;
  lifeboat: number;
  restic: number;
  /** The item's own time: dump, verify, store. */
  lbSeconds: number;
  /** The whole run: connect, discovery, vault, item, commit. */
  runSeconds: number;
  resticSeconds: number;
}

/** Pipes an async byte source into `restic backup --stdin`. */
async function resticBackup(repo: string, env: NodeJS.ProcessEnv, source: AsyncIterable<Buffer>): Promise<void> {
  const child = spawn('restic', ['-q', '-r', repo, 'backup', '--stdin', '--stdin-filename', 'bench.pgdump'], { env: { ...process.env, ...env }, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit');
  for await (const chunk of source) if (!child.stdin.write(chunk)) await once(child.stdin, 'drain');
  child.stdin.end();
  const [code] = (await exited) as [number];
  if (code !== 0) throw new Error(`restic backup failed (${code}): ${stderr.slice(-400)}`);
}

/**
 * 30 daily `pg_dump -Fc -Z0` backups of a ~200 MB database through the real PostgreSQL source
 * (engine API, lab over SSH), vault growth per day as a share of the dump, against restic
 * backing up the very same dump bytes (read back from the vault) in the same run.
 */
export const backupDumpBench: BenchSuite = {
  id: 'backup-dump',
  title: 'Daily database dumps: 30 days of a 200 MB PostgreSQL database with 1 % row churn',
  async run({ scratch, log }) {
    const info = labInfo() as ReturnType<typeof labInfo> & { images?: Record<string, string> };
    const project = `lbbench${process.pid}`;
    const db = `${project}-db-1`;
    const item = `${project}/postgres:bench`;
    const home = join(scratch, 'home');
    const resticEnv = { RESTIC_PASSWORD: PASS, RESTIC_CACHE_DIR: join(scratch, 'restic-cache') };
    mkdirSync(home, { recursive: true });
    docker('rm', '-f', '-v', db);
    docker('run', '-d', '--name', db, '--label', 'org.lifeboat.test=bench', '--label', `com.docker.compose.project=${project}`, '--label', 'com.docker.compose.service=db', '--network', 'none', '-e', 'POSTGRES_USER=bench', '-e', 'POSTGRES_PASSWORD=bench-not-secret', '-e', 'POSTGRES_DB=bench', info.images?.postgres ?? 'lifeboat-lab/postgres:15');
    const engine = createEngine({ door: 'cli', home });
    try {
      for (let i = 0; ; i++) {
        try {
          docker('exec', db, 'pg_isready', '-q', '-h', '127.0.0.1');
          break;
        } catch {
          if (i > 240) throw new Error('the bench database did not start');
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      const psql = (sql: string) => {
        try {
          execFileSync('docker', ['exec', '-i', db, 'psql', '-q', '-v', 'ON_ERROR_STOP=1', '-U', 'bench', '-d', 'bench'], { input: sql, stdio: ['pipe', 'ignore', 'pipe'] });
        } catch (err) {
          throw new Error(`psql failed: ${String((err as { stderr?: Buffer }).stderr ?? err)}`, { cause: err });
        }
      };
      await engine.hosts.add('lab', `ssh://${info.ssh.user}@${info.ssh.host}:${info.ssh.port}`, { identityFile: info.ssh.identityFile, fingerprints: [info.ssh.hostKeyFingerprint] });
      const days: Day[] = [];
      for (const scenario of scenarios) {
        const vaultDir = join(scratch, `vault-${scenario.id}`);
        const resticRepo = join(scratch, `restic-${scenario.id}`);
        log(`${scenario.id}: generating ${ROWS} rows`);
        const gen = await timed(async () => psql(`DROP TABLE IF EXISTS events;\n${setupSql}`));
        log(`generated in ${gen.seconds.toFixed(1)} s`);
        await initVault({ dir: vaultDir, passphrase: PASS, kdfLogN: 16 });
        execFileSync('restic', ['init', '-q', '--repository-version', '2', '-r', resticRepo], { env: { ...process.env, ...resticEnv }, stdio: 'ignore' });
        let lbBefore = du(vaultDir);
        let resticBefore = du(resticRepo);
        const last = DAYS + (scenario.vacuum ? SCATTER_DAYS : 0);
        for (let day = 1; day <= last; day++) {
          const kind: Day['kind'] = day === 1 ? 'first' : day <= DAYS ? 'daily' : 'scatter';
          if (kind === 'daily') psql(dailySql(day, scenario.vacuum));
          if (kind === 'scatter') psql(scatterSql(day));
          const lb = await timed(() => engine.call('backup', { host: 'lab', items: [item], vault: vaultDir, vaultPassphrase: PASS, wait: true }));
          const result = lb.value.summary?.items[0];
          if (result?.status !== 'succeeded') throw new Error(`day ${day}: the backup did not succeed: ${result?.message ?? lb.value.summary?.error ?? '?'}`);
          const lbAfter = du(vaultDir);
          const vault = await openVault({ dir: vaultDir, passphrase: PASS });
          let resticSeconds = 0;
          try {
            const snapshot = await vault.snapshot(lb.value.summary?.snapshot ?? 'latest');
            resticSeconds = (await timed(() => resticBackup(resticRepo, resticEnv, vault.readItem(snapshot, item)))).seconds;
          } finally {
            await vault.close();
          }
          const resticAfter = du(resticRepo);
          const d: Day = { scenario: scenario.id, day, kind, dump: result.size ?? 0, lifeboat: lbAfter - lbBefore, restic: resticAfter - resticBefore, lbSeconds: result.seconds ?? lb.seconds, runSeconds: lb.seconds, resticSeconds };
          days.push(d);
          log(`${scenario.id} day ${day} (${kind}): dump ${formatBytes(d.dump)}, vault +${formatBytes(d.lifeboat)} (${pct(d.lifeboat / d.dump)}), restic +${formatBytes(d.restic)} (${pct(d.restic / d.dump)}), ${d.lbSeconds.toFixed(1)} s (run ${d.runSeconds.toFixed(1)} s) / ${d.resticSeconds.toFixed(1)} s`);
          lbBefore = lbAfter;
          resticBefore = resticAfter;
        }
        rmSync(vaultDir, { recursive: true, force: true });
        rmSync(resticRepo, { recursive: true, force: true });
      }
      return report(days);
    } finally {
      await engine.close();
      docker('rm', '-f', '-v', db);
    }
  },
};

function report(days: Day[]): string {
  const of = (id: Day['scenario'], kind: Day['kind']) => days.filter((d) => d.scenario === id && d.kind === kind);
  const share = (ds: Day[], k: 'lifeboat' | 'restic') => ds.map((d) => d[k] / d.dump);
  const row = (label: string, ds: Day[]) => {
    const lb = share(ds, 'lifeboat');
    const rs = share(ds, 'restic');
    const spread = (xs: number[]) => (xs.length > 1 ? `${pct(median(xs))} (max ${pct(Math.max(...xs))})` : pct(xs[0] ?? 0));
    return `| ${label} | ${formatBytes(mean(ds.map((d) => d.dump)))} | ${spread(lb)} | ${spread(rs)} | ${ratio(mean(ds.map((d) => d.lifeboat)), mean(ds.map((d) => d.restic)))} | ${mean(ds.map((d) => d.lbSeconds)).toFixed(1)} s / ${mean(ds.map((d) => d.resticSeconds)).toFixed(1)} s |`;
  };
  const verdict = (id: Day['scenario']) => {
    const lb = share(of(id, 'daily'), 'lifeboat');
    const worst = Math.max(...lb);
    return `${worst <= 0.05 ? '**met**' : median(lb) <= 0.05 ? `**met on the median, MISSED on ${lb.filter((x) => x > 0.05).length} of ${lb.length} days**` : '**MISSED**'} (median ${pct(median(lb))}, worst day ${pct(worst)})`;
  };
  const total = (id: Day['scenario'], k: 'lifeboat' | 'restic' | 'dump') => days.filter((d) => d.scenario === id && d.kind !== 'scatter').reduce((a, d) => a + d[k], 0);
  return [
    `A throwaway lab PostgreSQL 15 container holds one table of ${ROWS.toLocaleString('en')} deterministic rows (~190 bytes of text each). Every day 1 % of the rows change the way an app's data does: the oldest 0.25 % are deleted, 0.5 % new rows are inserted, 0.25 % of the newest 5 % are edited. Each day Lifeboat backs the database up through its real PostgreSQL source (\`lifeboat backup\` over SSH: \`pg_dump -Fc -Z0\` in the container, verified there by \`pg_restore\` as it streams, row counts and content checksums recorded), and restic (${toolVersion('restic', ['version'])}, repository v2, compression auto) backs up the very same dump bytes, read back from the vault, with \`restic backup --stdin\`. Growth is the repository's size on disk after the day minus before, as a share of that day's dump. The churn runs twice, each time on a fresh table, vault and repository: with autovacuum's defaults (as servers run; the space freed by deleted and edited rows is reused weeks later) and with a \`VACUUM\` after every day (freed space reused at once, so new rows land all over older pages). Target: Lifeboat's daily growth ≤ 5 % of the dump.`,
    '',
    '| days | dump size | Lifeboat growth / day (median) | restic growth / day (median) | Lifeboat ÷ restic (bytes) | time / day: Lifeboat item / restic |',
    '|---|---|---|---|---|---|',
    row('day 1 (first copy)', of('autovacuum', 'first')),
    row(`days 2–${DAYS}, autovacuum defaults`, of('autovacuum', 'daily')),
    row(`days 2–${DAYS}, \`VACUUM\` every day`, of('vacuum', 'daily')),
    row(`${SCATTER_DAYS} more days, 1 % of rows edited uniformly (worst case)`, of('vacuum', 'scatter')),
    '',
    `Target with autovacuum's defaults: ${verdict('autovacuum')}. With a \`VACUUM\` every day: ${verdict('vacuum')}. After ${DAYS} days the vault holds ${formatBytes(total('autovacuum', 'lifeboat'))} for ${formatBytes(total('autovacuum', 'dump'))} of dumps (restic ${formatBytes(total('autovacuum', 'restic'))}); with daily \`VACUUM\` ${formatBytes(total('vacuum', 'lifeboat'))} (restic ${formatBytes(total('vacuum', 'restic'))}).`,
    '',
    `"Lifeboat item" is the item's own time: row counts and content checksums (a full read of the table), the dump, its verification and storing it. The whole run (SSH connect, discovery of the shared lab host, vault open, the item, commit) took ${mean(days.map((d) => d.runSeconds)).toFixed(1)} s a day on average.`,
    '',
    'Why growth drifts up with a daily `VACUUM` and what limits it: `pg_dump` writes rows in physical order. Edits of 1 row in 20 across the newest 5 % of the table touch every ~1 MiB chunk of that region, whatever the tool (restic chunks the same way and grows the same); once freed space is reused at once, each day\'s new and edited rows land in more and more older pages, so more chunks change. Smaller chunks would not help against edits this dense (every 64 KiB chunk of the region changes too). The worst case shows the limit plainly: edits spread evenly over the whole table touch nearly every chunk, and each day stores most of the dump again, compressed, for both tools.',
  ].join('\n');
}
