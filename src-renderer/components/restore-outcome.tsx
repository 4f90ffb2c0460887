import type { RequestOutput } from '../../src-main/api/contract';
import { progressFigures } from '../../src-main/api/format';
import type { Progress } from '../../src-main/api/progress';
import { printableName } from '../../src-main/api/tree-format';
import { Bar } from './backup-run';

type RestoreOutput = RequestOutput<'restore'>;
type Preview = NonNullable<RestoreOutput['preview']>;

function PathList({ title, paths, testid, tone }: { title: string; paths: string[]; testid: string; tone: string }) {
  const real = paths.filter((p) => !p.startsWith('…and '));
  const more = paths.find((p) => p.startsWith('…and '));
  const count = real.length + (more ? Number(/\d+/.exec(more)?.[0] ?? 0) : 0);
  return (
    <details className={`path-list ${tone}`} data-testid={testid} open={count > 0 && count <= 8}>
      <summary><strong>{count}</strong> {title}</summary>
      <ul className="mono small">
        {real.map((p) => <li key={p}>{printableName(p)}</li>)}
        {more && <li className="muted">{more}</li>}
      </ul>
    </details>
  );
}

/** Step 4: the dry run — what would be created, overwritten and deleted, and what differs from live. */
export function PreviewView({ preview }: { preview: Preview }) {
  return (
    <div className="preview" data-testid="restore-preview">
      <p className="summary-line" data-testid="preview-summary">{preview.summary}</p>
      <div className="path-lists">
        <PathList title="to create" paths={preview.creates} testid="preview-creates" tone="ok" />
        <PathList title="to overwrite" paths={preview.overwrites} testid="preview-overwrites" tone="warn" />
        <PathList title="to delete" paths={preview.deletes} testid="preview-deletes" tone="bad" />
      </div>
      {preview.details.length > 0 && (
        <table className="grid details" data-testid="preview-details">
          <thead><tr><th>Name</th><th>In the snapshot</th><th>Live now</th><th /></tr></thead>
          <tbody>
            {preview.details.map((d) => (
              <tr key={d.name}>
                <td className="mono">{printableName(d.name)}</td>
                <td className="small">{d.snapshot ?? '—'}</td>
                <td className="small">{d.live ?? '—'}</td>
                <td>{d.differs ? <span className="badge warn">differs</span> : <span className="badge ok">same</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {preview.warnings.length > 0 && (
        <ul className="warnings" data-testid="preview-warnings">
          {preview.warnings.map((w) => <li key={w}>{w}</li>)}
        </ul>
      )}
    </div>
  );
}

/** Step 5: live progress of the restore job. */
export function RunView({ progress, item }: { progress?: Progress; item: string }) {
  return (
    <div className="restore-run" data-testid="restore-run">
      <p><strong>{progress?.label ?? `Starting the restore of ${item}…`}</strong></p>
      <Bar done={progress?.bytesDone ?? 0} {...(progress?.bytesTotal ? { total: progress.bytesTotal } : {})} />
      {progress && progressFigures(progress) && (
        <p className="muted small" data-testid="run-progress-text">
          {progressFigures(progress)}
        </p>
      )}
    </div>
  );
}

/** Step 6: where the data now is, the safety copy, warnings — or what went wrong and that nothing was changed. */
export function ResultView({ result, error }: { result?: RestoreOutput; error?: string }) {
  if (error || !result?.report) {
    return (
      <div className="banner error" role="alert" data-testid="restore-failed">
        <strong>The restore did not complete.</strong> {error}
        <p className="small">A restore never leaves things half-done: a new volume or database is removed again, and an in-place restore puts the previous content back.</p>
      </div>
    );
  }
  const r = result.report;
  return (
    <div className="restore-result" data-testid="restore-result">
      <div className="banner ok"><strong>Done:</strong> {r.summary} ({result.seconds.toFixed(1)} s)</div>
      <dl className="facts">
        <dt>Where the data is now</dt>
        <dd className="mono" data-testid="result-location">{r.location}</dd>
        <dt>On</dt>
        <dd>{result.host}</dd>
        {r.safetyCopy && (
          <>
            <dt>Safety copy of what was there</dt>
            <dd data-testid="result-safety">{r.safetyCopy}</dd>
          </>
        )}
      </dl>
      {r.warnings.length > 0 && <ul className="warnings">{r.warnings.map((w) => <li key={w}>{w}</li>)}</ul>}
    </div>
  );
}
