import { useEffect } from 'react';
import { formatBytes } from '../../src-main/api/format';
import { PassphraseForm } from '../components/passphrase-form';
import { useEngineStore } from '../store/engine-store';
import { useVaultStore } from '../store/vault-store';
import './vault-page.css';

function VaultDetails() {
  const { info, check, busy, runCheck, lock, status } = useVaultStore();
  if (!info) return null;
  return (
    <>
      <div className="cards">
        <article className="card" data-testid="vault-info">
          <h2>Contents</h2>
          <dl>
            <dt>Snapshots</dt>
            <dd>{info.snapshots}</dd>
            <dt>Stored</dt>
            <dd>{formatBytes(info.storedBytes)} in {info.packs} packs</dd>
            <dt>Chunks</dt>
            <dd>{info.blobs.toLocaleString()}</dd>
            <dt>Created</dt>
            <dd>{new Date(info.created).toLocaleString()}</dd>
            <dt>Folder</dt>
            <dd className="mono">{info.path}</dd>
            <dt>Unlocked by</dt>
            <dd>{status?.via === 'environment' ? '$LIFEBOAT_PASSPHRASE' : 'your passphrase, for this session'}</dd>
          </dl>
        </article>
        <article className="card">
          <h2>Check</h2>
          <p className="form-note">A quick check verifies the structure. A full check decrypts and re-hashes every chunk, so it reads the whole vault.</p>
          <div className="actions">
            <button type="button" className="secondary" disabled={busy !== undefined} onClick={() => void runCheck(false)}>Quick check</button>
            <button type="button" className="secondary" disabled={busy !== undefined} onClick={() => void runCheck(true)}>Full check (read all data)</button>
          </div>
          {busy === 'check' && <p className="form-note">Checking…</p>}
          {check && (
            <div className={`banner ${check.ok ? 'ok' : 'error'}`} data-testid="vault-check">
              {check.ok ? (
                <>
                  <strong>No problems found.</strong> {check.stats.snapshots} snapshots, {check.stats.packs} packs
                  {check.readData ? `, ${formatBytes(check.stats.bytesRead)} read and verified` : ' (structure only)'}.
                </>
              ) : (
                <>
                  <strong>{check.problems.length} problem(s) found.</strong>
                  <ul>
                    {check.problems.slice(0, 20).map((p) => (
                      <li key={`${p.object}-${p.message}`}>
                        <span className={`badge ${p.level === 'error' ? 'bad' : 'warn'}`}>{p.level}</span> <span className="mono">{p.object}</span> {p.message}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </div>
          )}
        </article>
      </div>
      {info.locks.length > 0 && (
        <div className="banner warn">
          {info.locks.length} lock(s) held: {info.locks.map((l) => `${l.operation} by pid ${l.pid} on ${l.host}${l.stale ? ' (stale, will clear)' : ''}`).join('; ')}
        </div>
      )}
      {status?.via === 'session' && (
        <button type="button" className="secondary" onClick={() => void lock()} disabled={busy !== undefined}>
          Lock the vault
        </button>
      )}
    </>
  );
}

/** The vault on this machine: create it, unlock it for the session, see what it holds, verify it. */
export function VaultPage() {
  const { status, error, busy, refresh, createVault, unlock } = useVaultStore();
  const door = useEngineStore((s) => s.version?.door);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return (
    <section className="page vault-page">
      <header className="page-header">
        <h1>Vault</h1>
        <p className="lede">The encrypted, deduplicated store on this machine. Only your passphrase opens it.</p>
      </header>
      {error && (
        <div className="banner error" role="alert" data-testid="vault-error">
          {error}
        </div>
      )}
      {!status ? (
        <p className="lede">Reading the vault…</p>
      ) : !status.exists ? (
        <article className="card narrow" data-testid="vault-create">
          <h2>Create your vault</h2>
          <p className="form-note">
            It will live in <span className="mono">{status.dir}</span>. Everything in it is encrypted with a key derived from your passphrase.
          </p>
          <PassphraseForm mode="create" busy={busy === 'create'} onSubmit={(p) => createVault(p)} />
        </article>
      ) : !status.unlocked ? (
        <article className="card narrow" data-testid="vault-unlock">
          <h2>Unlock</h2>
          <p className="form-note">
            The vault in <span className="mono">{status.dir}</span> is locked. Lifeboat keeps the passphrase in memory until you lock it or quit.
          </p>
          <PassphraseForm mode="unlock" busy={busy === 'unlock'} onSubmit={unlock} offerRemember={door === 'electron'} />
        </article>
      ) : (
        <VaultDetails />
      )}
    </section>
  );
}
