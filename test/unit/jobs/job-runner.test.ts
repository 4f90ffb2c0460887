import { describe, expect, it } from 'vitest';
import type { JobState } from '../../../src-main/api/jobs-contract';
import type { JobLog, Progress } from '../../../src-main/api/progress';
import { type JobContext, JobRunner } from '../../../src-main/jobs/job-runner';
import { ProgressMeter } from '../../../src-main/jobs/progress-meter';

function recordingRunner() {
  const states: JobState[] = [];
  const progress: Progress[] = [];
  const logs: JobLog[] = [];
  const runner = new JobRunner({ state: (s) => states.push(s), progress: (p) => progress.push(p), log: (l) => logs.push(l) }, { reportEveryMs: 0 });
  return { runner, states, progress, logs };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

describe('job runner', () => {
  it('runs one job per lane at a time and lanes in parallel', async () => {
    const { runner } = recordingRunner();
    const order: string[] = [];
    const gates = { a1: gate(), b1: gate() };
    const job = (name: string, lane: string, wait?: Promise<void>) => ({
      kind: 'test',
      label: name,
      lane,
      run: async () => {
        order.push(`start ${name}`);
        await wait;
        order.push(`end ${name}`);
      },
    });
    const a1 = runner.submit(job('a1', 'host:a', gates.a1.opened));
    const a2 = runner.submit(job('a2', 'host:a'));
    const b1 = runner.submit(job('b1', 'host:b', gates.b1.opened));
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['start a1', 'start b1']);
    expect(runner.list().find((j) => j.id === a2.id)?.status).toBe('queued');
    gates.b1.open();
    await b1.done;
    expect(order).not.toContain('start a2');
    gates.a1.open();
    await a2.done;
    expect(order).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
    expect((await a1.done).status).toBe('succeeded');
  });

  it('reports partial when some items fail, failed when all do, and keeps going after a failed item', async () => {
    const { runner } = recordingRunner();
    const partial = runner.submit({
      kind: 'backup', label: 'p', lane: 'x',
      run: async (ctx: JobContext) => {
        ctx.itemDone({ item: 'wiki/postgres:wiki', status: 'failed', message: 'pg_dump exited 1', warnings: [] });
        ctx.itemDone({ item: 'wiki/volume:wiki_uploads', status: 'succeeded', warnings: [], bytes: 10 });
      },
    });
    const final = await partial.done;
    expect(final.status).toBe('partial');
    expect(final.items.map((i) => i.status)).toEqual(['failed', 'succeeded']);
    const failed = runner.submit({
      kind: 'backup', label: 'f', lane: 'x',
      run: async (ctx) => ctx.itemDone({ item: 'a', status: 'failed', warnings: [] }),
    });
    expect((await failed.done).status).toBe('failed');
  });

  it('turns a thrown error into a failed job with a logged message', async () => {
    const { runner, logs } = recordingRunner();
    const job = runner.submit({ kind: 'x', label: 'boom', lane: 'l', run: async () => { throw new Error('host unreachable'); } });
    const final = await job.done;
    expect(final).toMatchObject({ status: 'failed', error: 'host unreachable' });
    expect(logs).toEqual([expect.objectContaining({ jobId: job.id, level: 'error', message: 'host unreachable' })]);
  });

  it('cancels a running job through its signal and a queued one before it starts', async () => {
    const { runner } = recordingRunner();
    let sawAbort = false;
    const running = runner.submit({
      kind: 'x', label: 'long', lane: 'l',
      run: async (ctx) => {
        try {
          await waitForAbort(ctx.signal);
        } finally {
          sawAbort = ctx.signal.aborted;
        }
      },
    });
    let queuedRan = false;
    const queued = runner.submit({ kind: 'x', label: 'next', lane: 'l', run: async () => { queuedRan = true; } });
    await new Promise((r) => setTimeout(r, 5));
    expect(runner.cancel(queued.id)).toBe(true);
    expect(runner.cancel(running.id)).toBe(true);
    expect((await running.done).status).toBe('cancelled');
    expect((await queued.done).status).toBe('cancelled');
    expect(sawAbort).toBe(true);
    expect(queuedRan).toBe(false);
    expect(runner.cancel(running.id)).toBe(false);
    expect(runner.cancel('no-such-job')).toBe(false);
  });

  it('publishes progress as data and a state event for every transition', async () => {
    const { runner, states, progress } = recordingRunner();
    const job = runner.submit({
      kind: 'x', label: 'copy', lane: 'l',
      run: async (ctx) => {
        ctx.meter.setPhase('upload', 'Uploading', { item: 'i', bytesTotal: 100 });
        ctx.meter.add(40);
        ctx.report(true);
      },
    });
    await job.done;
    expect(states.filter((s) => s.id === job.id).map((s) => s.status)).toEqual(['queued', 'running', 'succeeded']);
    expect(progress[0]).toMatchObject({ jobId: job.id, phase: 'upload', item: 'i', bytesDone: 40, bytesTotal: 100 });
  });

  it('shutdown cancels everything and waits', async () => {
    const { runner } = recordingRunner();
    const a = runner.submit({ kind: 'x', label: 'a', lane: 'l', run: (ctx) => waitForAbort(ctx.signal) });
    await runner.shutdown();
    expect((await a.done).status).toBe('cancelled');
  });
});

describe('progress meter', () => {
  it('computes a smoothed rate and an ETA from a clock', () => {
    let now = 0;
    const meter = new ProgressMeter('j', () => now, 1000);
    meter.setPhase('pull', 'Pulling', { bytesTotal: 10_000 });
    now = 1000;
    meter.add(1000);
    const first = meter.snapshot();
    expect(first.rate).toBe(1000);
    expect(first.etaSeconds).toBe(9);
    now = 2000;
    meter.add(3000);
    const second = meter.snapshot();
    expect(second.rate).toBe(3000);
    expect(second.etaSeconds).toBe(2);
  });

  it('has no ETA without a total or while nothing moved', () => {
    let now = 0;
    const meter = new ProgressMeter('j', () => now);
    meter.setPhase('dump', 'Dumping');
    now = 500;
    meter.add(10);
    expect(meter.snapshot().etaSeconds).toBeUndefined();
    meter.setPhase('verify', 'Verifying', { bytesTotal: 10 });
    expect(meter.snapshot().etaSeconds).toBeUndefined();
  });
});
