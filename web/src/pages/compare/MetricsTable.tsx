// The compared runs' metrics side by side, the better value of each row marked.

import { Link } from "react-router";
import * as fmt from "../../lib/format";
import type { Run } from "../../lib/types";
import { bestIndexes, metricInfo } from "./metrics";
import { runColour, runPeriod } from "./runs";
import type { Comparison } from "./types";

export function MetricsTable({ runs, comparison }: { runs: Run[]; comparison: Comparison }) {
  const sameCash = runs.every((r) => Number(r.initial_cash) === Number(runs[0]?.initial_cash));
  return (
    <section className="card" aria-labelledby="metrics-title">
      <h2 id="metrics-title">Metrics</h2>
      <p className="muted small">
        The better value of each row is <span className="better">marked</span>: higher return, Sharpe and win rate; shallower drawdown, lower volatility.
        {!sameCash && " Money amounts are not marked: the runs started with different cash."}
      </p>
      <div className="table-wrap">
        <table aria-label="Metrics side by side" className="compare-table">
          <thead>
            <tr>
              <th scope="col">Metric</th>
              {runs.map((r, i) => (
                <th scope="col" key={r.id} className="num">
                  <span className="swatch" style={{ background: runColour(i) }} aria-hidden="true" />
                  <Link to={`/runs/${r.id}`}>{comparison.runs[i] ?? r.label}</Link>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Status</th>
              {runs.map((r, i) => (
                <td key={r.id} className="num">
                  <span className={`badge ${r.status}`} title={comparison.statuses[i]}>
                    {r.status}
                  </span>
                  {r.status_reason && <div className="muted small wrap">{r.status_reason}</div>}
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row">Period</th>
              {runs.map((r) => (
                <td key={r.id} className="num">
                  {runPeriod(r)}
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row">Symbols</th>
              {runs.map((r) => (
                <td key={r.id} className="num">
                  {r.symbols.join(", ") || fmt.DASH}
                </td>
              ))}
            </tr>
            <tr>
              <th scope="row">Initial cash</th>
              {runs.map((r) => (
                <td key={r.id} className="num">
                  {fmt.money(r.initial_cash)}
                </td>
              ))}
            </tr>
            {comparison.metrics.map(([key, values]) => {
              const info = metricInfo(key);
              const best = bestIndexes(key, values, sameCash);
              return (
                <tr key={key}>
                  <th scope="row">{info.label}</th>
                  {values.map((v, i) => (
                    <td key={i} className={`num${best.has(i) ? " better" : ""}`}>
                      {info.format(v)}
                      {best.has(i) && <span className="visually-hidden"> (better)</span>}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
