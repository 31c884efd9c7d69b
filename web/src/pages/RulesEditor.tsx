// Placeholder: this page is being built.
export function RulesEditor() {
  return <h1>RulesEditor</h1>;
}
