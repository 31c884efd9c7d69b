// The head of the run page: the run's label (linking to its model), status, period,
// symbols, timeframe, whether it traded live (and on which providers' data, as its
// feed events name them), its parent when it is a replay, and the actions: stop while
// it goes, resume an interrupted live run, replay with other rules, compare with the
// parent.

import { Link } from "react-router";
import { useApi } from "../../lib/useApi";
import * as format from "../../lib/format";
import type { Page, Run } from "../../lib/types";
import { feedText, keptFeed } from "../../components/models/LiveFeedFields";
import { REPLAY_PROVIDER } from "./FeedEvents";
import type { FeedNotice, TrailRow } from "./types";

interface Props {
  run: Run;
  status: string;
  /** Why the run is in its status (a paused run: the provider and its error). */
  reason: string | null;
  canStop: boolean;
  /** An interrupted live run can go on. */
  canResume: boolean;
  /** Replays need an ended run. */
  canReplay: boolean;
  stopping: boolean;
  onStop: () => void;
  onReplay: () => void;
  onResume: () => void;
}

/** The providers a live run's feed events name, in the order they first appear. */
function feedProviders(rows: TrailRow[]): string[] {
  const seen: string[] = [];
  for (const r of rows) {
    const p = (r.detail as Partial<FeedNotice> | undefined)?.provider;
    if (p && !seen.includes(p)) seen.push(p);
  }
  return seen.map((p) => (p === REPLAY_PROVIDER ? "stored bars replayed as live" : p));
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

export function RunHeader({ run, status, reason, canStop, canResume, canReplay, stopping, onStop, onReplay, onResume }: Props) {
  const parent = useApi<Run>(run.replay_of ? `/runs/${run.replay_of}` : null);
  const feed = useApi<Page<TrailRow>>(run.source === "live" ? `/runs/${run.id}/events?kind=feed&limit=100` : null);
  const providers = feedProviders(feed.data?.items ?? []);
  const kept = keptFeed(run.snapshot);
  // A replayed feed's events name no provider worth repeating.
  const named = kept?.feed === "replay" ? "" : providers.join(" → ");
  const feedLine = [kept ? feedText(kept) : "", named].filter(Boolean).join(": ");
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
          {run.source === "live" && (
            <span className="badge live-source" title="Paper trading on a live feed">
              live
            </span>
          )}
        </h1>
        <dl className="run-facts">
          <div>
            <dt>Source</dt>
            <dd>{run.source === "live" ? "Live feed, paper trading" : "Stored bars (backtest)"}</dd>
          </div>
          {run.source === "live" && feedLine && (
            <div>
              <dt>Feed</dt>
              <dd>{feedLine}</dd>
            </div>
          )}
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
        {reason && status !== "paused" && <p className="run-reason-line">{reason}</p>}
      </div>
      <div className="row run-actions">
        {canStop && (
          <button type="button" className="danger" onClick={onStop} disabled={stopping}>
            {stopping ? "Stopping…" : "Stop"}
          </button>
        )}
        {canResume && (
          <button type="button" className="primary" onClick={onResume}>
            Resume
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
