/** A page whose feature has not landed yet; says so plainly instead of showing broken controls. */
export function PlaceholderPage({ title, text }: { title: string; text: string }) {
  return (
    <section className="page">
      <header className="page-header">
        <h1>{title}</h1>
        <p className="lede">{text}</p>
      </header>
      <div className="empty-state">Not available in this build yet.</div>
    </section>
  );
}
