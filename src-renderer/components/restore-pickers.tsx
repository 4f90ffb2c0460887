import type { SnapshotDetail } from '../../src-main/api/backup-contract';
import { formatBytes } from '../../src-main/api/format';
import { modeString, printableName, shortTime } from '../../src-main/api/tree-format';
import type { Browse } from '../store/restore-store';

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Step 1: the snapshots, newest first; safety snapshots are marked. */
export function SnapshotPicker({ snapshots, chosen, onPick }: { snapshots: SnapshotDetail[]; chosen?: string; onPick(id: string): void }) {
  return (
    <table className="grid pick-snapshot" data-testid="restore-snapshots">
      <thead>
        <tr><th>Snapshot</th><th>Time</th><th>Host</th><th>Items</th><th className="num">Size</th></tr>
      </thead>
      <tbody>
        {snapshots.map((s) => (
          <tr key={s.id} className={s.id === chosen ? 'chosen' : ''} data-testid="restore-snapshot" onClick={() => onPick(s.id)}>
            <td className="mono">{s.short}</td>
            <td>{when(s.time)}</td>
            <td>{s.host}{s.tags.map((t) => <span key={t} className={`badge ${t === 'safety' ? 'warn' : ''}`}>{t}</span>)}</td>
            <td className="muted small">{s.items.map((i) => i.name).join(', ')}</td>
            <td className="num">{formatBytes(s.size)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Step 2: the items of the chosen snapshot. */
export function ItemList({ snapshot, chosen, onPick }: { snapshot: SnapshotDetail; chosen?: string; onPick(name: string): void }) {
  return (
    <table className="grid items" data-testid="restore-items">
      <tbody>
        {snapshot.items.map((i) => (
          <tr key={i.name} className={i.name === chosen ? 'chosen' : ''} data-testid="restore-item" onClick={() => onPick(i.name)}>
            <td className="check"><input type="radio" readOnly checked={i.name === chosen} aria-label={i.name} /></td>
            <td><span className={`kind kind-${i.kind}`}>{i.kind}</span></td>
            <td className="mono">{i.name}</td>
            <td className="num">{formatBytes(i.size)}{i.entries !== undefined && <div className="muted small">{i.entries} entries</div>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The files of a tree item: descend into folders, pick one file or folder (or the whole item). */
export function TreeBrowser({ browse, subtree, onOpen, onChoose }: { browse: Browse; subtree: string; onOpen(path: string): void; onChoose(path: string): void }) {
  const up = browse.path.includes('/') ? browse.path.slice(0, browse.path.lastIndexOf('/')) : '';
  return (
    <div className="tree-browser" data-testid="tree-browser">
      <div className="crumbs">
        <span className="muted small">Only part of it? </span>
        <button type="button" className="link" onClick={() => onOpen('')}>/</button>
        {browse.path && <span className="mono"> {printableName(browse.path)}</span>}
        {browse.path && <button type="button" className="link up" onClick={() => onOpen(up)}>↑ up</button>}
        <span className="spacer" />
        <span className="muted small">restoring: <strong data-testid="subtree">{subtree ? printableName(subtree) : 'everything'}</strong></span>
        {subtree && <button type="button" className="link" onClick={() => onChoose('')}>all</button>}
      </div>
      {browse.error && <div className="banner error" role="alert">{browse.error}</div>}
      <table className={`grid files ${browse.loading ? 'loading' : ''}`}>
        <colgroup><col className="c-perms" /><col className="c-owner" /><col className="c-size" /><col className="c-time" /><col /><col className="c-act" /></colgroup>
        <tbody>
          {browse.entries.map((e) => (
            <tr key={e.path} className={e.path === subtree ? 'chosen' : ''}>
              <td className="mono perms">{modeString(e.type, e.mode)}</td>
              <td className="mono">{e.uid}:{e.gid}</td>
              <td className="num">{e.type === 'file' ? formatBytes(e.size) : ''}</td>
              <td className="muted small">{e.implicit ? '' : shortTime(e.mtime)}</td>
              <td className="mono name">
                {e.type === 'dir' ? <button type="button" className="link" onClick={() => onOpen(e.path)}>{printableName(e.path.slice(e.path.lastIndexOf('/') + 1))}/</button> : printableName(e.path.slice(e.path.lastIndexOf('/') + 1))}
                {e.link !== undefined && <span className="muted"> → {printableName(e.link)}</span>}
              </td>
              <td>{e.type !== 'other' && <button type="button" className="secondary tiny" onClick={() => onChoose(e.path)}>only this</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {browse.total > browse.entries.length && <p className="muted small">{browse.total - browse.entries.length} more not shown.</p>}
    </div>
  );
}
