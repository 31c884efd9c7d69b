// Leaderboard (`/leaderboard`): the user's finished runs ranked by a chosen metric,
// with filters kept in the URL query; tick runs and compare them.

import { useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { query } from "../lib/api";
import { useAuth } from "../lib/auth";
import * as fmt from "../lib/format";
import { useApi } from "../lib/useApi";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { metricInfo } from "./compare/metrics";
import type { LeaderboardAnswer } from "./compare/types";
import { FILTER_KEYS, Filters, filtersOf, type FilterValues } from "./leaderboard/Filters";

const STEP = 50;
const MAX = 1000;
/** Metrics that have their own column; another ranking metric gets one of its own. */
const FIXED = ["total_return_pct", "sharpe", "max_drawdown_pct"];

/** A metric's label inside a sentence: "total return", but "Sharpe" and "CAGR". */
function phrase(label: string): string {
  return /^(Sharpe|Sortino|Calmar|CAGR)/.test(label) ? label : label.toLowerCase();
}

export function Leaderboard() {
  const { user } = useAuth();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const limit = Math.min(MAX, Math.max(STEP, Number(params.get("limit")) || STEP));
  const apiQuery = query({ ...Object.fromEntries(FILTER_KEYS.map((k) => [k, filters[k]])), limit });
  const board = useApi<LeaderboardAnswer>(`/leaderboard${apiQuery}`);
  const [picked, setPicked] = useState<number[]>([]);

  const apply = (v: FilterValues) => {
    const next: Record<string, string> = {};
    for (const k of FILTER_KEYS) if (v[k] && !(k === "metric" && v[k] === "sharpe")) next[k] = v[k].trim();
    setParams(next);
  };
  const showMore = () => {
    const next = new URLSearchParams(params);
    next.set("limit", String(Math.min(MAX, limit + STEP)));
    setParams(next, { replace: true });
  };
  const metric = board.data?.metric ?? filters.metric;
  const info = metricInfo(metric);
  const ownColumn = !FIXED.includes(metric);
  const entries = board.data?.entries ?? [];
  const everyone = filters.scope === "all";
  const toggle = (id: number, on: boolean) => setPicked((old) => (on ? [...old.filter((x) => x !== id), id] : old.filter((x) => x !== id)));
  // Compare in rank order, whatever order they were ticked in.
  const pickedInOrder = useMemo(() => entries.filter((e) => picked.includes(e.run_id)).map((e) => e.run_id), [entries, picked]);

  return (
    <div className="leaderboard-page">
      <div className="page-head">
        <div>
          <h1>Leaderboard</h1>
          <p className="muted">
            {everyone ? "Everyone's" : "Your"} finished runs ranked by {phrase(info.label)}, best first.
          </p>
        </div>
        <button type="button" className="primary" disabled={pickedInOrder.length < 2} onClick={() => navigate(`/compare?runs=${pickedInOrder.join(",")}`)}>
          Compare selected{pickedInOrder.length ? ` (${pickedInOrder.length})` : ""}
        </button>
      </div>
      <Filters key={params.toString()} initial={filters} admin={user?.role === "admin"} error={board.error?.field ? board.error : undefined} onApply={apply} onReset={() => setParams({})} />
      {board.loading && !board.data && <Loading what="Ranking runs" />}
      {board.error && !board.error.field && <ErrorState error={board.error} retry={board.reload} />}
      {board.error?.field && <p className="field-error center">Fix the filter marked above to see the ranking.</p>}
      {board.data && !board.error && entries.length === 0 && (
        <EmptyState title="No runs to rank">
          {FILTER_KEYS.some((k) => params.get(k)) ? "No finished run matches these filters. " : "Finished runs with a report appear here. "}
          Start a run from a model on the <Link to="/">dashboard</Link>.
        </EmptyState>
      )}
      {board.data && !board.error && entries.length > 0 && (
        <>
          {everyone && <p className="muted small">Runs of other users open as “not found” and cannot be compared: only their owner sees them.</p>}
          <div className="table-wrap">
            <table aria-label="Leaderboard" className="leaderboard-table">
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">Select</span>
                  </th>
                  <th scope="col" className="num">
                    Rank
                  </th>
                  <th scope="col">Run</th>
                  <th scope="col" className="wide-only">
                    Strategy
                  </th>
                  <th scope="col" className="wide-only">
                    Symbols
                  </th>
                  {ownColumn && (
                    <th scope="col" className="num ranked">
                      {info.label}
                    </th>
                  )}
                  <th scope="col" className={`num${metric === "total_return_pct" ? " ranked" : ""}`}>
                    Return
                  </th>
                  <th scope="col" className={`num${metric === "sharpe" ? " ranked" : ""}`}>
                    Sharpe
                  </th>
                  <th scope="col" className={`num${metric === "max_drawdown_pct" ? " ranked" : ""}`}>
                    Max drawdown
                  </th>
                  <th scope="col" className="num">
                    Trades
                  </th>
                  <th scope="col" className="wide-only">
                    Ended
                  </th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => {
                  const label = `${e.model}#${e.number}`;
                  const id = `lb-pick-${e.run_id}`;
                  return (
                    <tr key={e.run_id} className={picked.includes(e.run_id) ? "picked" : undefined}>
                      <td>
                        <input id={id} type="checkbox" aria-label={`Select ${label} to compare`} checked={picked.includes(e.run_id)} onChange={(ev) => toggle(e.run_id, ev.target.checked)} />
                      </td>
                      <td className="num rank">{fmt.count(e.rank)}</td>
                      <td>
                        <Link to={`/runs/${e.run_id}`}>{label}</Link>{" "}
                        {e.status !== "completed" && <span className={`badge ${e.status}`}>{e.status}</span>}
                      </td>
                      <td className="wide-only">{e.strategy}</td>
                      <td className="wide-only">{e.symbols.join(", ") || fmt.DASH}</td>
                      {ownColumn && <td className={`num ranked ${info.better === "higher" ? fmt.signClass(e.value) : ""}`}>{info.format(e.value)}</td>}
                      <td className={`num ${fmt.signClass(e.total_return_pct)}${metric === "total_return_pct" ? " ranked" : ""}`}>{fmt.pct(e.total_return_pct)}</td>
                      <td className={`num${metric === "sharpe" ? " ranked" : ""}`}>{fmt.ratio(e.sharpe)}</td>
                      <td className={`num${metric === "max_drawdown_pct" ? " ranked" : ""}`}>{metricInfo("max_drawdown_pct").format(e.max_drawdown_pct)}</td>
                      <td className="num">{fmt.count(e.closed_trades)}</td>
                      <td className="wide-only">{fmt.dateTime(e.ended_at)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div className="row spread table-foot">
            <span className="muted">
              {fmt.count(entries.length)} run{entries.length === 1 ? "" : "s"}
              {board.loading ? " · updating…" : ""}
            </span>
            {entries.length >= limit && limit < MAX && (
              <button type="button" onClick={showMore}>
                Show more
              </button>
            )}
          </div>
        </>
      )}
    </div>
  );
}
