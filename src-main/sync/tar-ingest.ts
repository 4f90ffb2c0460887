import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { LifeboatError } from '../api/errors';

/** Kind of a tar member, reduced to what a tree item stores. */
export type TarMemberType = 'file' | 'hardlink' | 'dir' | 'symlink' | 'other';

/** One member of a tar stream; `body` must be read to its end (or skipped) before the next. */
export interface TarMember {
  /** Relative path with `/` separators, no leading `./`, no trailing `/`. */
  readonly path: string;
  readonly type: TarMemberType;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time in milliseconds (tar headers carry seconds, pax headers more). */
  readonly mtimeMs: number;
  /** Symlink target, or the member a hard link points to (normalised like `path`). */
  readonly linkpath?: string;
  readonly body: AsyncIterable<Buffer>;
}

function memberType(type: string): TarMemberType {
  if (type === 'File' || type === 'OldFile' || type === 'ContiguousFile') return 'file';
  if (type === 'Link') return 'hardlink';
  if (type === 'Directory') return 'dir';
  if (type === 'SymbolicLink') return 'symlink';
  return 'other';
}

/** Normalises a member name: strips `./` and trailing `/`; refuses absolute paths and `..`. */
export function memberPath(raw: string): string {
  let path = raw.replace(/\/+$/, '');
  while (path.startsWith('./')) path = path.slice(2);
  if (path === '.') return '';
  if (path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '' || part === '.')) {
    throw new LifeboatError('corrupt', `refusing a suspicious name in a tar stream from the server: ${JSON.stringify(path.slice(0, 200))}`, 'the server sent an archive Lifeboat will not store; check what wrote it');
  }
  return path;
}

/**
 * Reads a tar stream (GNU, ustar or pax, as GNU tar, busybox or Docker's archive endpoint
 * write it) with node-tar's Parser and yields its members one at a time, with backpressure
 * all the way: the source is read only as fast as the consumer reads each member's body.
 * Nothing is written to disk; a truncated or malformed stream is an error, never a short file.
 */
export async function* tarMembers(source: Readable, signal?: AbortSignal): AsyncGenerator<TarMember> {
  const parser = new Parser({ strict: true });
  const waiting: ReadEntry[] = [];
  let failure: Error | undefined;
  let finished = false;
  let current: ReadEntry | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // A failure also ends the body being read, so a consumer never waits for bytes that will not come.
  const fail = (err: Error) => {
    failure ??= err;
    current?.on('error', () => undefined);
    current?.destroy(asError(failure));
    notify();
  };
  parser.on('entry', (entry: ReadEntry) => {
    waiting.push(entry);
    notify();
  });
  parser.on('error', (err: Error) => fail(err));
  parser.on('end', () => {
    finished = true;
    notify();
  });
  const onAbort = () => {
    fail(new LifeboatError('cancelled', 'the transfer was cancelled'));
    source.destroy();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const pump = (async () => {
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (failure) return;
        if (!parser.write(chunk)) await new Promise<void>((r) => parser.once('drain', () => r()));
      }
      parser.end();
    } catch (err) {
      fail(err as Error);
    }
  })();
  try {
    for (;;) {
      if (failure) throw asError(failure);
      const entry = waiting.shift();
      if (!entry) {
        if (finished) break;
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      current = entry;
      const member: TarMember = { ...headerOf(entry), body: entry as unknown as AsyncIterable<Buffer> };
      yield member;
      if (failure) throw asError(failure);
      if (!entry.emittedEnd) {
        // The consumer skipped (part of) the body: drain it so the parser moves on.
        await new Promise<void>((r) => {
          entry.on('end', () => r());
          entry.resume();
        });
      }
    }
    await pump;
    if (failure) throw asError(failure);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) source.destroy();
    await pump.catch(() => undefined);
  }
}

/** A member's header as a tree item needs it (paths normalised and checked). */
export type TarHeader = Omit<TarMember, 'body'>;

function headerOf(entry: ReadEntry): TarHeader {
  const type = memberType(entry.type);
  const raw = entry.linkpath ?? '';
  return {
    path: memberPath(entry.path),
    type,
    size: entry.size ?? 0,
    mode: (entry.mode ?? 0) & 0o7777,
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    mtimeMs: entry.mtime ? entry.mtime.getTime() : 0,
    ...(type === 'symlink' ? { linkpath: raw } : type === 'hardlink' ? { linkpath: memberPath(raw) } : {}),
  };
}

