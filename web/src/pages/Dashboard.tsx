// Placeholder: this page is being built.
export function Dashboard() {
  return <h1>Dashboard</h1>;
}
