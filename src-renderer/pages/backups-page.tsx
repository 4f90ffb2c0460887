import { useEffect } from 'react';
import { RunProgress, RunSummary } from '../components/backup-run';
import { ItemPicker } from '../components/item-picker';
import { useBackupsStore } from '../store/backups-store';
import { useHostsStore } from '../store/hosts-store';
import { useNavStore } from '../store/nav-store';
import './backups-page.css';

/** Backups: pick a host and its items, back them up now, watch it happen, read the verdict. */
export function BackupsPage() {
  const { hosts, load, inventories, discovering, discoverErrors } = useHostsStore();
  const { host, selected, stopFor, run, summary, starting, error, pickHost, toggle, toggleStop, setAll, selectDefaults, start, cancel, attach } = useBackupsStore();
  const go = useNavStore((s) => s.go);
  useEffect(() => {
    void load();
    return attach();
  }, [load, attach]);
  const inventory = host ? inventories[host] : undefined;
  const running = starting || (run !== undefined && (run.status === 'queued' || run.status === 'running'));
  const count = Object.values(selected).filter(Boolean).length;
  return (
    <section className="page backups-page">
      <header className="page-header row">
        <div>
          <h1>Backups</h1>
          <p className="lede">Pick what to save from a host. Each run makes one snapshot; an item that fails is left out and never spoils the others.</p>
        </div>
      </header>
      {hosts.length === 0 ? (
        <div className="empty-state">No hosts yet. <button type="button" className="link" onClick={() => go('hosts')}>Add one on the Hosts page</button>.</div>
      ) : (
        <div className="toolbar">
          <label className="field">
            Host
            <select data-testid="backup-host" value={host ?? ''} disabled={running} onChange={(e) => void pickHost(e.target.value)}>
              <option value="" disabled>Choose a host…</option>
              {hosts.map((h) => <option key={h.name} value={h.name}>{h.name}</option>)}
            </select>
          </label>
          {inventory && (
            <>
              <button type="button" className="secondary" disabled={running} onClick={() => setAll(inventory, false)}>None</button>
              <button type="button" className="secondary" disabled={running} onClick={() => selectDefaults(inventory)}>Recommended</button>
            </>
          )}
          <span className="spacer" />
          {running ? (
            <button type="button" className="secondary danger" data-testid="backup-cancel" onClick={() => void cancel()} disabled={!run}>Cancel</button>
          ) : (
            <button type="button" className="primary" data-testid="backup-start" disabled={!inventory || count === 0} onClick={() => void start()}>
              Back up now{count > 0 ? ` (${count})` : ''}
            </button>
          )}
        </div>
      )}
      {error && <div className="banner error" role="alert" data-testid="backup-error">{error}</div>}
      {host && discovering[host] && <p className="muted">Discovering {host}…</p>}
      {host && discoverErrors[host] && <div className="banner error" role="alert">{discoverErrors[host]}</div>}
      {run && <RunProgress run={run} />}
      {summary && <RunSummary summary={summary} />}
      {inventory && (
        <ItemPicker inventory={inventory} selected={selected} stopFor={stopFor} disabled={running} onToggle={toggle} onToggleStop={toggleStop} />
      )}
    </section>
  );
}
