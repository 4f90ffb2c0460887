import { pages, useNavStore } from '../store/nav-store';
import { useEngineStore } from '../store/engine-store';

/** Left navigation with the engine status at the bottom. */
export function Sidebar() {
  const { page, go } = useNavStore();
  const { status, version } = useEngineStore();
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <img src="./favicon.svg" alt="" width={28} height={28} />
        <span>Lifeboat</span>
      </div>
      <ul>
        {pages.map((p) => (
          <li key={p.id}>
            <button type="button" className={p.id === page ? 'active' : ''} aria-current={p.id === page ? 'page' : undefined} onClick={() => go(p.id)}>
              {p.label}
            </button>
          </li>
        ))}
      </ul>
      <div className={`engine-status ${status}`} data-testid="engine-status">
        <span className="dot" aria-hidden="true" />
        {status === 'ready' && version ? `Engine ${version.version} · ${version.door}` : status === 'connecting' ? 'Connecting…' : 'Engine unreachable'}
      </div>
    </nav>
  );
}
