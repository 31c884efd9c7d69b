// A live run's Server-Sent Events (`GET /api/v1/runs/{id}/stream`): its status and
// progress, the rows it writes (decisions, orders, rejections, fills, risk events,
// closed trades) and sampled equity points, until `end`. The browser's EventSource
// reconnects by itself with the last row's id (the server resumes after it without
// a gap or a repeat); on `end` the source is closed so it does not reconnect.
//
// A live run's feed notices say when its market data stopped and came back: the stream
// sends no new `status` for that, so the page reads `paused` (and why) from them.
//
// Events arrive in bursts (a live run opened mid-way first gets every stored row), so
// they are buffered and handed to React a few times a second.

import { useEffect, useRef, useState } from "react";
import type { Progress } from "../../lib/types";
import type { EquityPoint, FeedItem, FeedNotice, Fill, StatusEvent } from "./types";

/** Rows of the feed kept for display (newest first). */
const FEED_KEPT = 200;
/** How often buffered events reach the page. */
const FLUSH_MS = 300;

/** The SSE event types that carry a row of the run's trail. */
export const ROW_TYPES = ["decision", "order", "rejection", "fill", "risk", "trade", "event"] as const;

export interface LiveState {
  /** `connecting`, `open`, `reconnecting`, `ended` or `failed` (the server refused). */
  connection: "connecting" | "open" | "reconnecting" | "ended" | "failed";
  status: StatusEvent | undefined;
  progress: Progress | undefined;
  /** The latest rows, newest first. */
  feed: FeedItem[];
  /** Rows seen by type (decision, fill, trade, rejection, risk, …). */
  counts: Record<string, number>;
  /** Equity points sent live (sampled by the server). */
  equity: EquityPoint[];
  /** Every fill seen, in order (for the price chart's markers). */
  fills: Fill[];
  /** The latest `paused` or `resumed` notice of the feed (none seen: undefined). */
  pauseNotice: FeedNotice | undefined;
}

const EMPTY: LiveState = {
  connection: "connecting",
  status: undefined,
  progress: undefined,
  feed: [],
  counts: {},
  equity: [],
  fills: [],
  pauseNotice: undefined,
};

/** Follows run `id` while `enabled`; `onEnd` runs once the stream says the run ended. */
export function useRunStream(id: number, enabled: boolean, onEnd: (end: StatusEvent) => void): LiveState {
  const [state, setState] = useState<LiveState>(EMPTY);
  const endRef = useRef(onEnd);
  useEffect(() => {
    endRef.current = onEnd;
  }, [onEnd]);

  useEffect(() => {
    if (!enabled) return;
    setState(EMPTY);
    const source = new EventSource(`/api/v1/runs/${id}/stream`);
    // What arrived since the last flush.
    let rows: FeedItem[] = [];
    let equity: EquityPoint[] = [];
    let fills: Fill[] = [];
    let status: StatusEvent | undefined;
    let progress: Progress | undefined;
    let connection: LiveState["connection"] | undefined;
    let pauseNotice: FeedNotice | undefined;
    let ended: StatusEvent | undefined;
    let closed = false;

    const flush = () => {
      if (!rows.length && !equity.length && !status && !progress && !connection && !pauseNotice) return;
      const newRows = rows;
      const newEquity = equity;
      const newFills = fills;
      const newStatus = status;
      const newProgress = progress;
      const newConnection = connection;
      const newPause = pauseNotice;
      rows = [];
      equity = [];
      fills = [];
      status = undefined;
      progress = undefined;
      connection = undefined;
      pauseNotice = undefined;
      setState((old) => {
        const counts = { ...old.counts };
        for (const r of newRows) counts[r.type] = (counts[r.type] ?? 0) + 1;
        const feed = newRows.length ? [...newRows.slice(-FEED_KEPT).reverse(), ...old.feed].slice(0, FEED_KEPT) : old.feed;
        return {
          connection: newConnection ?? old.connection,
          status: newStatus ?? old.status,
          progress: newProgress ?? old.progress,
          feed,
          counts,
          equity: newEquity.length ? [...old.equity, ...newEquity] : old.equity,
          fills: newFills.length ? [...old.fills, ...newFills] : old.fills,
          pauseNotice: newPause ?? old.pauseNotice,
        };
      });
    };
    const timer = window.setInterval(flush, FLUSH_MS);

    const parse = (e: MessageEvent): Record<string, unknown> | undefined => {
      try {
        const data: unknown = JSON.parse(e.data as string);
        return data && typeof data === "object" ? (data as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    };

    source.onopen = () => {
      connection = "open";
    };
    source.onerror = () => {
      if (closed) return;
      // CLOSED: the server answered with an error (404, 401): no more retries.
      connection = source.readyState === EventSource.CLOSED ? "failed" : "reconnecting";
      flush();
    };
    source.addEventListener("status", (e) => {
      const d = parse(e as MessageEvent);
      if (d) status = d as unknown as StatusEvent;
    });
    source.addEventListener("progress", (e) => {
      const d = parse(e as MessageEvent);
      if (d && typeof d.done === "number" && typeof d.total === "number") progress = { done: d.done, total: d.total };
    });
    source.addEventListener("equity", (e) => {
      const d = parse(e as MessageEvent);
      if (d && typeof d.time === "string" && typeof d.equity === "string") {
        equity.push({ time: d.time, equity: d.equity, invested: Boolean(d.invested) });
      }
    });
    for (const type of ROW_TYPES) {
      source.addEventListener(type, (e) => {
        const d = parse(e as MessageEvent);
        if (!d) return;
        rows.push({ type, seq: typeof d.seq === "number" ? d.seq : undefined, data: d });
        if (type === "fill") fills.push(d as unknown as Fill);
        const notice = d.kind === "feed" ? (d.detail as FeedNotice | undefined) : undefined;
        if (notice && (notice.notice === "paused" || notice.notice === "resumed")) pauseNotice = notice;
      });
    }
    source.addEventListener("end", (e) => {
      const d = parse(e as MessageEvent);
      closed = true;
      source.close();
      ended = (d as unknown as StatusEvent | undefined) ?? { status: "completed", status_reason: null, ended_at: null };
      status = ended;
      connection = "ended";
      flush();
      endRef.current(ended);
    });

    return () => {
      closed = true;
      source.close();
      window.clearInterval(timer);
    };
  }, [id, enabled]);

  return state;
}
