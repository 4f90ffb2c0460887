import { useState } from 'react';
import type { Inventory, Item, Stack } from '../../src-main/api/discovery-contract';
import { formatBytes } from '../../src-main/api/format';

/** 1536 → "1.5 KiB"; "—" when unknown. */
export function formatSize(n: number | undefined): string {
  return n === undefined ? '—' : formatBytes(n);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function ItemRow({ item }: { item: Item }) {
  return (
    <tr className={item.covered ? 'covered' : ''} data-testid="inventory-item">
      <td><span className={`kind kind-${item.kind}`}>{item.kind}</span></td>
      <td className="mono" title={item.notes.join('\n')}>{item.id}</td>
      <td className="size">{formatSize(item.sizeBytes)}</td>
      <td>
        {item.covered && <span className="badge">covered by dump</span>} {item.secret && <span className="badge warn">secret</span>}
        {item.notes.length > 0 && !item.covered && <span className="muted note">{item.notes[0]}</span>}
      </td>
    </tr>
  );
}

function StackNode({ stack }: { stack: Stack }) {
  const [open, setOpen] = useState(true);
  const size = stack.items.filter((i) => !i.covered).reduce((a, i) => a + (i.sizeBytes ?? 0), 0);
  return (
    <li className="stack" data-testid="inventory-stack">
      <button type="button" className="stack-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="caret">{open ? '▾' : '▸'}</span>
        <strong>{stack.name === '_' ? 'Standalone' : stack.name}</strong>
        <span className="muted">{plural(stack.containers.length, 'container')} · {plural(stack.items.length, 'item')} · {formatSize(size)}</span>
        {stack.workingDir && <span className="mono muted">{stack.workingDir}</span>}
      </button>
      {open && (
        <div className="stack-body">
          <ul className="containers">
            {stack.containers.map((c) => (
              <li key={c.id}>
                <span className={`dot ${c.state === 'running' ? 'ok' : 'off'}`} aria-hidden="true" />
                <span className="mono">{c.name}</span> <span className="muted">{c.image}</span>
                {c.database && <span className={`kind kind-${c.database}`}>{c.database}</span>}
                {c.state !== 'running' && <span className="badge warn">{c.state}</span>}
              </li>
            ))}
          </ul>
          <table className="grid items">
            <colgroup><col className="c-kind" /><col /><col className="c-size" /><col className="c-flags" /></colgroup>
            <tbody>
              {stack.items.map((i) => <ItemRow key={i.id} item={i} />)}
            </tbody>
          </table>
        </div>
      )}
    </li>
  );
}

/** The inventory of one host: stacks → containers → items, with kinds, sizes and flags. */
export function DiscoveryTree({ inventory }: { inventory: Inventory }) {
  const t = inventory.totals;
  return (
    <section className="discovery" data-testid="discovery-tree">
      <p className="lede small">
        Docker {inventory.docker.version} · {t.stacks} stacks · {t.containers} containers · {t.items} items · about {formatSize(t.sizeBytes)} to save · found in {(inventory.durationMs / 1000).toFixed(1)} s
      </p>
      {inventory.warnings.map((w) => <div key={w} className={`banner ${w.startsWith('WARNING') ? 'error' : 'warn'}`}>{w}</div>)}
      {inventory.access?.notes.map((n) => <div key={n} className="banner warn">{n}</div>)}
      <ul className="stacks">{inventory.stacks.map((s) => <StackNode key={s.name} stack={s} />)}</ul>
    </section>
  );
}
