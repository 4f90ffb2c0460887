import { type FormEvent, useState } from 'react';

/** Rough strength for a hint only; the KDF does the real work. */
function strengthHint(p: string): string | undefined {
  if (p.length === 0) return undefined;
  if (p.length < 12) return 'Short: use at least 12 characters, or four random words.';
  if (/^(.)\1+$/.test(p)) return 'One repeated character is easy to guess.';
  return undefined;
}

/**
 * Passphrase entry for creating (with confirmation) or unlocking the vault. The value lives
 * only in this component until it is handed to the engine, then the field is cleared.
 */
export function PassphraseForm({ mode, busy, onSubmit, offerRemember = false }: { mode: 'create' | 'unlock'; busy: boolean; onSubmit(passphrase: string, remember: boolean): Promise<void>; offerRemember?: boolean }) {
  const [passphrase, setPassphrase] = useState('');
  const [remember, setRemember] = useState(false);
  const [confirm, setConfirm] = useState('');
  const mismatch = mode === 'create' && confirm.length > 0 && confirm !== passphrase;
  const hint = mode === 'create' ? strengthHint(passphrase) : undefined;
  const ready = passphrase.length > 0 && (mode === 'unlock' || (confirm === passphrase && passphrase.length >= 8));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready || busy) return;
    const value = passphrase;
    setPassphrase('');
    setConfirm('');
    await onSubmit(value, remember);
  };
  return (
    <form className="vault-form" onSubmit={submit}>
      <label>
        {mode === 'create' ? 'New passphrase' : 'Passphrase'}
        <input type="password" autoComplete={mode === 'create' ? 'new-password' : 'current-password'} value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoFocus />
      </label>
      {mode === 'create' && (
        <label>
          Repeat it
          <input type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </label>
      )}
      {offerRemember && (
        <label className="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember on this computer (kept in the system keychain)
        </label>
      )}
      {hint && <p className="form-note warn">{hint}</p>}
      {mismatch && <p className="form-note bad">The two passphrases differ.</p>}
      {mode === 'create' && (
        <p className="form-note">There is no way to recover a vault without its passphrase. Write it down and keep it somewhere other than this laptop.</p>
      )}
      <button type="submit" className="primary" disabled={!ready || busy}>
        {busy ? (mode === 'create' ? 'Creating… (deriving the key)' : 'Unlocking…') : mode === 'create' ? 'Create vault' : 'Unlock'}
      </button>
    </form>
  );
}
