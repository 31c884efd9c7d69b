// What a live run's market-data feed reported (`GET /runs/{id}/events?kind=feed`): an
// outage that paused it, data coming back, a fail-over down the provider chain, a
// circuit breaker changing state. Replays have none.

import { EmptyState, ErrorState } from "../../components/States";
import * as format from "../../lib/format";
import { usePaged } from "../../lib/usePaged";
import { LoadMore } from "./LoadMore";
import { useWhen } from "./time";
import type { FeedNotice, TrailRow } from "./types";

/** The name the server gives stored bars replayed as live, as a provider. */
export const REPLAY_PROVIDER = "replay";

const NOTICE_WORDS: Record<string, string> = {
  paused: "Feed paused",
  resumed: "Feed resumed",
  failover: "Failed over",
  breaker: "Circuit breaker",
};

/** A feed notice in words: "Feed paused", and "alpaca: server error 503 …". */
export function describeFeed(n: Partial<FeedNotice> | undefined): { what: string; detail: string; kind: string } {
  const kind = n?.notice ?? "";
  const provider = n?.provider === REPLAY_PROVIDER ? "stored bars" : (n?.provider ?? "");
  const detail = n?.detail ?? "";
  return {
    kind,
    what: NOTICE_WORDS[kind] ?? `Feed ${kind || "notice"}`,
    detail: provider && !detail.startsWith(provider) ? `${provider}: ${detail}` : detail,
  };
}

/** The one line the live events list shows: "Feed paused — alpaca: server error 503 …". */
export function feedLine(n: Partial<FeedNotice> | undefined): string {
  const d = describeFeed(n);
  return d.detail ? `${d.what} — ${d.detail}` : d.what;
}

interface FeedRow extends TrailRow {
  kind: "feed";
  detail?: Partial<FeedNotice>;
}

export function FeedEvents({ runId, live }: { runId: number; live: boolean }) {
  const rows = usePaged<FeedRow>(`/runs/${runId}/events?kind=feed`, 50);
  const when = useWhen();
  return (
    <section className="card run-section" aria-labelledby="feed-heading">
      <h2 id="feed-heading">Feed events</h2>
      {rows.error && !rows.items.length ? (
        <ErrorState error={rows.error} retry={rows.reload} />
      ) : !rows.items.length && !rows.loading ? (
        <EmptyState title="No feed events">
          {live ? "Outages, fail-overs and breaker changes of the market data show here as they happen." : "The feed had no outage, fail-over or breaker change."}
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Feed events">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Event</th>
                  <th>Provider</th>
                  <th>Detail</th>
                </tr>
              </thead>
              <tbody>
                {rows.items.map((r) => {
                  const d = describeFeed(r.detail);
                  return (
                    <tr key={r.seq} className={`run-feed-event ${d.kind}`}>
                      <td className="when">{when(r.time)}</td>
                      <td>{d.what}</td>
                      <td>{r.detail?.provider || format.DASH}</td>
                      <td>{r.detail?.detail ?? ""}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <LoadMore paged={rows} what="feed events" />
        </>
      )}
    </section>
  );
}
