// A run's report as cards: the keys of the engine's `Report` (crates/engine/src/
// report.rs), each with its unit and sign; a key the report lacks is left out.

import * as format from "../../lib/format";
import type { Metrics } from "../../lib/types";

type Tone = "signed" | "drawdown" | "plain";

interface Card {
  label: string;
  value: string;
  tone?: Tone;
  /** The number that decides the colour of a signed value. */
  raw?: number;
  title?: string;
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** A percentage that has no sign of its own (win rate, exposure): 43.61 %. */
export function plainPct(v: number | undefined, digits = 2): string {
  return v === undefined ? format.DASH : `${format.number(v, digits)} %`;
}

interface ModelUsage {
  model_calls?: number;
  decisions?: number;
  prompt_tokens?: number;
  completion_tokens?: number;
  cost_usd?: number | null;
}

/** The cards of `metrics` (nothing when the run has no report yet). */
export function MetricCards({ metrics }: { metrics: Metrics }) {
  const m = metrics as Record<string, unknown>;
  const cards: Card[] = [];
  const add = (key: string, label: string, show: (n: number) => string, tone: Tone = "plain", title?: string) => {
    const n = num(m[key]);
    if (n === undefined && !(key in m)) return;
    cards.push({ label, value: n === undefined ? format.DASH : show(n), tone, raw: n, title });
  };
  add("total_return_pct", "Total return", (n) => format.pct(n), "signed");
  add("cagr_pct", "Annual return (CAGR)", (n) => format.pct(n), "signed");
  add("buy_and_hold_return_pct", "Buy and hold", (n) => format.pct(n), "signed", "Equal-weight buy-and-hold of the run's symbols");
  add("sharpe", "Sharpe", (n) => format.ratio(n), "signed");
  add("sortino", "Sortino", (n) => format.ratio(n), "signed");
  add("max_drawdown_pct", "Max drawdown", (n) => format.pct(-Math.abs(n)), "drawdown");
  add("volatility_ann_pct", "Volatility (annual)", (n) => plainPct(n));
  add("win_rate_pct", "Win rate", (n) => plainPct(n));
  add("profit_factor", "Profit factor", (n) => format.ratio(n));
  add("closed_trades", "Closed trades", (n) => format.count(n));
  add("open_trades", "Open at end", (n) => format.count(n));
  add("exposure_pct", "Exposure", (n) => plainPct(n), "plain", "Share of bars with a position open");
  add("final_equity", "Final equity", (n) => format.money(n));
  add("commissions", "Commissions paid", (n) => format.money(n));
  add("slippage", "Slippage cost", (n) => format.money(n));
  add("avg_trade_pct", "Average trade", (n) => format.pct(n), "signed");
  add("fills", "Fills", (n) => format.count(n));
  const rejected = m.orders_rejected;
  if (rejected && typeof rejected === "object") {
    const total = Object.values(rejected as Record<string, number>).reduce((a, b) => a + (num(b) ?? 0), 0);
    cards.push({ label: "Orders rejected", value: format.count(total) });
  }
  const usage = m.model_usage as ModelUsage | undefined;
  if (usage && typeof usage === "object") {
    const tokens = (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0);
    cards.push({ label: "Model calls", value: format.count(usage.model_calls ?? usage.decisions) });
    cards.push({
      label: "Tokens",
      value: format.count(tokens),
      title: `${format.count(usage.prompt_tokens)} prompt, ${format.count(usage.completion_tokens)} completion`,
    });
    cards.push({
      label: "Model cost",
      value: usage.cost_usd === null || usage.cost_usd === undefined ? "unknown" : costText(usage.cost_usd),
      title: usage.cost_usd === null ? "Some tokens were of a model without a known price" : undefined,
    });
  }
  if (!cards.length) return null;
  return (
    <div className="metrics" aria-label="Metrics">
      {cards.map((c) => (
        <div className="metric" key={c.label} title={c.title}>
          <div className="label">{c.label}</div>
          <div className={`value ${c.tone === "signed" ? format.signClass(c.raw === undefined ? undefined : Number(c.raw.toFixed(2))) : c.tone === "drawdown" && c.raw ? "negative" : ""}`}>
            {c.value}
          </div>
        </div>
      ))}
    </div>
  );
}

/** US dollars with the precision a small cost needs: $0.0215, $12.40. */
export function costText(usd: number): string {
  if (usd !== 0 && Math.abs(usd) < 1) {
    return usd.toLocaleString(undefined, { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });
  }
  return format.money(usd);
}
