import { randomUUID } from 'node:crypto';
import type { ItemOutcome, JobState } from '../api/jobs-contract';
import type { JobLog, Progress } from '../api/progress';
import { LifeboatError } from '../api/errors';
import { type Clock, ProgressMeter } from './progress-meter';

/** What a running job may do: report progress, log, and notice cancellation. */
export interface JobContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  readonly meter: ProgressMeter;
  /** Publishes the meter's current state (rate-limited by the runner). */
  report(force?: boolean): void;
  log(level: JobLog['level'], message: string): void;
  /** Records one item's outcome; a failed item does not fail the others. */
  itemDone(outcome: ItemOutcome): void;
}

/** A unit of long work submitted to the runner. */
export interface JobSpec {
  readonly kind: string;
  readonly label: string;
  /** Serialisation key, e.g. `host:nas`; jobs in one lane never overlap. */
  readonly lane: string;
  run(ctx: JobContext): Promise<void>;
}

/** Where the runner publishes state, progress and logs (the engine's event bus, the catalog). */
export interface JobSinks {
  state(job: JobState): void;
  progress(progress: Progress): void;
  log(entry: JobLog): void;
}

interface Entry {
  state: JobState;
  spec: JobSpec;
  controller: AbortController;
  done: Promise<JobState>;
  resolve(state: JobState): void;
}

/**
 * Owns all long work: one job per lane (host) at a time, lanes in parallel, progress as data,
 * cancellation that reaches the job's signal, and a summary per item at the end.
 */
export class JobRunner {
  private readonly jobs = new Map<string, Entry>();
  private readonly busyLanes = new Set<string>();
  private readonly keepFinished: number;

  constructor(
    private readonly sinks: JobSinks,
    private readonly options: { clock?: Clock; reportEveryMs?: number; keepFinished?: number } = {},
  ) {
    this.keepFinished = options.keepFinished ?? 50;
  }

  /** Queues a job; returns its id and a promise of its final state (never rejects). */
  submit(spec: JobSpec): { id: string; done: Promise<JobState> } {
    const id = randomUUID();
    let resolve!: (s: JobState) => void;
    const done = new Promise<JobState>((r) => (resolve = r));
    const state: JobState = {
      id,
      kind: spec.kind,
      label: spec.label,
      lane: spec.lane,
      status: 'queued',
      createdAt: new Date().toISOString(),
      items: [],
    };
    this.jobs.set(id, { state, spec, controller: new AbortController(), done, resolve });
    this.sinks.state({ ...state });
    this.pump();
    return { id, done };
  }

  /** Cancels a queued or running job; false when it is unknown or already finished. */
  cancel(id: string): boolean {
    const entry = this.jobs.get(id);
    if (!entry || !['queued', 'running'].includes(entry.state.status)) return false;
    entry.controller.abort(new LifeboatError('cancelled', `${entry.state.label} was cancelled`));
    if (entry.state.status === 'queued') this.finish(entry, 'cancelled');
    return true;
  }

  /** Every known job, newest first. */
  list(): JobState[] {
    return [...this.jobs.values()].map((e) => ({ ...e.state, items: [...e.state.items] })).reverse();
  }

  /** Cancels everything and waits for running jobs to settle. */
  async shutdown(): Promise<void> {
    const running = [...this.jobs.values()].filter((e) => ['queued', 'running'].includes(e.state.status));
    for (const e of running) this.cancel(e.state.id);
    await Promise.all(running.map((e) => e.done));
  }

  private pump(): void {
    for (const entry of this.jobs.values()) {
      if (entry.state.status !== 'queued' || this.busyLanes.has(entry.state.lane)) continue;
      this.busyLanes.add(entry.state.lane);
      void this.start(entry);
    }
  }

  private async start(entry: Entry): Promise<void> {
    const { state, spec, controller } = entry;
    state.status = 'running';
    state.startedAt = new Date().toISOString();
    this.sinks.state({ ...state, items: [...state.items] });
    const meter = new ProgressMeter(state.id, this.options.clock);
    let lastReport = 0;
    const every = this.options.reportEveryMs ?? 250;
    const ctx: JobContext = {
      jobId: state.id,
      signal: controller.signal,
      meter,
      report: (force = false) => {
        const now = Date.now();
        if (!force && now - lastReport < every) return;
        lastReport = now;
        this.sinks.progress(meter.snapshot());
      },
      log: (level, message) => this.sinks.log({ jobId: state.id, level, message, at: new Date().toISOString() }),
      itemDone: (outcome) => {
        state.items.push(outcome);
        this.sinks.state({ ...state, items: [...state.items] });
      },
    };
    try {
      await spec.run(ctx);
      const anyFailed = state.items.some((i) => i.status === 'failed');
      const allFailed = state.items.length > 0 && state.items.every((i) => i.status === 'failed');
      this.finish(entry, controller.signal.aborted ? 'cancelled' : allFailed ? 'failed' : anyFailed ? 'partial' : 'succeeded');
    } catch (err) {
      const cancelled = controller.signal.aborted || (err instanceof LifeboatError && err.code === 'cancelled');
      state.error = err instanceof Error ? err.message : String(err);
      ctx.log(cancelled ? 'warn' : 'error', state.error);
      this.finish(entry, cancelled ? 'cancelled' : 'failed');
    }
  }

  private finish(entry: Entry, status: JobState['status']): void {
    const { state } = entry;
    const wasRunning = state.status === 'running';
    state.status = status;
    state.finishedAt = new Date().toISOString();
    if (wasRunning) this.busyLanes.delete(state.lane);
    const final = { ...state, items: [...state.items] };
    this.sinks.state(final);
    entry.resolve(final);
    this.trim();
    this.pump();
  }

  private trim(): void {
    const finished = [...this.jobs.values()].filter((e) => !['queued', 'running'].includes(e.state.status));
    for (const e of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) this.jobs.delete(e.state.id);
  }
}
