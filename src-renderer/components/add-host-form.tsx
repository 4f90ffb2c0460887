import { useState } from 'react';
import { type AddHostForm as Form, useHostsStore } from '../store/hosts-store';

/** The OpenSSH command that forgets a stale key in the file that trusted it (`source` is file:line). */
function forgetCommand(k: { host: string; port: number; source?: string }): string {
  const name = k.port === 22 ? k.host : `[${k.host}]:${k.port}`;
  const file = k.source?.replace(/:\d+$/, '');
  return `ssh-keygen -R '${name}'${file ? ` -f '${file.replace(/'/g, `'\\''`)}'` : ''}`;
}

const empty: Form = { name: '', url: '', identityFile: '', jumps: '', tlsDir: '', password: '', passphrase: '' };

/**
 * Adding a host in two steps: first the server's key is shown (OpenSSH `SHA256:` fingerprint)
 * and must be accepted explicitly, then Lifeboat logs in, probes and saves the host.
 */
export function AddHostForm({ onDone }: { onDone(): void }) {
  const [form, setForm] = useState<Form>(empty);
  const { scanned, accepted, busy, formError, scanKeys, accept, add, resetAdd } = useHostsStore();
  const tcp = /^(docker\+)?tcp:\/\//i.test(form.url.trim());
  const field = (key: keyof Form) => ({
    value: form[key],
    onChange: (e: { target: { value: string } }) => {
      setForm({ ...form, [key]: e.target.value });
      if (key === 'url' || key === 'jumps') resetAdd();
    },
  });
  const pending = scanned.filter((k) => k.status === 'unknown' && !accepted.includes(k.fingerprint));
  const refused = scanned.filter((k) => k.status === 'changed' || k.status === 'revoked');
  const checked = tcp || (scanned.length > 0 && pending.length === 0 && refused.length === 0);
  const submit = async () => {
    if (await add(form)) {
      setForm(empty);
      onDone();
    }
  };
  return (
    <form className="card add-host" data-testid="add-host-form" onSubmit={(e) => { e.preventDefault(); void (checked ? submit() : scanKeys(form)); }}>
      <h2>Add a host</h2>
      <div className="form-grid">
        <label>Name<input {...field('name')} placeholder="nas" required pattern="[A-Za-z0-9][A-Za-z0-9._-]{0,63}" data-testid="host-name" /></label>
        <label>URL<input {...field('url')} placeholder="ssh://root@nas.lan:22 or docker+tcp://nas.lan:2376" required data-testid="host-url" /></label>
        {tcp ? (
          <label>TLS folder<input {...field('tlsDir')} placeholder="folder with ca.pem, cert.pem, key.pem" /></label>
        ) : (
          <>
            <label>Key file<input {...field('identityFile')} placeholder="~/.ssh/id_ed25519 (empty: ssh-agent and default keys)" data-testid="host-identity" /></label>
            <label>Jump hosts<input {...field('jumps')} placeholder="user@bastion:22, …" /></label>
            <label>Key passphrase<input {...field('passphrase')} type="password" autoComplete="off" /></label>
            <label>Password<input {...field('password')} type="password" autoComplete="off" /></label>
          </>
        )}
      </div>
      {tcp && !form.tlsDir.trim() && form.url.trim() !== '' && (
        <div className="banner error" role="alert">Plain TCP without TLS: anyone who reaches that port controls the host as root, and data crosses the network unencrypted. Use TLS client certificates or ssh:// instead.</div>
      )}
      {scanned.length > 0 && (
        <ul className="key-list" data-testid="host-keys">
          {scanned.map((k) => (
            <li key={`${k.host}:${k.port}:${k.fingerprint}`} className={`key ${k.status}`}>
              <div>
                <strong>{k.host}:{k.port}</strong> <span className="muted">{k.label} {k.bits}</span>
                <div className="mono fingerprint" data-testid="fingerprint">{k.fingerprint}</div>
                {k.status === 'known' && <span className="badge ok">known{k.source ? ` · ${k.source}` : ''}</span>}
                {k.status === 'unknown' && !accepted.includes(k.fingerprint) && (
                  <p className="muted">New host key. Compare it with the server's own (on its console: <code>ssh-keygen -lf /etc/ssh/ssh_host_{k.label.toLowerCase()}_key.pub</code>) before trusting it.</p>
                )}
                {accepted.includes(k.fingerprint) && <span className="badge ok">trusted when added</span>}
                {k.status === 'changed' && (
                  <div className="banner error" role="alert" data-testid="key-refused">
                    This key does NOT match the one trusted before ({k.source}). Someone may be intercepting the connection; Lifeboat refuses it.
                    <p>If the server was rebuilt on purpose, compare this key with its own (on its console: <code>ssh-keygen -lf /etc/ssh/ssh_host_{k.label.toLowerCase()}_key.pub</code>), then remove the old entry with <code>{forgetCommand(k)}</code> and check the host key again.</p>
                  </div>
                )}
                {k.status === 'revoked' && (
                  <div className="banner error" role="alert" data-testid="key-refused">This key is marked revoked ({k.source}); Lifeboat refuses it. Do not connect until the server has a new key that you have checked on its console.</div>
                )}
              </div>
              {k.status === 'unknown' && !accepted.includes(k.fingerprint) && (
                <button type="button" className="secondary" data-testid="accept-key" onClick={() => void accept(k.fingerprint, form)}>Trust this key</button>
              )}
            </li>
          ))}
        </ul>
      )}
      {formError && <div className="banner error" role="alert" data-testid="add-host-error">{formError}</div>}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || refused.length > 0} data-testid="add-host-submit">
          {busy ? 'Working…' : checked ? 'Add host' : 'Check host key'}
        </button>
        <button type="button" className="secondary" onClick={() => { resetAdd(); onDone(); }}>Cancel</button>
      </div>
    </form>
  );
}
