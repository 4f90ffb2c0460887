import type { ByteReader } from '../vault/ingest';
import type { BodySink, Flow } from './tar-ingest';

/** By default, bodies up to this size are held in memory so the tar stream can move on while they are stored. */
export const BUFFER_MAX = 8 * 1024 * 1024;

/** A streamed (large) body may queue this much before the source is held. */
const STREAM_HIGH = 4 * 1024 * 1024;

/**
 * Stores several files at once. The vault's ingest of one stream returns only when its last
 * chunk is hashed, sealed and packed; done file by file, a tree of small files leaves the
 * network and the crypto workers idle in turns. Small bodies are buffered and stored in the
 * background, at most `maxTasks` at a time and at most `maxBuffered` bytes held. (A tree pull's
 * tasks only read a body into its one ingest loop — `loopIngest` — and end when it is read;
 * a separate ingest per task would hold one of the vault's four segments each, so three tasks
 * leave the fourth for a large file's stream to roll over into.)
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
   * wrapped because a promise resolved with a promise would wait for it). Callers start one
   * task at a time (await each start before the next).
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

/**
 * One tar member's body between the network and the vault: chunks are queued as they arrive
 * (never copied) and the vault's ingest copies them straight into its segment buffers through
 * `readInto`, as many as fit per call — one copy in all, and one call per fill instead of a
 * promise per network packet.
 */
export class BodyQueue implements BodySink, ByteReader {
  private parts: Buffer[] = [];
  private head = 0;
  /** Bytes of `parts[head]` already handed out. */
  private offset = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** Bytes received and not yet read. */
  queued = 0;

  /** `tap` sees every chunk as it arrives (block hashes); `onRead` runs after each read. */
  constructor(
    private readonly tap?: (chunk: Buffer) => void,
    private readonly onRead?: (queued: number) => void,
  ) {}

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.tap?.(chunk);
    this.parts.push(chunk);
    this.queued += chunk.length;
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  /** True once the whole body has arrived. */
  get complete(): boolean {
    return this.ended;
  }

  async readInto(buf: Buffer, offset: number, length: number): Promise<number> {
    while (this.queued === 0 && !this.ended && !this.failure) await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
    let n = 0;
    while (n < length && this.queued > 0) {
      const part = this.parts[this.head] as Buffer;
      const take = Math.min(part.length - this.offset, length - n);
      part.copy(buf, offset + n, this.offset, this.offset + take);
      n += take;
      this.queued -= take;
      this.offset += take;
      if (this.offset === part.length) {
        this.parts[this.head++] = undefined as unknown as Buffer;
        this.offset = 0;
      }
    }
    if (this.head > 64 && this.head * 2 > this.parts.length) {
      this.parts = this.parts.slice(this.head);
      this.head = 0;
    }
    this.onRead?.(this.queued);
    return n;
  }
}

/**
 * The files of one tar stream on their way into the vault, fed by `receiveTar`'s callbacks.
 * A small body (see `holdUpTo`) is held until it is complete, then stored in the background
 * (IngestPipeline); a large one is stored while it streams, the source held whenever more than
 * a few MiB wait.
 * Starts happen one at a time in arrival order; while one waits for room, the source is held
 * — the vault's pace reaches the server through the SSH window.
 */
export class TarFileStore {
  private readonly pipeline = new IngestPipeline();
  private chain: Promise<unknown> = Promise.resolve();
  private failure: unknown;

  /**
   * `holdUpTo`: bodies up to this size are held until complete, larger ones stream. Holding
   * lets a store per file (archive pulls) run beside the transfer; a tree pull's one ingest
   * loop reads files in order anyway, so it streams every body (`0`): a body is then read while
   * it arrives and its network buffers die young instead of being kept (and promoted by the
   * garbage collector) until the file is complete.
   */
  constructor(private readonly holdUpTo = BUFFER_MAX) {}

  /**
   * The sink for a file member of `size` bytes, and the promise of what `store` returns for its
   * body; `tap` sees the body's chunks as they arrive. Throws once a store has failed, so the
   * caller stops reading the stream.
   */
  file<T>(size: number, flow: Flow, store: (body: ByteReader) => Promise<T>, tap?: (chunk: Buffer) => void): { sink: BodySink; done: Promise<T> } {
    if (this.failure) throw this.failure;
    let result!: { resolve(v: Promise<T>): void; reject(e: unknown): void };
    const done = new Promise<T>((resolve, reject) => (result = { resolve, reject }));
    done.catch(() => undefined);
    if (size > this.holdUpTo) {
      let release: (() => void) | undefined;
      let reading = true;
      const unhold = () => {
        release?.();
        release = undefined;
      };
      const queue = new BodyQueue(tap, (queued) => {
        if (queued < STREAM_HIGH / 2) unhold();
      });
      const sink: BodySink = {
        write: (chunk) => {
          queue.write(chunk);
          // Once the store gave up nothing reads the queue: a hold then would never be released.
          if (reading && queue.queued > STREAM_HIGH && !release) release = flow.hold();
        },
        end: () => queue.end(),
        fail: (err) => queue.fail(err),
      };
      const stored = () =>
        store(queue).finally(() => {
          reading = false;
          unhold();
        });
      this.enqueue(0, flow, stored, result);
      return { sink, done };
    }
    const queue = new BodyQueue(tap);
    const sink: BodySink = {
      write: (chunk) => queue.write(chunk),
      end: () => {
        queue.end();
        this.enqueue(size, flow, () => store(queue), result);
      },
      fail: (err) => {
        queue.fail(err);
        result.reject(err);
      },
    };
    return { sink, done };
  }

  private enqueue<T>(bytes: number, flow: Flow, task: () => Promise<T>, result: { resolve(v: Promise<T>): void; reject(e: unknown): void }): void {
    const release = flow.hold();
    this.chain = this.chain
      .then(() => this.pipeline.start(bytes, task))
      .then(
        (started) => {
          started.done.catch((err: unknown) => this.fail(err, flow));
          result.resolve(started.done);
        },
        (err: unknown) => {
          this.fail(err, flow);
          result.reject(err);
        },
      )
      .finally(release);
  }

  /** A store failed: no later file can be stored, so the transfer ends now (not at the next member, and never paused for good). */
  private fail(err: unknown, flow: Flow): void {
    this.failure ??= err;
    flow.stop(this.failure instanceof Error ? this.failure : new Error(String(this.failure)));
  }

  /** Waits until every file started is stored; throws the first failure. */
  async drain(): Promise<void> {
    await this.chain;
    await this.pipeline.drain();
  }
}
