// The leaderboard's filters as a form. What it submits goes into the page's URL query
// (so back, forward and reload keep it); the server's complaints show by their field.

import { useState, type FormEvent } from "react";
import { useApi } from "../../lib/useApi";
import type { ApiError } from "../../lib/api";
import { FieldError } from "../../components/States";
import { metricInfo } from "../compare/metrics";
import type { Series, StrategyList } from "../compare/types";

/** The metrics the server ranks by (leaderboard.rs `METRICS`), best first for each. */
export const RANK_METRICS = ["sharpe", "total_return_pct", "cagr_pct", "sortino", "calmar", "max_drawdown_pct", "win_rate_pct", "profit_factor"];

/** The filter fields, as the URL query and the API name them. */
export interface FilterValues {
  metric: string;
  strategy: string;
  symbol: string;
  from: string;
  to: string;
  min_trades: string;
  scope: string;
}

export const FILTER_KEYS: (keyof FilterValues)[] = ["metric", "strategy", "symbol", "from", "to", "min_trades", "scope"];

export function filtersOf(params: URLSearchParams): FilterValues {
  const get = (k: string) => params.get(k) ?? "";
  return {
    metric: get("metric") || "sharpe",
    strategy: get("strategy"),
    symbol: get("symbol"),
    from: get("from"),
    to: get("to"),
    min_trades: get("min_trades"),
    scope: get("scope"),
  };
}

interface Props {
  initial: FilterValues;
  admin: boolean;
  error?: ApiError;
  onApply: (values: FilterValues) => void;
  onReset: () => void;
}

export function Filters({ initial, admin, error, onApply, onReset }: Props) {
  const [v, setV] = useState<FilterValues>(initial);
  const strategies = useApi<StrategyList>("/strategies");
  const series = useApi<{ items: Series[] }>("/data/series?limit=1000");
  const symbols = [...new Set((series.data?.items ?? []).map((s) => s.symbol))].sort();
  const set = (k: keyof FilterValues) => (e: { target: { value: string } }) => setV((old) => ({ ...old, [k]: e.target.value }));
  const fieldError = (k: string) => (error?.field === k ? error.message : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(v);
  };
  const input = (k: keyof FilterValues) => ({
    id: `lb-${k}`,
    value: v[k],
    onChange: set(k),
    "aria-invalid": fieldError(k) ? true : undefined,
    "aria-describedby": `lb-${k}-error`,
  });
  return (
    <form className="card leaderboard-filters" onSubmit={submit} aria-label="Leaderboard filters">
      <div className="form-grid">
        <div>
          <label htmlFor="lb-metric">Rank by</label>
          <select {...input("metric")}>
            {RANK_METRICS.map((m) => (
              <option key={m} value={m}>
                {metricInfo(m).label}
              </option>
            ))}
          </select>
          <FieldError id="lb-metric-error" message={fieldError("metric")} />
        </div>
        <div>
          <label htmlFor="lb-strategy">Strategy</label>
          <select {...input("strategy")}>
            <option value="">Any strategy</option>
            {(strategies.data?.strategies ?? []).map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
            {v.strategy && !strategies.data?.strategies.some((s) => s.name === v.strategy) && <option value={v.strategy}>{v.strategy}</option>}
          </select>
          <FieldError id="lb-strategy-error" message={fieldError("strategy")} />
        </div>
        <div>
          <label htmlFor="lb-symbol">Symbol</label>
          <select {...input("symbol")}>
            <option value="">Any symbol</option>
            {symbols.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
            {v.symbol && !symbols.includes(v.symbol) && <option value={v.symbol}>{v.symbol}</option>}
          </select>
          <FieldError id="lb-symbol-error" message={fieldError("symbol")} />
        </div>
        <div>
          <label htmlFor="lb-from">Bars from</label>
          <input type="date" {...input("from")} />
          <FieldError id="lb-from-error" message={fieldError("from")} />
        </div>
        <div>
          <label htmlFor="lb-to">Bars to</label>
          <input type="date" {...input("to")} />
          <FieldError id="lb-to-error" message={fieldError("to")} />
        </div>
        <div>
          <label htmlFor="lb-min_trades">Minimum closed trades</label>
          <input type="number" min={0} step={1} inputMode="numeric" placeholder="0" {...input("min_trades")} />
          <FieldError id="lb-min_trades-error" message={fieldError("min_trades")} />
        </div>
        {admin && (
          <div>
            <label htmlFor="lb-scope">Whose runs</label>
            <select {...input("scope")}>
              <option value="">Mine</option>
              <option value="all">Everyone's (admin)</option>
            </select>
            <FieldError id="lb-scope-error" message={fieldError("scope")} />
          </div>
        )}
      </div>
      <div className="row form-actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" className="ghost" onClick={onReset}>
          Reset
        </button>
      </div>
    </form>
  );
}
