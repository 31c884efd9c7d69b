// The shapes of the run page's routes (crates/server/src/routes/{run_audit,trail_views,
// stream,data,model_views}.rs). Money, prices and quantities are decimal strings; times
// are RFC 3339 UTC.

/** A point of `GET /runs/{id}/equity` and of the stream's `equity` events. */
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

/** A bar of `GET /data/bars`. */
export interface Bar {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
}

/** `GET /data/bars`: at most `limit` bars from `from` on; `next_from` when there are more. */
export interface BarsPage {
  symbol: string;
  timeframe: string;
  bars: Bar[];
  next_from: string | null;
}

/** A fill (`GET /runs/{id}/fills`, or a `fill` row of the events and the stream). */
export interface Fill {
  seq: number;
  order_id: number;
  time: string;
  symbol: string;
  side: "buy" | "sell";
  qty: string;
  price: string;
  commission: string;
  slippage: string;
}

/** A closed round trip (`GET /runs/{id}/trades`). */
export interface Trade {
  seq: number;
  symbol: string;
  side: "long" | "short";
  qty: string;
  entry_time: string;
  exit_time: string;
  entry_price: string;
  exit_price: string;
  pnl: string;
  commissions: string;
  return_pct: number;
  entry_step?: number;
  exit_step?: number;
}

/** An order in its latest state, Alpaca's names (`GET /runs/{id}/orders`). */
export interface Order {
  seq: number;
  id: number | null;
  client_order_id: string | null;
  created_at: string;
  symbol: string;
  side: "buy" | "sell";
  type: "market" | "limit" | "stop";
  limit_price: string | null;
  stop_price: string | null;
  qty: string | null;
  sizing: { kind: string; value?: string };
  filled_qty: string;
  filled_avg_price: string | null;
  status: "new" | "filled" | "canceled" | "rejected";
  reject_rule: string | null;
  reject_reason: string | null;
}

/** One tool call of an LLM decider: its arguments and what it returned. */
export interface ToolCall {
  name: string;
  arguments: unknown;
  result: unknown;
}

/** How a decider call was reached (an LLM agent's): inputs, tool calls, tokens, cost. */
export interface DecisionTrace {
  inputs?: Record<string, unknown>;
  tool_calls?: ToolCall[];
  usage?: { prompt_tokens: number; completion_tokens: number; cost_usd?: number };
}

/** A row of `GET /runs/{id}/events`: seq, time, kind and the kind's fields. */
export interface TrailRow {
  seq: number;
  time: string;
  kind: string;
  symbol?: string | null;
  [field: string]: unknown;
}

/** A `decision` row: an order the decider asked for, with its reasoning. */
export interface DecisionRow extends TrailRow {
  kind: "decision";
  symbol: string | null;
  action: string;
  quantity: string | null;
  reasoning: string;
  inputs: unknown;
}

/** A `decided` row: one decider call that said something (holds included). */
export interface DecidedRow extends TrailRow {
  kind: "decided";
  detail: {
    orders: number;
    cancels: number;
    reasoning?: string;
    trace?: DecisionTrace;
  };
}

/** A `risk` row: something the risk engine did on its own. */
export interface RiskRow extends TrailRow {
  kind: "risk";
  detail: {
    risk_event: string;
    rule?: string;
    symbol?: string;
    exit?: string;
    level?: number;
    loss_pct?: number;
    limit_pct?: number;
    drawdown_pct?: number;
    local_time?: string;
    flatten?: boolean;
  };
}

/** What a live run's feed reported (a `feed` row's detail). */
export interface FeedNotice {
  /** `paused`, `resumed`, `failover` or `breaker`. */
  notice: string;
  /** The provider concerned (`replay` for stored bars replayed as live; may be empty). */
  provider: string;
  detail: string;
}

/** A rule of a model as `GET /models/{id}/rules` shows it. */
export type { RuleView } from "../../components/models/types";

/** A rule as a run's snapshot keeps it (the kind inside `params`). */
export interface SnapshotRule {
  name: string;
  category: string;
  description: string;
  params: Record<string, unknown> & { kind?: string };
  priority: number;
  active: boolean;
  origin: string;
}

/** A series the caller sees (`GET /data/series`). */
export interface SeriesInfo {
  symbol: string;
  timeframe: string;
  bars: number;
  first: string;
  last: string;
}

/** `status` and `end` events of the stream. */
export interface StatusEvent {
  status: string;
  status_reason: string | null;
  ended_at: string | null;
}

/** A live event shown in the feed. */
export interface FeedItem {
  /** The SSE event type. */
  type: string;
  /** The row's seq when it is a stored row. */
  seq?: number;
  data: Record<string, unknown>;
}
