import { LifeboatError } from '../../api/errors';
import { expectOk, runInContainer } from '../../databases/container-run';
import { dbArgv } from '../../databases/db-shell';
import type { RestoreContext, RestorePreview, RestoreReport } from '../restore-sink';
import type { DbItemFacts } from './item-facts';
import { dbItemFacts } from './item-facts';
import { targetServer } from './db-restore';
import { pgRoles } from './pg-ops';

/** True for the roles-and-tablespaces item of a PostgreSQL server. */
export function isGlobalsItem(facts: DbItemFacts): boolean {
  return facts.engine === 'postgres' && facts.database === '@globals';
}

const roleLine = /^(CREATE|ALTER) ROLE ("(?:[^"]|"")+"|[^\s;]+)/;

function unquote(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident;
}

/** What applying a `pg_dumpall --globals-only` script would do on a server with `existing` roles (pure). */
export function planGlobals(sql: string, existing: ReadonlySet<string>): { script: string; create: string[]; skip: string[]; tablespaces: number } {
  const create = new Set<string>();
  const skip = new Set<string>();
  let tablespaces = 0;
  const kept: string[] = [];
  for (const line of sql.split('\n')) {
    const m = roleLine.exec(line);
    if (m?.[2]) {
      const role = unquote(m[2]);
      if (existing.has(role)) {
        skip.add(role);
        continue;
      }
      if (m[1] === 'CREATE') create.add(role);
    }
    if (/^CREATE TABLESPACE /.test(line) || /^ALTER TABLESPACE /.test(line)) {
      if (line.startsWith('CREATE')) tablespaces++;
      continue;
    }
    kept.push(line);
  }
  return { script: kept.join('\n'), create: [...create], skip: [...skip], tablespaces };
}

async function readGlobals(ctx: RestoreContext): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of ctx.vault.readItem(ctx.snapshot, ctx.item.name, ctx.job.signal)) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

async function prepare(ctx: RestoreContext) {
  const facts = dbItemFacts(ctx.item);
  const server = targetServer(ctx, facts);
  const sql = await readGlobals(ctx);
  if (/^PGDMP/.test(sql)) throw new LifeboatError('corrupt', 'the @globals item holds an archive, not the SQL of pg_dumpall --globals-only');
  const plan = planGlobals(sql, await pgRoles(server, ctx.job.signal));
  const warnings = plan.tablespaces > 0 ? [`${plan.tablespaces} tablespace(s) are not created (their directories must exist on the server first); create them by hand if you need them`] : [];
  return { server, plan, warnings };
}

/** Preview of a globals restore: which roles would be created, which exist and are kept as they are. */
export async function previewGlobals(ctx: RestoreContext): Promise<RestorePreview> {
  const { server, plan, warnings } = await prepare(ctx);
  return {
    summary: `would create ${plan.create.length} role(s) on ${server.container}; ${plan.skip.length} existing role(s) are kept as they are (passwords unchanged)`,
    creates: plan.create.map((r) => `role ${r}`),
    overwrites: [],
    deletes: [],
    details: [...plan.create.map((r) => ({ name: r, snapshot: 'role', differs: true })), ...plan.skip.map((r) => ({ name: r, snapshot: 'role', live: 'exists (kept)', differs: false }))],
    warnings,
  };
}

/** Applies the roles that do not exist yet, all in one transaction. */
export async function restoreGlobals(ctx: RestoreContext): Promise<RestoreReport> {
  const { server, plan, warnings } = await prepare(ctx);
  ctx.job.meter.setPhase('restore', `Creating roles on ${server.container}`, { item: ctx.item.name });
  const script = 'exec psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d postgres -f -';
  expectOk(await runInContainer(server.docker, server.container, dbArgv('postgres', script), { stdin: Buffer.from(plan.script, 'utf8'), signal: ctx.job.signal }), `creating roles on ${server.container}`, 'the script ran in one transaction, so no role was created');
  return { summary: `created ${plan.create.length} role(s) on ${server.container} (${plan.create.join(', ') || 'none'}); kept ${plan.skip.length} existing`, location: server.container, warnings };
}
