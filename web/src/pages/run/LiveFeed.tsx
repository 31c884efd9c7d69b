// The live part of a queued, running or paused run: its progress, and the rows its
// stream brings, newest first. A live paper run has no known end: its progress is the
// bars it decided so far.

import * as format from "../../lib/format";
import { useWhen } from "./time";
import type { Progress } from "../../lib/types";
import { feedLine } from "./FeedEvents";
import { describeRisk } from "./RiskEvents";
import { signedMoney } from "./TradesTable";
import type { FeedItem, FeedNotice, RiskRow } from "./types";
import type { LiveState } from "./useRunStream";

const CONNECTION_WORDS: Record<LiveState["connection"], string> = {
  connecting: "connecting…",
  open: "live",
  reconnecting: "connection lost, reconnecting…",
  ended: "ended",
  failed: "live updates unavailable: reload the page",
};

interface Props {
  status: string;
  /** A live paper run (`live`) or a replay of stored bars. */
  source: string;
  progress: Progress | undefined;
  live: LiveState;
  /** Reads the tables and charts below again (they show the run as it was when read). */
  onRefresh: () => void;
}

const HEADINGS: Record<string, string> = {
  queued: "Waiting for a worker",
  paused: "Paused: no market data",
};

export function LiveFeed({ status, source, progress, live, onRefresh }: Props) {
  const when = useWhen();
  const endless = source === "live";
  const pct = !endless && progress && progress.total > 0 ? (progress.done / progress.total) * 100 : undefined;
  const counted: [string, string][] = [
    ["decision", "decisions"],
    ["fill", "fills"],
    ["trade", "closed trades"],
    ["rejection", "rejections"],
    ["risk", "risk events"],
  ];
  return (
    <section className="card run-section run-live" aria-labelledby="live-heading">
      <div className="row spread">
        <h2 id="live-heading">{HEADINGS[status] ?? (endless ? "Trading live (paper)" : "Running")}</h2>
        <span className={`run-connection ${live.connection}`} role="status">
          {CONNECTION_WORDS[live.connection]}
        </span>
      </div>
      {!endless && (
        <div
          className="progress"
          role="progressbar"
          aria-label="Steps done"
          aria-valuemin={0}
          aria-valuemax={progress?.total ?? 100}
          aria-valuenow={progress?.done ?? 0}
        >
          <div style={{ width: `${pct ?? 0}%` }} />
        </div>
      )}
      <p className="muted run-progress-text">
        {endless
          ? `${format.count(progress?.done ?? 0)} bars decided so far; the run goes on until its feed ends or it is stopped.`
          : progress
            ? `${format.count(progress.done)} of ${format.count(progress.total)} steps (${format.number(pct ?? 0, 1)} %)`
            : status === "queued"
              ? "Queued: the run starts when a worker is free."
              : "Starting…"}
      </p>
      <div className="row spread run-live-counts">
        <p>
          {counted.map(([type, words]) => (
            <span key={type}>
              <strong>{format.count(live.counts[type] ?? 0)}</strong> {words}
            </span>
          ))}
        </p>
        <button type="button" className="ghost" onClick={onRefresh} title="The tables below show the run as it was when read">
          Refresh tables
        </button>
      </div>
      {live.feed.length > 0 && (
        <ol className="run-feed" aria-label="Live events" aria-live="off">
          {live.feed.map((item, i) => (
            <li key={item.seq ?? `x${i}`} className={`run-feed-item ${item.type} ${noticeClass(item)}`}>
              <time dateTime={String(item.data.time ?? "")}>{when(item.data.time as string | undefined)}</time>
              <span className="badge">{item.type === "event" ? String(item.data.kind ?? "event").replace(/_/g, " ") : item.type}</span>
              <span>{describe(item)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** `feed-paused`, `feed-resumed`, … for a feed notice (styled like its kind), else "". */
function noticeClass(item: FeedItem): string {
  if (item.data.kind !== "feed") return "";
  const n = (item.data.detail as Partial<FeedNotice> | undefined)?.notice;
  return n ? `feed-${n}` : "";
}

function str(v: unknown): string {
  return v === null || v === undefined ? "" : String(v);
}

/** A stream row in one line. */
function describe(item: FeedItem): string {
  const d = item.data;
  const symbol = str(d.symbol);
  switch (item.type) {
    case "decision":
      return `${symbol}: ${str(d.action)}${d.reasoning ? ` — ${str(d.reasoning)}` : ""}`;
    case "order":
      return `${symbol}: ${str(d.side)} ${d.qty ? format.quantity(d.qty as string) : ""} ${str(d.type)} order ${str(d.status)}`.replace(/\s+/g, " ");
    case "rejection":
      return `${symbol}: ${str(d.side)} refused by ${str(d.reject_rule) || "a check"}: ${str(d.reject_reason)}`;
    case "fill":
      return `${symbol}: ${str(d.side)} ${format.quantity(d.qty as string)} at ${format.price(d.price as string)}`;
    case "risk": {
      const r = describeRisk((d as RiskRow).detail ?? { risk_event: "" });
      return `${symbol ? `${symbol}: ` : ""}${r.what}${r.detail ? ` — ${r.detail}` : ""}`;
    }
    case "trade": {
      const t = (d.detail ?? {}) as Record<string, unknown>;
      return `${symbol}: trade closed, ${signedMoney(t.pnl as string)} (${format.pct(t.return_pct as number)})`;
    }
    default: {
      const detail = (d.detail ?? {}) as Record<string, unknown>;
      const kind = str(d.kind);
      if (kind === "decided") return `decider: ${str(detail.reasoning) || (Number(detail.orders) > 0 ? "trade" : "hold")}`;
      if (kind === "decider_failed") return `decider failed: ${str(detail.message)}`;
      if (kind === "feed") return feedLine(detail as Partial<FeedNotice>);
      if (kind === "command") return `command: ${str(detail.command)}${detail.flatten ? " (flatten)" : ""}`;
      return kind.replace(/_/g, " ");
    }
  }
}
