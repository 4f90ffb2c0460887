import type { JobState } from '../api/jobs-contract';
import type { JobLog } from '../api/progress';
import { Catalog } from '../vault/catalog';

/**
 * Keeps every job's state and log lines in the catalog (`<home>/catalog.sqlite`), so `lifeboat
 * jobs` and the UI can show what ran after the engine that ran it is gone. Opened on the first
 * write, so commands that run no job never create the file. A journal that cannot write
 * (read-only home, locked file) never fails the job: the line is dropped and the next write
 * tries again.
 */
export class JobJournal {
  private catalog: Catalog | undefined;

  constructor(private readonly file: string) {}

  private open(): Catalog {
    this.catalog ??= Catalog.open(this.file);
    return this.catalog;
  }

  /** Records a job's latest state. */
  state(job: JobState): void {
    try {
      this.open().putJob(job);
    } catch {
      // history is best effort; the job itself goes on
    }
  }

  /** Appends one log line. */
  log(entry: JobLog): void {
    try {
      this.open().addJobLog(entry);
    } catch {
      // as above
    }
  }

  /** Recorded jobs, newest first. */
  list(limit: number): { state: JobState; logLines: number }[] {
    return this.open().listJobs(limit) as { state: JobState; logLines: number }[];
  }

  /** One job's log lines, in order. */
  logs(jobId: string): JobLog[] {
    return this.open()
      .jobLogs(jobId)
      .map((l) => ({ jobId: l.jobId, at: l.at, level: l.level as JobLog['level'], message: l.message }));
  }

  /** Closes the catalog file. */
  close(): void {
    this.catalog?.close();
    this.catalog = undefined;
  }
}
