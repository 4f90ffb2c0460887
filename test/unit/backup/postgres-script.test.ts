import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgDumpScript, pipelineProblem } from '../../../src-main/backup/postgres-source';

/** Fake pg_dump/pg_restore on PATH, so the real script runs here under /bin/sh. */
const bin = mkdtempSync(join(tmpdir(), 'lifeboat-pgscript-'));
function tool(name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}
const env = () => ({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` });
const run = () => spawnSync('sh', ['-c', pgDumpScript, 'sh', 'db name; $(touch x)'], { env: env(), encoding: 'latin1' });
/** Processes running the fake tools (the bracket keeps grep from matching its own command line). */
const alive = () => spawnSync('sh', ['-c', `grep -l "${bin}/[p]g_" /proc/[0-9]*/cmdline 2>/dev/null | wc -l`], { encoding: 'utf8' }).stdout.trim();
afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('the pg_dump pipeline script', () => {
  it('streams the dump, tees it into pg_restore and reports both statuses', () => {
    tool('pg_dump', 'printf "PGDMP%s" "$PGDATABASE"');
    tool('pg_restore', 'n=$(wc -c); echo "restore read $n" >&2');
    const r = run();
    expect(r.stdout).toBe('PGDMPdb name; $(touch x)');
    expect(r.stderr).toContain('restore read 24');
    expect(pipelineProblem(r.stderr, r.stdout.length)).toBeUndefined();
  });

  it('fails when pg_dump fails, when pg_restore rejects, and leaves an empty dump to the empty check', () => {
    tool('pg_dump', 'printf partial; echo "pg_dump: error: lost connection" >&2; exit 1');
    tool('pg_restore', 'cat >/dev/null');
    let r = run();
    expect(pipelineProblem(r.stderr, r.stdout.length)).toBe('failed (exit 1): pg_dump: error: lost connection');
    tool('pg_dump', 'printf PGDMPtruncated');
    tool('pg_restore', 'cat >/dev/null; echo "pg_restore: error: could not read from input file: end of file" >&2; exit 1');
    r = run();
    expect(pipelineProblem(r.stderr, r.stdout.length)).toBe('was rejected by pg_restore (exit 1): pg_restore: error: could not read from input file: end of file');
    tool('pg_dump', 'exit 0');
    r = run();
    expect(pipelineProblem(r.stderr, 0)).toBeUndefined();
    expect(pipelineProblem('', 10)).toBe('ended without a status (it was stopped)');
  });

  it('stops the whole pipeline when its shell gets TERM', async () => {
    tool('pg_dump', 'while :; do printf xxxxxxxxxxxxxxxx; sleep 0.01; done');
    tool('pg_restore', 'cat >/dev/null');
    const child = spawn('sh', ['-c', pgDumpScript, 'sh', 'db'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    await new Promise((r) => setTimeout(r, 400));
    expect(Number(alive())).toBeGreaterThan(0);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    expect(alive()).toBe('0');
  });
});
