// Placeholder: this page is being built.
export function ModelPage() {
  return <h1>ModelPage</h1>;
}
