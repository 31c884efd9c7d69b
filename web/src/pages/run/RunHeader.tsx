// The head of the run page: the run's label (linking to its model), status, period,
// symbols, timeframe, its parent when it is a replay, and the actions: stop while it
// goes, replay with other rules, compare with the parent.

import { Link } from "react-router";
import { useApi } from "../../lib/useApi";
import * as format from "../../lib/format";
import type { Run } from "../../lib/types";

interface Props {
  run: Run;
  status: string;
  canStop: boolean;
  /** Replays need an ended run. */
  canReplay: boolean;
  stopping: boolean;
  onStop: () => void;
  onReplay: () => void;
}

/** The run's period in words: its own, else the report's first and last bar. */
export function periodText(run: Run): string {
  const m = (run.metrics ?? {}) as Record<string, unknown>;
  const start = run.period_start ?? (typeof m.start === "string" ? m.start : null);
  const end = run.period_end ?? (typeof m.end === "string" ? m.end : null);
  if (!start && !end) return "all stored bars";
  // Dates of the period as the server set them (UTC), not shifted to the viewer's zone.
  const day = (t: string) => format.date(t.slice(0, 10));
  return `${start ? day(start) : "first bar"} – ${end ? day(end) : "last bar"}`;
}

function strategyText(run: Run): string | undefined {
  const d = (run.snapshot as { decider?: { kind?: string; params?: Record<string, unknown> } } | undefined)?.decider;
  if (!d?.kind) return undefined;
  const params = Object.entries(d.params ?? {})
    .filter(([k]) => !["api_key_env", "base_url"].includes(k))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(", ");
  return params ? `${d.kind} (${params})` : d.kind;
}

export function RunHeader({ run, status, canStop, canReplay, stopping, onStop, onReplay }: Props) {
  const parent = useApi<Run>(run.replay_of ? `/runs/${run.replay_of}` : null);
  const strategy = strategyText(run);
  return (
    <header className="page-head run-head">
      <div>
        <p className="muted run-crumb">
          <Link to={`/models/${run.model_id}`}>Model {run.label.replace(/#\d+$/, "")}</Link> › run {format.count(run.number)}
        </p>
        <h1 className="row">
          <Link to={`/models/${run.model_id}`} title="The run's model">
            {run.label}
          </Link>
          <span className={`badge ${status}`} aria-label={`Status: ${status}`}>
            {status}
          </span>
        </h1>
        <dl className="run-facts">
          <div>
            <dt>Period</dt>
            <dd>{periodText(run)}</dd>
          </div>
          <div>
            <dt>Symbols</dt>
            <dd>{run.symbols.length ? run.symbols.join(", ") : format.DASH}</dd>
          </div>
          <div>
            <dt>Timeframe</dt>
            <dd>{run.timeframe ?? run.mode}</dd>
          </div>
          <div>
            <dt>Initial cash</dt>
            <dd>{format.money(run.initial_cash)}</dd>
          </div>
          {strategy && (
            <div>
              <dt>Strategy</dt>
              <dd className="run-strategy">{strategy}</dd>
            </div>
          )}
          <div>
            <dt>Started</dt>
            <dd>{run.started_at ? format.dateTime(run.started_at) : `queued ${format.dateTime(run.created_at)}`}</dd>
          </div>
          {run.ended_at && (
            <div>
              <dt>Ended</dt>
              <dd>{format.dateTime(run.ended_at)}</dd>
            </div>
          )}
          {run.replay_of !== null && (
            <div>
              <dt>Replay of</dt>
              <dd>
                <Link to={`/runs/${run.replay_of}`}>{parent.data?.label ?? `run ${run.replay_of}`}</Link>
              </dd>
            </div>
          )}
        </dl>
        {run.status_reason && <p className="run-reason-line">{run.status_reason}</p>}
      </div>
      <div className="row run-actions">
        {canStop && (
          <button type="button" className="danger" onClick={onStop} disabled={stopping}>
            {stopping ? "Stopping…" : "Stop"}
          </button>
        )}
        {canReplay && (
          <button type="button" onClick={onReplay}>
            Replay with other rules
          </button>
        )}
        {run.replay_of !== null && (
          <Link className="button" to={`/compare?runs=${run.replay_of},${run.id}`}>
            Compare with parent
          </Link>
        )}
      </div>
    </header>
  );
}
