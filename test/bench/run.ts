import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src-main/engine/paths';
import type { BenchSuite } from './bench-kit';
import { writeSection } from './bench-kit';
import { suites } from './suites';

/** `npm run bench [-- SUITE...]`: runs suites and rewrites their sections of docs/benchmarks.md. */
async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen: BenchSuite[] = wanted.length === 0 ? suites : suites.filter((s) => wanted.includes(s.id));
  if (chosen.length === 0) {
    process.stderr.write(`no such suite; known: ${suites.map((s) => s.id).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  for (const suite of chosen) {
    const scratch = mkdtempSync(join(process.env.LIFEBOAT_BENCH_DIR ?? tmpdir(), `bench-${suite.id}-`));
    process.stderr.write(`[bench] ${suite.title}\n`);
    try {
      const body = await suite.run({ scratch, log: (m) => process.stderr.write(`[bench:${suite.id}] ${m}\n`) });
      writeSection(packageRoot(), suite, body);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

void main();
