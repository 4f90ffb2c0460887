import { describe, expect, it } from 'vitest';
import { BodyQueue, BUFFER_MAX, IngestPipeline, TarFileStore } from '../../../src-main/sync/ingest-pipeline';
import type { Flow } from '../../../src-main/sync/tar-ingest';

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('ingest pipeline', () => {
  it('runs at most maxTasks at once and at most maxBuffered bytes, in the background', async () => {
    const pipeline = new IngestPipeline(3, 100);
    let running = 0;
    let peak = 0;
    const task = (v: number) => async () => {
      peak = Math.max(peak, ++running);
      await later(20, undefined);
      running--;
      return v;
    };
    const results = [];
    for (let i = 0; i < 10; i++) results.push((await pipeline.start(10, task(i))).done);
    await pipeline.drain();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    const big = new IngestPipeline(3, 100);
    peak = 0;
    for (let i = 0; i < 4; i++) await big.start(60, task(i));
    await big.drain();
    expect(peak).toBe(1);
  });

  it('reports the first failure to the next start and to drain, with no unhandled rejection', async () => {
    const pipeline = new IngestPipeline(2, 100);
    const failing = await pipeline.start(1, async () => {
      await later(5, undefined);
      throw new Error('disk full');
    });
    await expect(failing.done).rejects.toThrow('disk full');
    await expect(pipeline.start(1, async () => 1)).rejects.toThrow('disk full');
    await expect(pipeline.drain()).rejects.toThrow('disk full');
  });

  it('BodyQueue hands out queued chunks in order, as much as fits per read, and then the end', async () => {
    const tapped: number[] = [];
    const q = new BodyQueue((c) => tapped.push(c.length));
    q.write(Buffer.from('hello '));
    q.write(Buffer.from('world'));
    const buf = Buffer.alloc(8);
    expect(await q.readInto(buf, 0, 8)).toBe(8);
    expect(buf.toString()).toBe('hello wo');
    const waiting = q.readInto(buf, 0, 8);
    q.end();
    expect(await waiting).toBe(3);
    expect(buf.subarray(0, 3).toString()).toBe('rld');
    expect(await q.readInto(buf, 0, 8)).toBe(0);
    expect(tapped).toEqual([6, 5]);
    const broken = new BodyQueue();
    const read = broken.readInto(buf, 0, 8);
    broken.fail(new Error('cut'));
    await expect(read).rejects.toThrow('cut');
  });

  it('TarFileStore holds the source while a file waits for room or a large body queues up, and reports failures', async () => {
    let holds = 0;
    let peak = 0;
    const stops: string[] = [];
    const flow: Flow = {
      hold() {
        peak = Math.max(peak, ++holds);
        let released = false;
        return () => {
          if (!released) holds--;
          released = true;
        };
      },
      stop: (err) => stops.push(err.message),
    };
    const store = new TarFileStore();
    const drainAll = async (body: BodyQueue | { readInto: BodyQueue['readInto'] }) => {
      const buf = Buffer.alloc(1 << 20);
      let total = 0;
      for (let n = await body.readInto(buf, 0, buf.length); n > 0; n = await body.readInto(buf, 0, buf.length)) {
        total += n;
        await later(1, undefined);
      }
      return total;
    };
    const small = Array.from({ length: 6 }, () => store.file(10, flow, drainAll));
    for (const s of small) {
      s.sink.write(Buffer.alloc(10));
      s.sink.end();
    }
    expect(holds).toBeGreaterThan(0);
    const large = store.file(BUFFER_MAX + 1, flow, drainAll);
    for (let i = 0; i < 9; i++) large.sink.write(Buffer.alloc(1 << 20));
    large.sink.end();
    await store.drain();
    expect(await Promise.all(small.map((s) => s.done))).toEqual([10, 10, 10, 10, 10, 10]);
    expect(await large.done).toBe(9 << 20);
    expect(holds).toBe(0);
    expect(stops).toEqual([]);
    const failing = store.file(5, flow, async () => {
      throw new Error('vault full');
    });
    failing.sink.end();
    await expect(failing.done).rejects.toThrow('vault full');
    expect(stops[0]).toBe('vault full');
    expect(() => store.file(5, flow, drainAll)).toThrow('vault full');
    await expect(store.drain()).rejects.toThrow('vault full');
  });

  it('TarFileStore(0) streams every body: a small file is read while it arrives, before its end', async () => {
    const flow: Flow = { hold: () => () => undefined, stop: () => undefined };
    const store = new TarFileStore(0);
    const seen: number[] = [];
    const files = Array.from({ length: 4 }, () =>
      store.file(30, flow, async (body) => {
        const buf = Buffer.alloc(64);
        let total = 0;
        for (let n = await body.readInto(buf, 0, buf.length); n > 0; n = await body.readInto(buf, 0, buf.length)) {
          seen.push(n);
          total += n;
        }
        return total;
      }),
    );
    // Only the first 10 bytes of the first file have arrived: a held body would not be read yet.
    (files[0] as (typeof files)[number]).sink.write(Buffer.alloc(10));
    await later(5, undefined);
    expect(seen).toEqual([10]);
    (files[0] as (typeof files)[number]).sink.write(Buffer.alloc(20));
    for (const f of files) {
      if (f !== files[0]) f.sink.write(Buffer.alloc(30));
      f.sink.end();
    }
    await store.drain();
    expect(await Promise.all(files.map((f) => f.done))).toEqual([30, 30, 30, 30]);
  });
});
