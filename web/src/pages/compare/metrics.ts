// The metrics of a run's report as people read them: a label, a formatter, and which
// way is better, so the compare page can mark the best value of each row.

import * as fmt from "../../lib/format";

/**
 * Which value of a row is the better one: `higher`, `lower` (drawdown, volatility,
 * costs), `none` (counts and benchmarks that are neither good nor bad). The
 * `…-same-cash` kinds are money amounts that only compare between runs that started
 * with the same cash.
 */
export type Direction = "higher" | "lower" | "none" | "higher-same-cash" | "lower-same-cash";

export interface MetricInfo {
  label: string;
  format: (v: unknown) => string;
  better: Direction;
  /** Compare magnitudes (a drawdown may be reported as −12 % or 12 %). */
  magnitude?: boolean;
}

const num = (v: unknown) => (typeof v === "number" || typeof v === "string" ? v : undefined);
const pct = (v: unknown) => fmt.pct(num(v));
const ratio = (v: unknown) => fmt.ratio(num(v));
const money = (v: unknown) => fmt.money(num(v));
const count = (v: unknown) => fmt.count(num(v));
/** A drawdown reads as a fall: −12.34 % whatever sign the report uses. */
const drawdown = (v: unknown) => {
  const n = Number(num(v));
  return Number.isFinite(n) && num(v) !== undefined ? fmt.pct(-Math.abs(n)) : fmt.DASH;
};

/** Every metric the compare endpoint sends, in its order. */
export const METRICS: Record<string, MetricInfo> = {
  final_equity: { label: "Final equity", format: money, better: "higher-same-cash" },
  total_return_pct: { label: "Total return", format: pct, better: "higher" },
  cagr_pct: { label: "CAGR", format: pct, better: "higher" },
  sharpe: { label: "Sharpe", format: ratio, better: "higher" },
  sortino: { label: "Sortino", format: ratio, better: "higher" },
  calmar: { label: "Calmar", format: ratio, better: "higher" },
  max_drawdown_pct: { label: "Max drawdown", format: drawdown, better: "lower", magnitude: true },
  volatility_ann_pct: { label: "Volatility (annual)", format: (v) => fmt.pct(num(v)).replace(/^\+/, ""), better: "lower" },
  closed_trades: { label: "Closed trades", format: count, better: "none" },
  open_trades: { label: "Open trades at the end", format: count, better: "none" },
  win_rate_pct: { label: "Win rate", format: (v) => fmt.pct(num(v)).replace(/^\+/, ""), better: "higher" },
  profit_factor: { label: "Profit factor", format: ratio, better: "higher" },
  expectancy: { label: "Expectancy per trade", format: money, better: "higher-same-cash" },
  exposure_pct: { label: "Time in the market", format: (v) => fmt.pct(num(v)).replace(/^\+/, ""), better: "none" },
  commissions: { label: "Commissions", format: money, better: "lower-same-cash" },
  buy_and_hold_return_pct: { label: "Buy and hold return", format: pct, better: "none" },
  fills: { label: "Fills", format: count, better: "none" },
};

/** What to show for a metric the UI does not know yet: its name, the value as is. */
export function metricInfo(key: string): MetricInfo {
  return (
    METRICS[key] ?? {
      label: key.replace(/_/g, " "),
      format: (v: unknown) => (typeof v === "number" ? fmt.number(v) : v === null || v === undefined ? fmt.DASH : String(v)),
      better: "none",
    }
  );
}

/**
 * The indexes of the best values of a row (every tied best one), or none when the
 * metric has no better side, fewer than two runs have a value, or all values tie.
 * `sameCash` says whether every run started with the same cash.
 */
export function bestIndexes(key: string, values: unknown[], sameCash: boolean): Set<number> {
  const info = metricInfo(key);
  let dir = info.better;
  if (dir === "higher-same-cash") dir = sameCash ? "higher" : "none";
  if (dir === "lower-same-cash") dir = sameCash ? "lower" : "none";
  if (dir === "none") return new Set();
  const nums = values.map((v) => {
    const n = typeof v === "number" ? v : typeof v === "string" && v !== "" ? Number(v) : NaN;
    if (!Number.isFinite(n)) return undefined;
    return info.magnitude ? Math.abs(n) : n;
  });
  const present = nums.filter((n): n is number => n !== undefined);
  if (present.length < 2) return new Set();
  const best = dir === "higher" ? Math.max(...present) : Math.min(...present);
  if (present.every((n) => n === best)) return new Set();
  const out = new Set<number>();
  nums.forEach((n, i) => {
    if (n === best) out.add(i);
  });
  return out;
}
