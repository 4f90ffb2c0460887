import { describe, expect, it } from 'vitest';
import { IngestPipeline } from '../../../src-main/sync/ingest-pipeline';

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
});
