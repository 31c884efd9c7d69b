// System figures: accounts, models, runs by status, the queue and the store's size.

import * as fmt from "../../lib/format";
import type { Stats } from "./types";

/** A size in bytes for people: 2.3 MB. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return fmt.DASH;
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toLocaleString(undefined, { maximumFractionDigits: u === 0 ? 0 : 1 })} ${units[u]}`;
}

/** Statuses in the order a run goes through them. */
const STATUS_ORDER = ["queued", "running", "paused", "completed", "halted", "stopped", "failed", "interrupted"];

export function StatsPanel({ stats }: { stats: Stats }) {
  const statuses = Object.keys(stats.runs_by_status).sort((a, b) => {
    const ia = STATUS_ORDER.indexOf(a);
    const ib = STATUS_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  });
  const totalRuns = Object.values(stats.runs_by_status).reduce((a, b) => a + b, 0);
  return (
    <section aria-labelledby="stats-title">
      <h2 id="stats-title">System</h2>
      <div className="metrics" aria-label="System stats">
        <Metric label="Users" value={fmt.count(stats.users)} />
        <Metric label="Models" value={fmt.count(stats.models)} />
        <Metric label="Runs" value={fmt.count(totalRuns)} />
        <Metric label="Running now" value={fmt.count(stats.running)} />
        <Metric label="Queue depth" value={fmt.count(stats.queue_depth)} />
        <Metric label="Store size" value={bytes(stats.store_bytes)} />
        <Metric label="Database" value={stats.database} />
      </div>
      <h3>Runs by status</h3>
      <ul className="status-counts" aria-label="Runs by status">
        {statuses.map((s) => (
          <li key={s}>
            <span className={`badge ${s}`}>{s}</span> <span className="num">{fmt.count(stats.runs_by_status[s])}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Metric({ label, value }: { label: string; value: string }) {
  return (
    <div className="metric">
      <div className="label">{label}</div>
      <div className="value">{value}</div>
    </div>
  );
}
