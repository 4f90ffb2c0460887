import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fstatSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ParsedInput } from '../api/contract';
import { LifeboatError } from '../api/errors';
import type { SnapshotSummary } from '../api/vault-contract';
import { ProgressMeter } from '../jobs/progress-meter';
import { Catalog } from '../vault/catalog';
import { checkVault } from '../vault/check';
import { copyVault } from '../vault/copy';
import { Dirs, isHexId, shortId } from '../vault/format';
import { readTreePath, treeItemOf } from '../restore/tree-browse';
import { listLocks } from '../vault/locks';
import { fdReader } from '../vault/ingest';
import { pruneVault } from '../vault/prune';
import type { Snapshot } from '../vault/snapshots';
import { type Vault, initVault, openVault } from '../vault/vault';
import type { CallContext, HandlerTable } from './handlers';

/** Standard streams of the door that started the engine (only the CLI has them). */
export interface EngineStdio {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
}

/** What the vault handlers need from the composition root. */
export interface VaultServices {
  readonly home: string;
  /** `LIFEBOAT_VAULT` and `LIFEBOAT_PASSPHRASE` defaults come from here. */
  readonly env: NodeJS.ProcessEnv;
  readonly stdio?: EngineStdio;
}

type VaultRequest = 'vaultInit' | 'vaultInfo' | 'vaultPasswd' | 'vaultSnapshots' | 'vaultCheck' | 'vaultPrune' | 'vaultCopy' | 'vaultCatalogRebuild' | 'vaultBackupStdin' | 'vaultCat';
type Access = { vault?: string | undefined; passphrase?: string | undefined };

/** The list form of a snapshot. */
export function summarize(s: Snapshot): SnapshotSummary {
  return {
    id: s.id,
    short: shortId(s.id),
    time: s.time,
    host: s.host,
    tags: s.tags,
    ...(s.label ? { label: s.label } : {}),
    size: s.items.reduce((n, i) => n + i.size, 0),
    added: s.stats.storedNew,
    items: s.items.map((i) => ({ name: i.name, kind: i.kind, type: i.type, size: i.size, ...(i.entries === undefined ? {} : { entries: i.entries }) })),
  };
}

/** Reports progress of one long request as `jobProgress` events, at most four a second. */
function reporter(ctx: CallContext, phase: string, label: string) {
  const meter = new ProgressMeter(randomUUID());
  meter.setPhase(phase, label);
  let last = 0;
  return {
    meter,
    update(phaseNow: string, done: number, total?: number, labelNow?: string) {
      if (phaseNow !== phase) {
        phase = phaseNow;
        meter.setPhase(phaseNow, labelNow ?? label, total === undefined ? {} : { bytesTotal: total });
      }
      meter.set(done, total);
      const now = Date.now();
      if (now - last >= 250) {
        last = now;
        ctx.emit('jobProgress', meter.snapshot());
      }
    },
    done() {
      ctx.emit('jobProgress', meter.snapshot());
    },
  };
}

