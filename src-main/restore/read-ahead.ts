/** One step of an archive: bytes ready now, a read that may start ahead of its turn, or a marker. */
export interface Step<M> {
  readonly bytes?: Buffer;
  /** Expected size of what `read` returns (for the budget). */
  readonly length?: number;
  readonly read?: () => Promise<Buffer>;
  /** Gives back what `read` returned once it has been consumed (borrowed buffers). */
  readonly release?: (data: Buffer) => void;
  readonly meta?: M;
}

/** A step as delivered: its read (if any) already started. */
export interface Started<M> {
  readonly bytes?: Buffer;
  readonly data?: Promise<Buffer>;
  readonly release?: (data: Buffer) => void;
  readonly meta?: M;
}

/** How far ahead reads may run: bytes of started reads not yet delivered, their number, all steps queued. */
export interface ReadAheadLimits {
  readonly bytes: number;
  readonly reads: number;
  readonly steps: number;
}

/**
 * Delivers steps in order while starting their reads ahead, across file boundaries, within a
 * budget of bytes and reads in flight. Small files then cost no round trip each (the vault's
 * workers always have work queued) and memory stays bounded. On early exit or failure, the
 * source is closed and every started read is awaited and released (so no rejection goes
 * unhandled and no borrowed buffer is kept).
 */
export async function* readAhead<M>(steps: AsyncIterable<Step<M>>, limits: ReadAheadLimits): AsyncGenerator<Started<M>> {
  const it = steps[Symbol.asyncIterator]();
  const queue: { step: Started<M>; length: number }[] = [];
  let inFlight = 0;
  let reads = 0;
  let done = false;
  try {
    for (;;) {
      while (!done && (queue.length === 0 || (inFlight < limits.bytes && reads < limits.reads && queue.length < limits.steps))) {
        const next = await it.next();
        if (next.done) {
          done = true;
          break;
        }
        const s = next.value;
        if (s.read) {
          const data = s.read();
          data.catch(() => undefined);
          const length = Math.max(0, s.length ?? 0);
          queue.push({ step: { data, ...(s.release ? { release: s.release } : {}), ...(s.meta !== undefined ? { meta: s.meta } : {}) }, length });
          inFlight += length;
          reads++;
        } else queue.push({ step: s, length: 0 });
      }
      const head = queue.shift();
      if (!head) return;
      if (head.step.data) {
        inFlight -= head.length;
        reads--;
      }
      yield head.step;
    }
  } finally {
    if (!done) await it.return?.(undefined);
    // Reads never delivered give their buffers back as they finish (later ones may wait for them).
    await Promise.allSettled(queue.map((q) => q.step.data?.then((b) => q.step.release?.(b))));
  }
}
