// Placeholder: this page is being built.
export function Leaderboard() {
  return <h1>Leaderboard</h1>;
}
