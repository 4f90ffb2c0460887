import type { SnapshotDetail } from '../../src-main/api/backup-contract';
import { type TargetForm, modesFor } from '../store/restore-store';

type Item = SnapshotDetail['items'][number];

const titles: Record<string, string> = {
  'new-volume': 'A new volume',
  'new-database': 'A new database',
  path: 'Another path on the server',
  'local-dir': 'A folder on this computer',
  'in-place': 'Overwrite the live copy (in place)',
};

function explain(mode: string, item: Item): string {
  switch (mode) {
    case 'new-volume':
      return 'Nothing that exists is touched. The restored files go into a fresh Docker volume; mount it where you need it.';
    case 'new-database':
      return 'Nothing that exists is touched. The dump is restored into a new database in the same container.';
    case 'path':
      return 'The files go to a new or empty folder on the server; nothing there is overwritten.';
    case 'local-dir':
      return 'Files are unpacked on this computer into a fresh folder. Links that point outside it are skipped.';
    default:
      return `The live ${item.kind} is replaced. Its users are stopped, a safety snapshot of what is there now is taken first, and if anything fails it is put back.`;
  }
}

/** Step 3: where the data goes. The safe choice is preselected; in place needs the item's name typed. */
export function TargetPicker({ item, target, onChange }: { item: Item; target: TargetForm; onChange(patch: Partial<TargetForm>): void }) {
  const modes = modesFor(item.kind);
  return (
    <div className="target-picker" data-testid="restore-target">
      {modes.map((mode, index) => (
        <label key={mode} className={`target-option ${target.mode === mode ? 'chosen' : ''} ${mode === 'in-place' ? 'danger' : ''}`} data-testid={`target-${mode}`}>
          <input type="radio" name="target-mode" checked={target.mode === mode} onChange={() => onChange({ mode, confirm: '' })} />
          <div>
            <strong>{titles[mode]}</strong>
            {index === 0 && <span className="badge ok">recommended</span>}
            <p className="muted small">{explain(mode, item)}</p>
            {target.mode === mode && mode === 'new-volume' && (
              <input className="text" data-testid="target-volume" value={target.volume} onChange={(e) => onChange({ volume: e.target.value })} aria-label="new volume name" />
            )}
            {target.mode === mode && mode === 'new-database' && (
              <input className="text" data-testid="target-database" value={target.database} placeholder="name (default chosen by Lifeboat)" onChange={(e) => onChange({ database: e.target.value })} aria-label="new database name" />
            )}
            {target.mode === mode && mode === 'path' && (
              <input className="text mono" data-testid="target-path" value={target.path} placeholder="/srv/restored" onChange={(e) => onChange({ path: e.target.value })} aria-label="path on the server" />
            )}
            {target.mode === mode && mode === 'local-dir' && (
              <input className="text mono" data-testid="target-local-dir" value={target.localDir} placeholder="/home/you/restored" onChange={(e) => onChange({ localDir: e.target.value })} aria-label="folder on this computer" />
            )}
            {target.mode === mode && mode === 'in-place' && (
              <div className="confirm">
                <p className="small">To overwrite the live data, type the item's name: <span className="mono">{item.name}</span></p>
                <input className="text mono" data-testid="target-confirm" value={target.confirm} onChange={(e) => onChange({ confirm: e.target.value })} aria-label="type the item name to confirm" />
              </div>
            )}
          </div>
        </label>
      ))}
      <label className="field host-field">
        Server (empty: the one the snapshot came from)
        <input className="text" data-testid="target-host" value={target.host} onChange={(e) => onChange({ host: e.target.value })} placeholder="same host" />
      </label>
    </div>
  );
}
