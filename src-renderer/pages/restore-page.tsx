import { useEffect } from 'react';
import { ItemList, SnapshotPicker, TreeBrowser } from '../components/restore-pickers';
import { PreviewView, ResultView, RunView } from '../components/restore-outcome';
import { TargetPicker } from '../components/restore-target';
import { type RestoreStep, restoreSteps, targetReady, useRestoreStore } from '../store/restore-store';
import './restore-page.css';

const stepNames: Record<RestoreStep, string> = { snapshot: 'Snapshot', item: 'Item', target: 'Where to', preview: 'Preview', run: 'Restore', result: 'Result' };

function Stepper({ step }: { step: RestoreStep }) {
  const at = restoreSteps.indexOf(step);
  return (
    <ol className="stepper" data-testid="restore-stepper">
      {restoreSteps.map((s, i) => (
        <li key={s} className={i < at ? 'done' : i === at ? 'current' : ''}>
          <span className="dot">{i < at ? '✓' : i + 1}</span> {stepNames[s]}
        </li>
      ))}
    </ol>
  );
}

/** Restore: a guided wizard — snapshot, item, where to (safe default), dry-run preview, run with progress, result. */
export function RestorePage() {
  const s = useRestoreStore();
  const { load } = s;
  useEffect(() => {
    void load();
  }, [load]);
  const inPlace = s.target.mode === 'in-place';
  return (
    <section className="page restore-page">
      <header className="page-header">
        <h1>Restore</h1>
        <p className="lede">Put data back from a snapshot. By default nothing live is touched: data goes into a new volume or database; overwriting in place is a deliberate extra step, with a safety snapshot first.</p>
      </header>
      <Stepper step={s.step} />
      {s.error && s.step !== 'result' && <div className="banner error" role="alert" data-testid="restore-error">{s.error}</div>}

      {s.step === 'snapshot' && (
        <div className="card step">
          <h2>1. Choose a snapshot</h2>
          {s.loading && <p className="muted">Loading snapshots…</p>}
          {!s.loading && s.snapshots.length === 0 && <div className="empty-state">No snapshots yet. Back something up first.</div>}
          {s.snapshots.length > 0 && <SnapshotPicker snapshots={s.snapshots} {...(s.snapshot ? { chosen: s.snapshot.id } : {})} onPick={s.pickSnapshot} />}
        </div>
      )}

      {s.step === 'item' && s.snapshot && (
        <div className="card step">
          <h2>2. Choose what to restore from <span className="mono">{s.snapshot.short}</span></h2>
          <ItemList snapshot={s.snapshot} {...(s.item ? { chosen: s.item.name } : {})} onPick={s.pickItem} />
          {s.item?.type === 'tree' && s.browse && <TreeBrowser browse={s.browse} subtree={s.target.subtree} onOpen={(p) => void s.browseTo(p)} onChoose={(p) => s.setTarget({ subtree: p })} />}
          <div className="actions">
            <button type="button" className="secondary" onClick={() => s.go('snapshot')}>Back</button>
            <button type="button" className="primary" data-testid="to-target" disabled={!s.item} onClick={() => s.go('target')}>Next: where to</button>
          </div>
        </div>
      )}

      {s.step === 'target' && s.item && (
        <div className="card step">
          <h2>3. Where should <span className="mono">{s.item.name}</span>{s.target.subtree ? <> (only <span className="mono">{s.target.subtree}</span>)</> : null} go?</h2>
          <TargetPicker item={s.item} target={s.target} onChange={s.setTarget} />
          <div className="actions">
            <button type="button" className="secondary" onClick={() => s.go('item')}>Back</button>
            <button type="button" className="primary" data-testid="to-preview" disabled={!targetReady(s.target, s.item)} onClick={() => void s.runPreview()}>Preview (dry run)</button>
          </div>
        </div>
      )}

      {s.step === 'preview' && s.item && (
        <div className="card step">
          <h2>4. Preview — nothing has been changed yet</h2>
          {s.previewing && <p className="muted" data-testid="previewing">Comparing the snapshot with what is there now…</p>}
          {s.preview?.preview && <PreviewView preview={s.preview.preview} />}
          <div className="actions">
            <button type="button" className="secondary" onClick={() => s.go('target')}>Back</button>
            <button type="button" className={`primary ${inPlace ? 'danger' : ''}`} data-testid="run-restore" disabled={!s.preview?.preview} onClick={() => void s.runRestore()}>
              {inPlace ? 'Overwrite in place now' : 'Restore now'}
            </button>
          </div>
        </div>
      )}

      {s.step === 'run' && s.item && (
        <div className="card step">
          <h2>5. Restoring</h2>
          <RunView item={s.item.name} {...(s.progress ? { progress: s.progress } : {})} />
        </div>
      )}

      {s.step === 'result' && (
        <div className="card step">
          <h2>6. Result</h2>
          <ResultView {...(s.result ? { result: s.result } : {})} {...(s.error ? { error: s.error } : {})} />
          <div className="actions">
            <button type="button" className="primary" data-testid="restore-again" onClick={() => s.reset()}>Restore something else</button>
          </div>
        </div>
      )}
    </section>
  );
}
