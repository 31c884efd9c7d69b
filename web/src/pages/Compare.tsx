// Placeholder: this page is being built.
export function Compare() {
  return <h1>Compare</h1>;
}
