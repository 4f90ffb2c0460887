import { useEffect, useState } from 'react';
import type { HostSummary } from '../../src-main/api/hosts-contract';
import { AddHostForm } from '../components/add-host-form';
import { DiscoveryTree } from '../components/discovery-tree';
import { useHostsStore } from '../store/hosts-store';
import './hosts-page.css';

function access(h: HostSummary): string {
  const p = h.probe;
  if (!p) return 'not connected yet';
  if (p.dockerAccess === 'tcp') return 'Docker API';
  return `${p.user}${p.root ? '' : p.sudo ? ' · sudo' : ''} · docker ${p.dockerAccess === 'none' ? 'unreachable' : `via ${p.dockerAccess}`}`;
}

/** Hosts: the servers Lifeboat reaches, how, and what it found on them. */
export function HostsPage() {
  const { hosts, loading, error, selected, inventories, discovering, discoverErrors, load, discover, remove, select } = useHostsStore();
  const [adding, setAdding] = useState(false);
  useEffect(() => {
    void load();
  }, [load]);
  const current = selected ? hosts.find((h) => h.name === selected) : undefined;
  return (
    <section className="page hosts-page">
      <header className="page-header row">
        <div>
          <h1>Hosts</h1>
          <p className="lede">Servers Lifeboat connects to over SSH or the Docker API. Nothing is installed on them.</p>
        </div>
        {!adding && <button type="button" className="primary" data-testid="add-host" onClick={() => setAdding(true)}>Add host</button>}
      </header>
      {adding && <AddHostForm onDone={() => setAdding(false)} />}
      {error && <div className="banner error" role="alert">{error}</div>}
      {!loading && hosts.length === 0 && !adding && <div className="empty-state">No hosts yet. Add one, or import them with <code>lifeboat host import-ssh-config</code>.</div>}
      {hosts.length > 0 && (
        <table className="grid hosts" data-testid="hosts-table">
          <thead>
            <tr><th>Name</th><th>URL</th><th>Access</th><th /></tr>
          </thead>
          <tbody>
            {hosts.map((h) => (
              <tr key={h.name} className={h.name === selected ? 'selected' : ''} onClick={() => select(h.name)}>
                <td><strong>{h.name}</strong>{h.warnings.some((w) => w.startsWith('WARNING')) && <span className="badge bad">plain TCP</span>}</td>
                <td className="mono">{h.url}{h.jumps.length > 0 && <span className="muted"> via {h.jumps.join(' → ')}</span>}</td>
                <td>{access(h)}</td>
                <td className="actions">
                  <button type="button" className="secondary" data-testid={`discover-${h.name}`} disabled={discovering[h.name]} onClick={(e) => { e.stopPropagation(); void discover(h.name); }}>
                    {discovering[h.name] ? 'Discovering…' : 'Discover'}
                  </button>
                  <button type="button" className="link danger" onClick={(e) => { e.stopPropagation(); if (window.confirm(`Forget ${h.name}?`)) void remove(h.name); }}>Remove</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {current && (
        <div className="host-detail">
          <h2>{current.name}</h2>
          {current.probe?.notes.map((n) => <div key={n} className="banner warn">{n}</div>)}
          {discoverErrors[current.name] && <div className="banner error" role="alert">{discoverErrors[current.name]}</div>}
          {inventories[current.name] ? <DiscoveryTree inventory={inventories[current.name]!} /> : !discovering[current.name] && <p className="muted">Press Discover to list its stacks, databases, volumes and secrets.</p>}
        </div>
      )}
    </section>
  );
}
