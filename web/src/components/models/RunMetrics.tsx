// The three numbers every run is judged by first — return, Sharpe, max drawdown — and
// its status, the same way on the dashboard, the model page and its runs table.

import { Link } from "react-router";
import type { Run, RunStatus } from "../../lib/types";
import * as fmt from "../../lib/format";

export function StatusBadge({ status, reason }: { status: RunStatus | string; reason?: string | null }) {
  return (
    <span className={`badge ${status}`} title={reason ?? undefined}>
      {status}
    </span>
  );
}

/** The metric value of a run's report, when it is a finite number. */
export function metric(run: Run, key: string): number | undefined {
  const v = run.metrics?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Max drawdown as a loss: the API gives its size (4.2), shown as −4.20 %. */
export function drawdown(run: Run): number | undefined {
  const dd = metric(run, "max_drawdown_pct");
  return dd === undefined ? undefined : -Math.abs(dd);
}

/** A run's period in the user's locale: "Jan 4, 2010 – Dec 31, 2012". */
export function period(run: Run): string {
  // The report's first and last bar dates when it has them, else the period asked for.
  const start = typeof run.metrics?.start === "string" ? run.metrics.start : run.period_start;
  const end = typeof run.metrics?.end === "string" ? run.metrics.end : run.period_end;
  if (!start && !end) return "all stored bars";
  return `${start ? fmt.date(start) : "first bar"} – ${end ? fmt.date(end) : "last bar"}`;
}

/** Return, Sharpe and drawdown of a run as metric tiles. */
export function RunMetricTiles({ run }: { run: Run }) {
  const ret = metric(run, "total_return_pct");
  const sharpe = metric(run, "sharpe");
  const dd = drawdown(run);
  return (
    <div className="run-tiles">
      <div className="metric">
        <div className="label">Return</div>
        <div className={`value ${fmt.signClass(ret)}`}>{fmt.pct(ret)}</div>
      </div>
      <div className="metric">
        <div className="label">Sharpe</div>
        <div className="value">{fmt.ratio(sharpe)}</div>
      </div>
      <div className="metric">
        <div className="label">Max drawdown</div>
        <div className={`value ${fmt.signClass(dd)}`}>{fmt.pct(dd)}</div>
      </div>
    </div>
  );
}

/** "Run #3" linking to the run page. */
export function RunLink({ run }: { run: Run }) {
  return <Link to={`/runs/${run.id}`}>Run #{fmt.count(run.number)}</Link>;
}
