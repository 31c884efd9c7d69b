// What the risk engine did on its own (`GET /runs/{id}/events?kind=risk`): exits at
// stops and targets, circuit breakers, halts, flattens and the kill switch.

import { EmptyState, ErrorState } from "../../components/States";
import * as format from "../../lib/format";
import { useWhen } from "./time";
import { LoadMore } from "./LoadMore";
import { plainPct } from "./MetricCards";
import type { RiskRow } from "./types";
import { usePaged } from "../../lib/usePaged";

const EXIT_WORDS: Record<string, string> = {
  stop_loss: "Stop-loss exit",
  take_profit: "Take-profit exit",
  trailing_stop: "Trailing-stop exit",
  flatten_at: "Flatten-time exit",
  drawdown_halt: "Exit at a drawdown halt",
  kill_switch: "Exit by the kill switch",
};

/** A risk event in words: what happened, and the numbers behind it. */
export function describeRisk(d: RiskRow["detail"]): { what: string; detail: string; kind: string } {
  switch (d.risk_event) {
    case "auto_exit":
      return {
        kind: "exit",
        what: EXIT_WORDS[d.exit ?? ""] ?? `Exit (${d.exit ?? "unknown"})`,
        detail: d.level !== undefined ? `level ${format.price(d.level)}` : "",
      };
    case "circuit_breaker_tripped":
      return {
        kind: "breaker",
        what: "Circuit breaker tripped",
        detail: `day's loss ${plainPct(d.loss_pct)} reached the ${plainPct(d.limit_pct)} limit; entries blocked until the next session`,
      };
    case "circuit_breaker_reset":
      return { kind: "breaker", what: "Circuit breaker reset", detail: "a new session: entries allowed again" };
    case "halted":
      return {
        kind: "halt",
        what: "Run halted",
        detail: `drawdown ${plainPct(d.drawdown_pct)} reached the ${plainPct(d.limit_pct)} limit; positions closed`,
      };
    case "flatten":
      return { kind: "halt", what: "Flattened", detail: d.local_time ? `every position closed at ${d.local_time}` : "every position closed" };
    case "kill_switch":
      return {
        kind: "halt",
        what: "Kill switch",
        detail: d.flatten ? "stopped; positions closed first" : "stopped; positions left open",
      };
    default:
      return { kind: "", what: d.risk_event ?? "Risk event", detail: "" };
  }
}

interface Props {
  runId: number;
  /** Counts from the report (engine exits by kind, other risk events by kind). */
  autoExits: Record<string, number> | undefined;
  riskEvents: Record<string, number> | undefined;
  live: boolean;
}

export function RiskEvents({ runId, autoExits, riskEvents, live }: Props) {
  const rows = usePaged<RiskRow>(`/runs/${runId}/events?kind=risk`, 50);
  const when = useWhen();
  const counts = [...Object.entries(autoExits ?? {}), ...Object.entries(riskEvents ?? {})].filter(([, n]) => n > 0);
  return (
    <section className="card run-section" aria-labelledby="risk-heading">
      <h2 id="risk-heading">Risk events</h2>
      {counts.length > 0 && (
        <p className="muted">
          {counts.map(([k, n], i) => (
            <span key={k}>
              {i > 0 && ", "}
              {k.replace(/_/g, " ")} {format.count(n)}
            </span>
          ))}
        </p>
      )}
      {rows.error && !rows.items.length ? (
        <ErrorState error={rows.error} retry={rows.reload} />
      ) : !rows.items.length && !rows.loading ? (
        <EmptyState title="No risk events">
          {live ? "Stops, circuit breakers and halts show here as they happen." : "No stop, breaker or halt fired."}
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Risk events">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Event</th>
                  <th>Symbol</th>
                  <th>Rule</th>
                  <th>Detail</th>
                </tr>
              </thead>
              <tbody>
                {rows.items.map((r) => {
                  const d = describeRisk(r.detail ?? { risk_event: "" });
                  return (
                    <tr key={r.seq} className={`run-risk ${d.kind}`}>
                      <td className="when">{when(r.time)}</td>
                      <td>{d.what}</td>
                      <td>{r.symbol ?? r.detail?.symbol ?? format.DASH}</td>
                      <td>
                        <code>{r.detail?.rule ?? format.DASH}</code>
                      </td>
                      <td>{d.detail}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <LoadMore paged={rows} what="risk events" />
        </>
      )}
    </section>
  );
}