/** Takes one member's body as it arrives, synchronously, in order. */
export interface BodySink {
  write(chunk: Buffer): void;
  end(): void;
  /** The stream broke (or was cancelled) before the body ended. */
  fail(err: Error): void;
}

/** Lets a consumer stop the source for a while (backpressure), or for good, from any member's callbacks. */
export interface Flow {
  /** Pauses the source until every hold taken is released; returns the release (idempotent). */
  hold(): () => void;
  /**
   * Ends the transfer from the consumer's side (a body could not be stored): the source is
   * destroyed, the open sink fails and `receiveTar` rejects with `err` as it is. Without it a
   * consumer that failed while holding the source would leave it paused for good.
   */
  stop(err: Error): void;
}

/** Options of `receiveTar`. */
export interface ReceiveOptions {
  readonly signal?: AbortSignal;
  /** Sees every byte count read from the source (bytes on the wire). */
  readonly onBytes?: (n: number) => void;
}

/**
 * The bulk path of the pulls: like `tarMembers`, but push-driven. Each chunk the source emits
 * is parsed at once (node-tar's Parser, synchronously) and body bytes go straight to the
 * member's sink — no promise, stream hop or copy per chunk; a tree of thousands of files read
 * through `tarMembers` spends much of its main-thread time on exactly that. `onMember` gets the
 * header and returns the sink (or nothing: the body is skipped). Backpressure is explicit: a
 * consumer that cannot keep up takes a `flow.hold()`; sinks still receive the rest of the chunk
 * being parsed (at most one source chunk more). A consumer that cannot go on calls `flow.stop`. Resolves when the archive ended cleanly and
 * every sink got `end`; a truncated or malformed stream, a throwing callback or the signal
 * rejects, failing the open sink, and destroys the source.
 */
export function receiveTar(source: Readable, onMember: (header: TarHeader, flow: Flow) => BodySink | undefined, options: ReceiveOptions = {}): Promise<void> {
  const { signal, onBytes } = options;
  return new Promise<void>((resolve, reject) => {
    const parser = new Parser({ strict: true });
    let holds = 0;
    let settled = false;
    let open: BodySink | undefined;
    const flow: Flow = {
      hold() {
        if (holds++ === 0) source.pause();
        let released = false;
        return () => {
          if (released) return;
          released = true;
          if (--holds === 0 && !settled) source.resume();
        };
      },
      stop(err) {
        finish(err, true);
      },
    };
    const finish = (err?: Error, asIs = false) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      source.off('data', onData);
      if (!err) return resolve();
      const failure = asIs ? err : asError(err);
      open?.fail(failure);
      open = undefined;
      source.destroy();
      reject(failure);
    };
    const onAbort = () => finish(new LifeboatError('cancelled', 'the transfer was cancelled'));
    parser.on('entry', (entry: ReadEntry) => {
      let sink: BodySink | undefined;
      try {
        sink = onMember(headerOf(entry), flow);
      } catch (err) {
        finish(err as Error);
        return;
      }
      open = sink;
      if (sink) {
        entry.on('data', (chunk: Buffer) => sink.write(chunk));
        entry.on('end', () => {
          if (open === sink) open = undefined;
          sink.end();
        });
      } else entry.resume();
    });
    parser.on('error', (err: Error) => finish(err));
    parser.on('end', () => finish());
    const onData = (chunk: Buffer) => {
      onBytes?.(chunk.length);
      try {
        parser.write(chunk);
      } catch (err) {
        finish(err as Error);
      }
    };
    source.on('data', onData);
    source.on('end', () => parser.end());
    source.on('error', (err) => finish(err));
    source.on('close', () => {
      if (!source.readableEnded) finish(new Error('the stream closed before the end of the archive'));
    });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function asError(err: Error): Error {
  if (err instanceof LifeboatError) return err;
  return new LifeboatError('corrupt', `the tar stream from the server is damaged: ${err.message}`, 'run the backup again; if it keeps failing, check the server for disk errors');
}