/** Handlers of the vault requests. */
export function vaultHandlers(services: VaultServices): HandlerTable<VaultRequest> {
  const dirOf = (input: Access) => input.vault ?? (services.env.LIFEBOAT_VAULT || join(services.home, 'vault'));
  const passOf = (input: Access) => {
    const pass = input.passphrase ?? services.env.LIFEBOAT_PASSPHRASE;
    if (!pass) throw new LifeboatError('bad-input', 'the vault passphrase is needed', 'set LIFEBOAT_PASSPHRASE, use --passphrase-file FILE, or run in a terminal to be asked');
    return pass;
  };
  const catalogFile = join(services.home, 'catalog.sqlite');

  async function withVault<T>(input: Access, fn: (vault: Vault) => Promise<T>): Promise<T> {
    const catalog = Catalog.open(catalogFile);
    try {
      const vault = await openVault({ dir: dirOf(input), passphrase: passOf(input), catalog });
      try {
        return await fn(vault);
      } finally {
        await vault.close();
      }
    } finally {
      catalog.close();
    }
  }

  const stdio = (what: string): EngineStdio => {
    if (!services.stdio) throw new LifeboatError('unsupported', `${what} works only from the command line`, 'run "lifeboat" in a terminal or script');
    return services.stdio;
  };

  return {
    vaultInit: async (input) => {
      const dir = dirOf(input);
      const config = await initVault({ dir, passphrase: input.passphrase });
      const vault = await openVault({ dir, passphrase: input.passphrase });
      try {
        const key = JSON.parse((await vault.storage.readFile(`${Dirs.keys}/${vault.keys.keyId}`)).toString('utf8')) as { kdf: { N: number; r: number; p: number } };
        return { path: dir, id: config.id, version: config.version, kdf: { name: 'scrypt' as const, N: key.kdf.N, r: key.kdf.r, p: key.kdf.p } };
      } finally {
        await vault.close();
      }
    },
    vaultInfo: (input) =>
      withVault(input, async (vault) => {
        const { storage } = vault;
        let packs = 0;
        let storedBytes = 0;
        for (const dir of await storage.list(Dirs.data)) {
          for (const name of (await storage.list(`${Dirs.data}/${dir}`)).filter(isHexId)) {
            packs++;
            storedBytes += (await storage.size(`${Dirs.data}/${dir}/${name}`)) ?? 0;
          }
        }
        const index = await vault.refreshIndex();
        const locks = (await listLocks(storage, vault.master)).map((l) => ({ id: l.id, operation: l.info?.operation ?? '?', exclusive: l.info?.exclusive ?? false, host: l.info?.host ?? '?', pid: l.info?.pid ?? 0, stale: l.stale }));
        return {
          path: storage.root,
          id: vault.config.id,
          version: vault.config.version,
          created: vault.config.created,
          catalog: catalogFile,
          snapshots: (await vault.listSnapshots()).length,
          packs,
          indexFiles: (await storage.list(Dirs.index)).filter(isHexId).length,
          blobs: index.size,
          storedBytes,
          keys: (await storage.list(Dirs.keys)).filter(isHexId).length,
          locks,
        };
      }),
    vaultPasswd: (input) => withVault(input, async (vault) => ({ keyId: await vault.changePassphrase(input.newPassphrase) })),
    vaultSnapshots: (input) => withVault(input, async (vault) => ({ snapshots: (await vault.listSnapshots()).map(summarize) })),
    vaultCheck: (input, ctx) =>
      withVault(input, async (vault) => {
        const progress = reporter(ctx, 'check', input.readData ? 'Checking every blob' : 'Checking the vault structure');
        const report = await checkVault(vault, { readData: input.readData, signal: ctx.signal, onProgress: (phase, done, total) => progress.update(phase, done, total) });
        progress.done();
        return report;
      }),
    vaultPrune: (input, ctx) =>
      withVault(input, async (vault) => {
        const progress = reporter(ctx, 'plan', 'Pruning');
        const result = await pruneVault(vault, {
          policy: { last: input.keepLast, hourly: input.keepHourly, daily: input.keepDaily, weekly: input.keepWeekly, monthly: input.keepMonthly, yearly: input.keepYearly },
          dryRun: input.dryRun,
          signal: ctx.signal,
          onProgress: (phase, done, total) => progress.update(phase, done, total),
        });
        progress.done();
        return result;
      }),
    vaultCopy: (input, ctx) =>
      withVault(input, async (vault) => {
        const progress = reporter(ctx, 'copy', `Copying the vault to ${input.to}`);
        const result = await copyVault(vault, { target: input.to, signal: ctx.signal, onProgress: (phase, done, total) => progress.update(phase, done, total) });
        progress.done();
        return result;
      }),
    vaultCatalogRebuild: (input) =>
      withVault(input, async (vault) => {
        const catalog = vault.catalog as Catalog;
        const before = catalog.list(vault).length;
        return { before, after: (await catalog.rebuild(vault)).length };
      }),
    vaultBackupStdin: (input, ctx) => backupStdin(input, ctx),
    vaultCat: (input, ctx) => cat(input, ctx),
  };

  async function backupStdin(input: ParsedInput<'vaultBackupStdin'>, ctx: CallContext) {
    const { stdin } = stdio('backup-stdin');
    return withVault(input, async (vault) => {
      const started = process.hrtime.bigint();
      const progress = reporter(ctx, 'backup', `Storing ${input.name}`);
      let bytes = 0;
      const writer = await vault.createSnapshot({ host: input.host ?? hostname(), tags: input.tags }, ctx.signal);
      try {
        // A file on fd 0 is read straight into the ingest's buffers; pipes may be non-blocking,
        // so they go through Node's stream.
        const source = stdin === process.stdin && fstatSync(0).isFile() ? fdReader(0) : (stdin as AsyncIterable<Buffer>);
        await writer.addStream({ name: input.name, kind: input.kind, signal: ctx.signal, onBytes: (n) => progress.update('backup', (bytes += n)) }, source);
        const snapshot = await writer.commit();
        progress.done();
        return { snapshot: summarize(snapshot), ...snapshot.stats, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
      } catch (err) {
        await writer.abort();
        throw err;
      }
    });
  }

  async function cat(input: ParsedInput<'vaultCat'>, ctx: CallContext) {
    const { stdout } = stdio('cat');
    return withVault(input, async (vault) => {
      const started = process.hrtime.bigint();
      const snapshot = await vault.snapshot(input.snapshot);
      const progress = reporter(ctx, 'restore', `Reading ${input.item}`);
      let bytes = 0;
      const write = async (chunk: Buffer) => {
        bytes += chunk.length;
        progress.update('restore', bytes);
        if (!stdout.write(chunk)) await once(stdout, 'drain');
      };
      const direct = snapshot.items.find((i) => i.name === input.item);
      if (direct && input.path === undefined) {
        progress.update('restore', 0, direct.size);
        for await (const chunk of vault.readItem(snapshot, input.item, ctx.signal)) await write(chunk);
      } else {
        // ITEM PATH, or the older TREE-ITEM/path form.
        const tree = direct ?? snapshot.items.find((i) => i.type === 'tree' && input.item.startsWith(`${i.name}/`));
        if (!tree) vault.item(snapshot, input.item);
        const item = treeItemOf(vault, snapshot, (tree as { name: string }).name);
        const path = input.path ?? input.item.slice(item.name.length + 1);
        for await (const chunk of readTreePath(vault, snapshot, item, path, ctx.signal)) await write(chunk);
      }
      progress.done();
      return { bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    });
  }
}
