import type { Readable } from 'node:stream';

/** How a remote process ended. */
export interface RemoteExit {
  readonly code: number | null;
  readonly signal?: string;
  /** The last 8 KiB of its stderr, for error messages (never shown raw when it may hold secrets). */
  readonly stderr: string;
}

/**
 * A command running on a server (over SSH or `docker exec`) whose stdout is consumed as a
 * stream with backpressure, so a 100 GB dump never sits in memory. `done` settles once the
 * process has exited and its output was read (or abandoned by `kill`).
 */
export interface RemoteProcess {
  readonly stdout: Readable;
  readonly done: Promise<RemoteExit>;
  /** Stops the remote process itself (not just our end of the pipe); safe to call twice. */
  kill(): Promise<void>;
}

/** Options shared by the spawners. */
export interface SpawnOptions {
  /** Aborting kills the remote process. */
  readonly signal?: AbortSignal;
  /** Bytes (or a stream) fed to the process's stdin; stdin is closed after it. */
  readonly stdin?: Buffer | Readable;
  /**
   * SSH only (containerSpawn refuses it): chunks written to stdin one at a time, the next pulled
   * only once the previous one has been copied into SSH packets, so a producer may lend
   * buffers it reuses. stdin is closed after the last; if the iteration throws, the process is
   * killed and `done` rejects with that error.
   */
  readonly input?: AsyncIterable<Buffer>;
}

/** Keeps the tail of a text stream within `limit` characters. */
export function tailCollector(limit = 8192): { push(chunk: Buffer | string): void; text(): string } {
  let text = '';
  return {
    push(chunk) {
      text = (text + chunk.toString()).slice(-limit);
    },
    text: () => text,
  };
}

/** Waits `ms` without keeping the process alive (the bounded waits of a stop or a drain). */
export const unrefDelay = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms).unref());
