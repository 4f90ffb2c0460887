/** Bodies up to this size are read into memory so the tar stream can move on while they are stored. */
export const BUFFER_MAX = 8 * 1024 * 1024;

/**
 * Stores several files at once. The vault's ingest of one stream returns only when its last
 * chunk is hashed, sealed and packed; done file by file, a tree of small files leaves the
 * network and the crypto workers idle in turns. Small bodies are buffered and stored in the
 * background, at most `maxTasks` at a time and at most `maxBuffered` bytes held. The vault's
 * segment pool has four 16 MiB buffers and every running ingest holds one; three tasks leave
 * the fourth for a large file's stream to roll over into, so it never waits on small ones.
 */
export class IngestPipeline {
  private readonly running = new Set<Promise<void>>();
  private buffered = 0;
  private failure: unknown;

  constructor(
    private readonly maxTasks = 3,
    private readonly maxBuffered = 32 * 1024 * 1024,
  ) {}

  private async room(bytes: number): Promise<void> {
    while (this.running.size >= this.maxTasks || (this.running.size > 0 && this.buffered + bytes > this.maxBuffered)) {
      await Promise.race(this.running);
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Starts `task` once there is room for it and `bytes` more of memory; resolves as soon as it
   * has started, with the promise of its result in `done` (guarded against being unhandled;
   * wrapped because a promise resolved with a promise would wait for it).
   */
  async start<T>(bytes: number, task: () => Promise<T>): Promise<{ done: Promise<T> }> {
    await this.room(bytes);
    this.buffered += bytes;
    const result = task();
    result.catch(() => undefined);
    const tracked: Promise<void> = result
      .then(
        () => undefined,
        (err: unknown) => {
          this.failure ??= err;
        },
      )
      .finally(() => {
        this.buffered -= bytes;
        this.running.delete(tracked);
      });
    this.running.add(tracked);
    return { done: result };
  }

  /** Waits for every started task; throws the first failure. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
    if (this.failure) throw this.failure;
  }
}

/** Reads a body completely (it is at most BUFFER_MAX bytes). */
export async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk);
  return parts;
}

/** Replays buffered parts as a stream. */
export async function* replay(parts: readonly Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}
