import { Fragment, useEffect } from 'react';
import type { SnapshotDetail } from '../../src-main/api/backup-contract';
import { formatBytes } from '../../src-main/api/format';
import { useSnapshotsStore } from '../store/snapshots-store';
import './backups-page.css';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const shownFacts = ['format', 'database', 'container', 'method', 'journalMode', 'serverVersion', 'tables', 'pages', 'verified'];

function Items({ snapshot }: { snapshot: SnapshotDetail }) {
  return (
    <table className="grid items snap-items" data-testid="snapshot-items">
      <colgroup><col className="c-kind" /><col /><col className="c-size" /><col className="c-facts" /></colgroup>
      <tbody>
        {snapshot.items.map((i) => (
          <tr key={i.name} data-testid="snapshot-item">
            <td><span className={`kind kind-${i.kind}`}>{i.kind}</span></td>
            <td className="mono">
              {i.name}
              {i.warnings.map((w) => <div key={w} className="item-warning" data-testid="item-warning">⚠ {w}</div>)}
            </td>
            <td className="size">{formatBytes(i.size)}{i.entries !== undefined && <div className="muted small">{i.entries} entries</div>}</td>
            <td className="facts muted small">
              {shownFacts.filter((k) => i.facts[k]).map((k) => <div key={k}><span className="fact-key">{k}</span> {i.facts[k]}</div>)}
              {i.facts.secret && <span className="badge warn">secret</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Snapshots: every backup in the vault, newest first, item by item with sizes and warnings. */
export function SnapshotsPage() {
  const { snapshots, loading, loaded, error, open, load, toggle } = useSnapshotsStore();
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="page snapshots-page">
      <header className="page-header row">
        <div>
          <h1>Snapshots</h1>
          <p className="lede">Every backup in your vault, item by item. A snapshot only ever holds items whose copy was verified.</p>
        </div>
        <button type="button" className="secondary" onClick={() => void load()} disabled={loading}>{loading ? 'Loading…' : 'Refresh'}</button>
      </header>
      {error && <div className="banner error" role="alert">{error}</div>}
      {loaded && !error && snapshots.length === 0 && <div className="empty-state">No snapshots yet. Run a backup on the Backups page.</div>}
      {snapshots.length > 0 && (
        <table className="grid snapshots" data-testid="snapshots-table">
          <thead>
            <tr><th>Snapshot</th><th>Time</th><th>Host</th><th>Items</th><th className="num">Size</th><th className="num">Added</th><th /></tr>
          </thead>
          <tbody>
            {snapshots.map((s) => {
              const warnings = s.items.reduce((n, i) => n + i.warnings.length, 0);
              return (
                <Fragment key={s.id}>
                  <tr className={`snap ${open[s.id] ? 'open' : ''}`} data-testid="snapshot-row" onClick={() => toggle(s.id)}>
                    <td className="mono">{open[s.id] ? '▾' : '▸'} {s.short}</td>
                    <td className="nowrap">{when(s.time)}</td>
                    <td>{s.host}{s.tags.map((t) => <span key={t} className="badge">{t}</span>)}</td>
                    <td>{s.items.length}</td>
                    <td className="num">{formatBytes(s.size)}</td>
                    <td className="num">{formatBytes(s.added)}</td>
                    <td>{warnings > 0 && <span className="badge warn">{warnings} warning{warnings === 1 ? '' : 's'}</span>}</td>
                  </tr>
                  {open[s.id] && (
                    <tr className="snap-detail"><td colSpan={7}><Items snapshot={s} /></td></tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
