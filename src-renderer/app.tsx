import { Sidebar } from './components/sidebar';
import { BackupsPage } from './pages/backups-page';
import { HostsPage } from './pages/hosts-page';
import { OverviewPage } from './pages/overview-page';
import { VaultPage } from './pages/vault-page';
import { RestorePage } from './pages/restore-page';
import { SnapshotsPage } from './pages/snapshots-page';
import { useEngineStore } from './store/engine-store';
import { useNavStore } from './store/nav-store';

function CurrentPage() {
  const page = useNavStore((s) => s.page);
  switch (page) {
    case 'overview':
      return <OverviewPage />;
    case 'hosts':
      return <HostsPage />;
    case 'backups':
      return <BackupsPage />;
    case 'snapshots':
      return <SnapshotsPage />;
    case 'restore':
      return <RestorePage />;
    case 'vault':
      return <VaultPage />;
  }
}

/** The app shell: sidebar plus the current page, or a clear message when the engine is unreachable. */
export function App() {
  const { status, error } = useEngineStore();
  return (
    <div className="shell">
      <Sidebar />
      <main className="content">
        {status === 'error' ? (
          <section className="page">
            <div className="banner error" role="alert" data-testid="engine-error">
              <strong>Lifeboat cannot reach its engine.</strong> {error}
            </div>
          </section>
        ) : status === 'connecting' ? (
          <section className="page"><p className="lede">Connecting to the engine…</p></section>
        ) : (
          <CurrentPage />
        )}
      </main>
    </div>
  );
}
