import type { BackupSummary } from '../../src-main/api/backup-contract';
import { formatBytes, formatSeconds, progressFigures } from '../../src-main/api/format';
import type { ItemOutcome } from '../../src-main/api/jobs-contract';
import type { RunView } from '../store/backups-store';

const statusText: Record<string, string> = { succeeded: 'Saved', failed: 'Failed', skipped: 'Skipped', cancelled: 'Cancelled', partial: 'Partly saved', queued: 'Waiting', running: 'Running' };
const statusClass: Record<string, string> = { succeeded: 'ok', failed: 'bad', skipped: 'warn', cancelled: 'warn', partial: 'warn', queued: '', running: '' };

/** A progress bar: a share of `total`, or an indeterminate slide when the total is unknown. */
export function Bar({ done, total }: { done: number; total?: number }) {
  const pct = total && total > 0 ? Math.min(100, (done / total) * 100) : undefined;
  return (
    <div className={`bar ${pct === undefined ? 'indeterminate' : ''}`} role="progressbar" aria-valuemin={0} aria-valuemax={100} {...(pct !== undefined ? { 'aria-valuenow': Math.round(pct) } : {})}>
      <span style={{ width: pct === undefined ? '30%' : `${pct}%` }} />
    </div>
  );
}

function rowOf(id: string, run: RunView): { status: string; outcome?: ItemOutcome; current: boolean } {
  const outcome = run.done.find((o) => o.item === id);
  if (outcome) return { status: outcome.status, outcome, current: false };
  const current = run.progress?.item === id;
  return { status: current ? 'running' : 'queued', current };
}

/** Live rows of a backup run: one per item, the current one with its phase, bar, rate and ETA. */
export function RunProgress({ run }: { run: RunView }) {
  const p = run.progress;
  const live = run.status === 'queued' || run.status === 'running';
  const global = live && p && !p.item ? p.label : undefined;
  return (
    <div className="run" data-testid="run-progress">
      {global && <p className="muted">{global}…</p>}
      <table className="grid run-items">
        <tbody>
          {run.items.map((id) => {
            const row = rowOf(id, run);
            return (
              <tr key={id} data-testid="run-row" data-status={row.status}>
                <td className="state"><span className={`badge ${statusClass[row.status] ?? ''}`}>{statusText[row.status] ?? row.status}</span></td>
                <td className="mono">{id}</td>
                <td className="progress-cell">
                  {row.current && p ? (
                    <>
                      <Bar done={p.bytesDone} {...(p.bytesTotal !== undefined ? { total: p.bytesTotal } : {})} />
                      <span className="muted small">
                        {[p.label, progressFigures(p, true)].filter(Boolean).join(' · ')}
                      </span>
                    </>
                  ) : row.outcome ? (
                    <span className="muted small">{row.outcome.bytes !== undefined ? formatBytes(row.outcome.bytes) : ''}{row.outcome.message ? ` ${row.outcome.message}` : ''}</span>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The end of a run: verdict, snapshot, failures with their next step, warnings. */
export function RunSummary({ summary }: { summary: BackupSummary }) {
  const saved = summary.items.filter((i) => i.status === 'succeeded').length;
  const failed = summary.items.filter((i) => i.status === 'failed');
  return (
    <section className="summary" data-testid="backup-summary" data-status={summary.status}>
      <div className={`banner ${summary.status === 'succeeded' ? 'ok' : summary.status === 'failed' ? 'error' : 'warn'}`}>
        <strong>{statusText[summary.status]}:</strong> {saved} of {summary.items.length} item{summary.items.length === 1 ? '' : 's'} in {formatSeconds(summary.seconds)}
        {summary.snapshot ? <> — snapshot <span className="mono">{summary.snapshot.slice(0, 8)}</span>{summary.stats ? `, ${formatBytes(summary.stats.bytesIn)} read, ${formatBytes(summary.stats.storedNew)} new in the vault` : ''}</> : ' — no snapshot was written'}
      </div>
      {summary.error && <div className="banner error" role="alert">{summary.error}</div>}
      {failed.length > 0 && (
        <ul className="failures" data-testid="backup-failures">
          {failed.map((f) => (
            <li key={f.item}><span className="mono">{f.item}</span>: {f.message}{f.hint && <div className="muted small">{f.hint}</div>}</li>
          ))}
        </ul>
      )}
      {summary.warnings.length > 0 && (
        <ul className="warnings" data-testid="backup-warnings">
          {summary.warnings.map((w) => <li key={w}>{w}</li>)}
        </ul>
      )}
    </section>
  );
}
