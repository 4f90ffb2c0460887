import type { Inventory, Item } from '../../src-main/api/discovery-contract';
import { formatSize } from './discovery-tree';

/** What the picker shows and changes. */
export interface ItemPickerProps {
  inventory: Inventory;
  selected: Record<string, boolean>;
  stopFor: Record<string, boolean>;
  disabled: boolean;
  onToggle(id: string): void;
  onToggleStop(id: string): void;
}

/** Whether stopping the item's users makes sense (dumps of a live server need no stop, secrets have no users). */
function canStop(item: Item): boolean {
  return item.kind !== 'secrets';
}

function Row({ item, props }: { item: Item; props: ItemPickerProps }) {
  const on = Boolean(props.selected[item.id]);
  return (
    <tr className={`${item.covered ? 'covered' : ''} ${on ? 'chosen' : ''}`} data-testid="pick-item">
      <td className="check">
        <input type="checkbox" aria-label={`Back up ${item.id}`} data-testid={`pick-${item.id}`} checked={on} disabled={props.disabled} onChange={() => props.onToggle(item.id)} />
      </td>
      <td><span className={`kind kind-${item.kind}`}>{item.kind}</span></td>
      <td className="mono" title={item.notes.join('\n')}>{item.id}</td>
      <td className="size">{formatSize(item.sizeBytes)}</td>
      <td className="flags">
        {item.covered && <span className="badge">covered by dump</span>} {item.secret && <span className="badge warn">secret</span>}
        {canStop(item) && on && (
          <label className="stop" title="Stop the containers that use this item while it is copied; they are started again afterwards, also when the copy fails">
            <input type="checkbox" checked={Boolean(props.stopFor[item.id])} disabled={props.disabled} onChange={() => props.onToggleStop(item.id)} /> stop users
          </label>
        )}
      </td>
    </tr>
  );
}

/** Items of a host grouped by stack, each with a tick box (and "stop users" once ticked). */
export function ItemPicker(props: ItemPickerProps) {
  return (
    <div className="item-picker" data-testid="item-picker">
      {props.inventory.stacks.map((s) => (
        <section key={s.name} className="pick-stack">
          <h3>{s.name === '_' ? 'Standalone' : s.name} <span className="muted">· {s.containers.length} container{s.containers.length === 1 ? '' : 's'}</span></h3>
          <table className="grid items pick">
            <colgroup><col className="c-check" /><col className="c-kind" /><col /><col className="c-size" /><col className="c-flags" /></colgroup>
            <tbody>
              {s.items.map((i) => <Row key={i.id} item={i} props={props} />)}
            </tbody>
          </table>
        </section>
      ))}
    </div>
  );
}
