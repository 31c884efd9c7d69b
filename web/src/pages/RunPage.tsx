// Placeholder: this page is being built.
export function RunPage() {
  return <h1>RunPage</h1>;
}
