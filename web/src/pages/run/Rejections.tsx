// Orders the run refused, with the rule and the reason: the `rejected` orders of
// `GET /runs/{id}/orders` (which lists every order by placement, so its pages are read
// until enough rejections are found), and the report's count by rule.

import { useCallback, useEffect, useRef, useState } from "react";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { ApiError, api } from "../../lib/api";
import * as format from "../../lib/format";
import { useWhen } from "./time";
import type { Page } from "../../lib/types";
import type { Order } from "./types";

/** Rejections shown per "load more". */
const WANTED = 50;
/** Pages of orders read at most per "load more". */
const PAGES_PER_LOAD = 10;

interface Props {
  runId: number;
  /** Rejections by rule, from the report (undefined while the run goes). */
  byRule: Record<string, number> | undefined;
  live: boolean;
}

export function Rejections({ runId, byRule, live }: Props) {
  const expected = byRule ? Object.values(byRule).reduce((a, b) => a + b, 0) : undefined;
  const [items, setItems] = useState<Order[]>([]);
  const [cursor, setCursor] = useState<number | null | "start">("start");
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const busy = useRef(false);
  const when = useWhen();

  const load = useCallback(
    async (from: number | null | "start") => {
      if (busy.current || from === null) return;
      busy.current = true;
      setLoading(true);
      try {
        let after = from === "start" ? null : from;
        const found: Order[] = [];
        for (let i = 0; i < PAGES_PER_LOAD && found.length < WANTED; i++) {
          const page = await api.get<Page<Order>>(`/runs/${runId}/orders?limit=1000${after !== null ? `&after=${after}` : ""}`);
          found.push(...page.items.filter((o) => o.status === "rejected"));
          after = page.next_after;
          if (after === null) break;
        }
        setItems((old) => (from === "start" ? found : [...old, ...found]));
        setCursor(after);
        setError(undefined);
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
      } finally {
        busy.current = false;
        setLoading(false);
      }
    },
    [runId],
  );

  useEffect(() => {
    if (expected === 0) return;
    void load("start");
  }, [load, expected]);

  const rules = byRule ? Object.entries(byRule).filter(([, n]) => n > 0) : [];
  return (
    <section className="card run-section" aria-labelledby="rejections-heading">
      <h2 id="rejections-heading">Rejected orders</h2>
      {rules.length > 0 && (
        <p className="muted">
          By rule:{" "}
          {rules.map(([rule, n], i) => (
            <span key={rule}>
              {i > 0 && ", "}
              <code>{rule}</code> {format.count(n)}
            </span>
          ))}
        </p>
      )}
      {expected === 0 || (!loading && !error && cursor === null && !items.length) ? (
        <EmptyState title="No rejected orders">
          {live ? "Orders a rule refuses show here." : "Every order the decider asked for passed the rules."}
        </EmptyState>
      ) : error && !items.length ? (
        <ErrorState error={error} retry={() => void load("start")} />
      ) : (
        <>
          {items.length > 0 && (
            <div className="table-wrap">
              <table aria-label="Rejected orders">
                <thead>
                  <tr>
                    <th>Time</th>
                    <th>Symbol</th>
                    <th>Order</th>
                    <th>Rule</th>
                    <th>Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((o) => (
                    <tr key={o.seq}>
                      <td className="when">{when(o.created_at)}</td>
                      <td>{o.symbol}</td>
                      <td>
                        {o.side} {orderSize(o)} ({o.type})
                      </td>
                      <td>
                        <code>{o.reject_rule ?? format.DASH}</code>
                      </td>
                      <td className="run-reason">{o.reject_reason ?? format.DASH}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {loading ? (
            <Loading what="Looking for rejected orders" />
          ) : (
            <div className="row run-load-more">
              {error && (
                <span className="field-error" role="alert">
                  {error.message}
                </span>
              )}
              {cursor !== null && (
                <button type="button" onClick={() => void load(cursor)}>
                  Load more rejected orders
                </button>
              )}
              <span className="muted">
                {format.count(items.length)}
                {expected !== undefined ? ` of ${format.count(expected)}` : ""} shown
              </span>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** How big an order was: its units, else how the decider sized it. */
function orderSize(o: Order): string {
  if (o.qty) return format.quantity(o.qty);
  switch (o.sizing?.kind) {
    case "shares":
      return format.quantity(o.sizing.value);
    case "cash":
      return `${format.money(o.sizing.value)} worth`;
    case "all_in":
      return "all in";
    case "close_position":
      return "the position";
    default:
      return "";
  }
}
