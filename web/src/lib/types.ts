// The shapes the REST API answers with (see /api/v1/openapi.json). Money, prices and
// quantities are decimal strings; times are RFC 3339 UTC. Pages may add their own
// types next to them for routes only they use.

export interface User {
  id: number;
  email: string;
  display_name: string;
  role: "user" | "admin";
  disabled: boolean;
  created_at: string;
}

/** A page of a list: the items and the cursor of the next page (null at the end). */
export interface Page<T> {
  items: T[];
  next_after: number | null;
}

export type RunStatus = "queued" | "running" | "paused" | "completed" | "halted" | "stopped" | "failed" | "interrupted";

export interface Progress {
  done: number;
  total: number;
}

/** The report of a run (the summary the CLI prints); fields as the API names them. */
export type Metrics = Record<string, unknown> & {
  total_return_pct?: number;
  sharpe?: number | null;
  max_drawdown_pct?: number;
  closed_trades?: number;
  final_equity?: string | number;
};

export interface Run {
  id: number;
  model_id: number;
  label: string;
  number: number;
  status: RunStatus;
  status_reason: string | null;
  mode: string;
  /** `replay` (over stored bars) or `live` (paper trading on a live feed). */
  source: "replay" | "live";
  symbols: string[];
  timeframe: string | null;
  period_start: string | null;
  period_end: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  last_event_at: string | null;
  replay_of: number | null;
  initial_cash: string;
  data_fingerprint: string | null;
  progress?: Progress;
  metrics: Metrics | null;
  snapshot?: Record<string, unknown>;
}

/** Whether a run is still going (its stream will bring more). */
export function isLive(status: RunStatus): boolean {
  return status === "queued" || status === "running" || status === "paused";
}
