// The API shapes the model pages use (crates/server/src/routes/models.rs,
// model_views.rs, catalog.rs, data.rs, run_audit.rs). Decimals are strings.

/** `GET /models/{id}`: a model with its strategy, execution settings and symbols. */
export interface ModelView {
  id: number;
  name: string;
  description: string;
  strategy: {
    name: string;
    /** The values it runs with, defaults included. */
    params: Record<string, string>;
    /** The names of the parameters left at their default. */
    defaults: string[];
  };
  initial_cash: string;
  execution: ExecutionView | null;
  symbols: string[];
  instructions: string;
  created_at: string;
  updated_at: string;
}

export interface ExecutionView {
  fill_model: "next_open" | "close" | string;
  commission_rate: string;
  commission_per_share: string;
  commission_minimum: string;
  slippage_bps: string;
  allow_short: boolean;
  close_at_end: boolean;
}

/** `GET /models/{id}/rules`: a stored rule with its summary and scope in words. */
export interface RuleView {
  id: number;
  model_id: number;
  name: string;
  kind: string;
  params: Record<string, unknown>;
  category: string;
  description: string;
  priority: number;
  active: boolean;
  origin: string;
  summary: string | null;
  scope: string | null;
  scope_kind: ScopeKind | null;
  created_at: string;
  updated_at: string;
}

export type ScopeKind =
  | "blocks_entries"
  | "blocks_all_orders"
  | "exits_position"
  | "halts_run"
  | "resizes_or_rejects_entries"
  | "blocks_entries_and_flattens";

/** `GET /strategies`. */
export interface StrategyParam {
  name: string;
  /** Empty when there is none. */
  default: string;
  help: string;
}
export interface StrategyInfo {
  name: string;
  summary: string;
  params: StrategyParam[];
  warm_up_bars: number | null;
}
export interface Strategies {
  strategies: StrategyInfo[];
}

/** `GET /templates`: each rule as a rules file has it, plus `summary` and `scope`. */
export interface TemplateRule {
  name: string;
  kind: string;
  summary?: string;
  scope?: string;
  [key: string]: unknown;
}
export interface TemplateView {
  name: string;
  summary: string;
  instructions: string;
  rules: TemplateRule[];
}
export interface Templates {
  templates: TemplateView[];
}

/** `GET /data/series`: a stored series. */
export interface SeriesView {
  symbol: string;
  timeframe: string;
  bars: number;
  first: string;
  last: string;
  access: "private" | "shared" | string;
}
export interface SeriesPage {
  items: SeriesView[];
  next_after: string | null;
}

/** `GET /runs/{id}/equity?points=N`. */
export interface EquityView {
  total: number;
  points: { time: string; equity: string; invested: boolean }[];
}
