import { useEngineStore } from '../store/engine-store';
import { useNavStore } from '../store/nav-store';

const steps = [
  { title: 'Create your vault', text: 'An encrypted, deduplicated store on this machine. Only your passphrase opens it.', page: 'vault' },
  { title: 'Add a host', text: 'Connect over SSH or the Docker API. Nothing is installed on the server.', page: 'hosts' },
  { title: 'Pick what to save', text: 'Lifeboat finds compose stacks, databases, volumes, bind mounts and secrets.', page: 'backups' },
  { title: 'Prove it restores', text: 'Drills restore into scratch containers and compare row counts.', page: 'restore' },
] as const;

/** The first screen: engine identity and the path from nothing to a tested backup. */
export function OverviewPage() {
  const { version } = useEngineStore();
  const go = useNavStore((s) => s.go);
  return (
    <section className="page">
      <header className="page-header">
        <h1>Welcome aboard</h1>
        <p className="lede">Backups of your homelab that you have actually restored from.</p>
      </header>
      <div className="cards">
        <article className="card" data-testid="engine-card">
          <h2>Engine</h2>
          <dl>
            <dt>Version</dt>
            <dd data-testid="engine-version">{version?.version}</dd>
            <dt>Runtime</dt>
            <dd>Node {version?.node} · {version?.platform}</dd>
            <dt>Connected via</dt>
            <dd>{version?.door === 'bridge' ? 'Local web bridge (127.0.0.1)' : version?.door}</dd>
            <dt>Data folder</dt>
            <dd className="mono">{version?.home}</dd>
          </dl>
        </article>
        <article className="card">
          <h2>Get started</h2>
          <ol className="steps">
            {steps.map((s, i) => (
              <li key={s.title}>
                <span className="step-number">{i + 1}</span>
                <div>
                  <button type="button" className="link" onClick={() => go(s.page)}>{s.title}</button>
                  <p>{s.text}</p>
                </div>
              </li>
            ))}
          </ol>
        </article>
      </div>
    </section>
  );
}
