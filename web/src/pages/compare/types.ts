// Shapes of the API answers the compare and leaderboard pages read (see
// crates/server/src/routes/runs.rs, run_audit.rs and leaderboard.rs).

/** `GET /runs/compare?ids=…`: pairs arrive as two-element arrays. */
export interface Comparison {
  /** Run labels (`model#number`), in the order asked. */
  runs: string[];
  /** `[metric, value per run]`, null where a run has none. */
  metrics: [string, unknown[]][];
  /** `[snapshot field, value per run]` for every field that differs. */
  differences: [string, unknown[]][];
  /** Each run's status, with its reason in parentheses. */
  statuses: string[];
}

/** An equity point: equity as decimal text. */
export interface EquityPoint {
  time: string;
  equity: string;
  invested: boolean;
}

/** `GET /runs/{id}/equity?points=N`. */
export interface EquityCurve {
  /** Points the stored curve has (before downsampling). */
  total: number;
  points: EquityPoint[];
}

/** A ranked run of `GET /leaderboard`. */
export interface LeaderboardEntry {
  rank: number;
  run_id: number;
  model_id: number;
  model: string;
  number: number;
  strategy: string;
  symbols: string[];
  status: string;
  value: number;
  total_return_pct: number | null;
  sharpe: number | null;
  max_drawdown_pct: number | null;
  closed_trades: number | null;
  ended_at: string | null;
}

export interface LeaderboardAnswer {
  metric: string;
  entries: LeaderboardEntry[];
}

/** `GET /strategies` (only what the filters use). */
export interface StrategyList {
  strategies: { name: string; summary: string }[];
}

/** A stored series of `GET /data/series` (only what the filters use). */
export interface Series {
  symbol: string;
  timeframe: string;
}
