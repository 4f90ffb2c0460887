import type { Progress } from '../api/progress';

/** A clock in milliseconds; injected so rate and ETA are testable without waiting. */
export type Clock = () => number;

/**
 * Turns raw byte counts into progress data with a smoothed rate and an ETA. The rate is an
 * exponentially weighted average over roughly `windowMs`, so a stall shows up within seconds
 * but one slow read does not make the ETA jump.
 */
export class ProgressMeter {
  private rate = 0;
  private lastAt: number;
  private lastBytes = 0;
  private bytesDone = 0;
  private bytesTotal: number | undefined;
  private phase = 'start';
  private label = '';
  private item: string | undefined;

  constructor(
    private readonly jobId: string,
    private readonly clock: Clock = Date.now,
    private readonly windowMs = 3000,
  ) {
    this.lastAt = clock();
  }

  /** Enters a new phase; byte counters restart. */
  setPhase(phase: string, label: string, options: { item?: string; bytesTotal?: number } = {}): void {
    this.phase = phase;
    this.label = label;
    this.item = options.item;
    this.bytesTotal = options.bytesTotal;
    this.bytesDone = 0;
    this.lastBytes = 0;
    this.rate = 0;
    this.lastAt = this.clock();
  }

  /** Adds transferred bytes. */
  add(bytes: number): void {
    this.bytesDone += bytes;
  }

  /** Sets the absolute byte count (for sources that report totals). */
  set(bytesDone: number, bytesTotal?: number): void {
    this.bytesDone = bytesDone;
    if (bytesTotal !== undefined) this.bytesTotal = bytesTotal;
  }

  /** The current progress as data. */
  snapshot(): Progress {
    const now = this.clock();
    const dt = now - this.lastAt;
    if (dt > 0) {
      const instant = ((this.bytesDone - this.lastBytes) * 1000) / dt;
      const alpha = Math.min(1, dt / this.windowMs);
      this.rate = this.rate === 0 ? instant : this.rate + alpha * (instant - this.rate);
      this.lastAt = now;
      this.lastBytes = this.bytesDone;
    }
    const rate = Math.max(0, this.rate);
    const remaining = this.bytesTotal === undefined ? undefined : Math.max(0, this.bytesTotal - this.bytesDone);
    return {
      jobId: this.jobId,
      phase: this.phase,
      label: this.label,
      ...(this.item === undefined ? {} : { item: this.item }),
      bytesDone: this.bytesDone,
      ...(this.bytesTotal === undefined ? {} : { bytesTotal: this.bytesTotal }),
      rate,
      ...(remaining !== undefined && rate > 0 ? { etaSeconds: remaining / rate } : {}),
    };
  }
}
