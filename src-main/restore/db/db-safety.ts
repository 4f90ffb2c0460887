import { Readable } from 'node:stream';
import { LifeboatError } from '../../api/errors';
import type { RemoteProcess } from '../../hosts/remote-process';
import type { Snapshot } from '../../vault/snapshots';
import type { Vault } from '../../vault/vault';

/** How a safety copy is recorded. */
export interface SafetyStreamOptions {
  /** Host name of the server the copy came from (the snapshot's host). */
  readonly host: string;
  /** Item name and kind: the same as the item being restored, so the copy restores like it. */
  readonly item: string;
  readonly kind: string;
  readonly label: string;
  readonly info: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly onBytes?: (n: number) => void;
  /** Checks the first bytes (a dump header) before the copy is committed. */
  readonly verifyHead?: (head: Buffer) => void;
  /** Smallest believable size; a smaller copy is an error, never a green tick. */
  readonly minBytes?: number;
}

/**
 * Streams a process's stdout (a dump of what is about to be overwritten) into its own
 * snapshot tagged `safety`. The snapshot is committed only if the tool exited 0, the copy is
 * not suspiciously small and its header verifies; otherwise nothing is recorded and the
 * error says the restore did not start.
 */
export async function saveSafetyStream(vault: Vault, proc: RemoteProcess, options: SafetyStreamOptions): Promise<Snapshot> {
  const writer = await vault.createSnapshot({ host: options.host, tags: ['safety'], label: options.label }, options.signal);
  let head = Buffer.alloc(0);
  let bytes = 0;
  const tee = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      if (head.length < 4096) head = Buffer.concat([head, chunk.subarray(0, 4096 - head.length)]);
      bytes += chunk.length;
      yield chunk;
    }
  };
  try {
    await writer.addStream(
      { name: options.item, kind: options.kind, info: { ...options.info, safety: 'true' }, ...(options.signal ? { signal: options.signal } : {}), ...(options.onBytes ? { onBytes: options.onBytes } : {}) },
      tee(proc.stdout as AsyncIterable<Buffer>),
    );
    const exit = await proc.done;
    if (exit.code !== 0) {
      const last = exit.stderr.trim().split('\n').pop() ?? '';
      throw new LifeboatError('remote-failed', `the safety dump failed (${exit.code === null ? `stopped${exit.signal ? ` by ${exit.signal}` : ''}` : `exit ${exit.code}`})${last ? `: ${last.slice(0, 300)}` : ''}`, 'nothing was changed; fix the cause and run the restore again');
    }
    if (bytes < (options.minBytes ?? 1)) throw new LifeboatError('remote-failed', `the safety dump is only ${bytes} bytes`, 'nothing was changed; check the database and run the restore again');
    options.verifyHead?.(head);
    return await writer.commit();
  } catch (err) {
    await proc.kill();
    await writer.abort();
    if (err instanceof LifeboatError) throw err;
    // A stream torn down by the tool's death ("Premature close") still means: the safety dump failed.
    throw new LifeboatError('remote-failed', `the safety dump failed: ${err instanceof Error ? err.message : String(err)}`, 'nothing was changed; fix the cause and run the restore again', { cause: err });
  }
}

/** Reads a stored stream item back as a Node stream (the vault lock is released when it ends or is destroyed). */
export function itemStream(vault: Vault, snapshot: Snapshot, item: string, signal?: AbortSignal): Readable {
  return Readable.from(vault.readItem(snapshot, item, signal), { objectMode: false });
}

/** The first `n` bytes of a stored stream item (dump headers). */
export async function itemHead(vault: Vault, snapshot: Snapshot, item: string, n = 65536, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  const iter = vault.readItem(snapshot, item, signal);
  try {
    for await (const chunk of iter) {
      parts.push(chunk);
      got += chunk.length;
      if (got >= n) break;
    }
  } finally {
    await iter.return(undefined);
  }
  return Buffer.concat(parts).subarray(0, n);
}
