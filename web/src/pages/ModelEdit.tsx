// Placeholder: this page is being built.
export function ModelEdit() {
  return <h1>ModelEdit</h1>;
}
