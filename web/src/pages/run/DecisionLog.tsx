// The decider's log: each call with its reasoning and the orders it asked for. A rule
// strategy's decisions are its orders (`decision` rows); an LLM agent's calls are also
// `decided` rows carrying the trace (tool calls, tokens, cost), holds included. Both
// come from `GET /runs/{id}/events?kind=decided,decision` in seq order, where a call
// comes just before the orders it placed.

import { useState } from "react";
import { EmptyState, ErrorState } from "../../components/States";
import * as format from "../../lib/format";
import { useWhen } from "./time";
import { LoadMore } from "./LoadMore";
import { costText } from "./MetricCards";
import type { DecidedRow, DecisionRow, DecisionTrace, TrailRow } from "./types";
import { usePaged } from "../../lib/usePaged";

interface Entry {
  key: number;
  time: string;
  symbol: string | null;
  action: string;
  reasoning: string;
  trace?: DecisionTrace;
  /** The orders a decider call asked for (its `decision` rows). */
  orders: DecisionRow[];
  /** How many orders the call placed (its rows may be on the next page). */
  placed: number;
}

/** Decider calls with their orders attached, in order. */
function entries(rows: TrailRow[]): Entry[] {
  const out: Entry[] = [];
  for (const row of rows) {
    if (row.kind === "decided") {
      const d = (row as DecidedRow).detail ?? { orders: 0, cancels: 0 };
      const inputs = d.trace?.inputs ?? {};
      const symbols = Array.isArray(inputs.symbols) ? (inputs.symbols as string[]).join(", ") : null;
      const action = typeof inputs.action === "string" ? inputs.action : d.orders > 0 ? "trade" : "hold";
      out.push({
        key: row.seq,
        time: row.time,
        symbol: symbols,
        action,
        reasoning: d.reasoning ?? "",
        trace: d.trace,
        orders: [],
        placed: d.orders,
      });
    } else if (row.kind === "decision") {
      const r = row as DecisionRow;
      const last = out[out.length - 1];
      if (last && last.orders.length < last.placed && last.time === r.time) {
        last.orders.push(r);
      } else {
        out.push({ key: r.seq, time: r.time, symbol: r.symbol, action: r.action, reasoning: r.reasoning, orders: [], placed: 0 });
      }
    }
  }
  return out;
}

interface Props {
  runId: number;
  live: boolean;
  /** The decider says something at every step (an LLM agent): holds can be hidden. */
  tracesHolds: boolean;
}

export function DecisionLog({ runId, live, tracesHolds }: Props) {
  const [holds, setHolds] = useState(true);
  // Without holds: the orders the decider asked for, each with its reasoning.
  const kinds = tracesHolds && !holds ? "decision" : "decided,decision";
  const rows = usePaged<TrailRow>(`/runs/${runId}/events?kind=${kinds}`, 50);
  const list = entries(rows.items);
  const when = useWhen();
  return (
    <section className="card run-section" aria-labelledby="decisions-heading">
      <div className="row spread">
        <h2 id="decisions-heading">Decision log</h2>
        {tracesHolds && (
          <label className="checkbox" htmlFor="decisions-holds">
            <input id="decisions-holds" type="checkbox" checked={holds} onChange={(e) => setHolds(e.target.checked)} />
            Show every call (holds and traces)
          </label>
        )}
      </div>
      {rows.error && !rows.items.length ? (
        <ErrorState error={rows.error} retry={rows.reload} />
      ) : !rows.items.length && !rows.loading ? (
        <EmptyState title="No decisions">
          {live ? "The decider's decisions show here as it makes them." : "The decider asked for no order."}
        </EmptyState>
      ) : (
        <>
          <ol className="run-decisions" aria-label="Decisions">
            {list.map((e) => (
              <li key={e.key} className="run-decision">
                <div className="row run-decision-head">
                  <time dateTime={e.time}>{when(e.time)}</time>
                  {e.symbol && <strong>{e.symbol}</strong>}
                  <span className={`badge run-action ${actionClass(e.action)}`}>{e.action}</span>
                </div>
                {e.reasoning && <p className="run-reasoning">{e.reasoning}</p>}
                {e.orders.length > 0 && (
                  <ul className="run-decision-orders" aria-label="Orders asked for">
                    {e.orders.map((o) => (
                      <li key={o.seq}>
                        {o.symbol}: {o.action}
                        {o.reasoning && o.reasoning !== e.reasoning && <span className="muted"> — {o.reasoning}</span>}
                      </li>
                    ))}
                  </ul>
                )}
                {e.trace && <TraceDetails trace={e.trace} />}
              </li>
            ))}
          </ol>
          <LoadMore paged={rows} what="decisions" shown={list.length} />
        </>
      )}
    </section>
  );
}

function actionClass(action: string): string {
  const a = action.toLowerCase();
  if (a.startsWith("buy")) return "buy";
  if (a.startsWith("sell") || a.startsWith("close")) return "sell";
  return "";
}

/** An LLM call's trace: tokens, cost, tool calls with their results, errors. */
function TraceDetails({ trace }: { trace: DecisionTrace }) {
  const inputs = trace.inputs ?? {};
  const calls = typeof inputs.calls === "number" ? inputs.calls : undefined;
  const latency = typeof inputs.latency_ms === "number" ? inputs.latency_ms : undefined;
  const errors = Array.isArray(inputs.errors) ? (inputs.errors as unknown[]).map(String) : [];
  const usage = trace.usage;
  const tokens = usage ? usage.prompt_tokens + usage.completion_tokens : undefined;
  const parts = [
    calls !== undefined ? `${format.count(calls)} model call${calls === 1 ? "" : "s"}` : undefined,
    tokens !== undefined ? `${format.count(tokens)} tokens` : undefined,
    usage?.cost_usd !== undefined ? costText(usage.cost_usd) : usage ? "cost unknown" : undefined,
    trace.tool_calls?.length ? `${format.count(trace.tool_calls.length)} tool call${trace.tool_calls.length === 1 ? "" : "s"}` : undefined,
    latency !== undefined ? `${format.count(latency)} ms` : undefined,
  ].filter(Boolean);
  return (
    <details className="run-trace">
      <summary>LLM trace: {parts.join(" · ") || "details"}</summary>
      {usage && (
        <p className="muted">
          {format.count(usage.prompt_tokens)} prompt tokens, {format.count(usage.completion_tokens)} completion tokens
          {typeof inputs.ended_by === "string" ? `; ended by ${inputs.ended_by}` : ""}
          {typeof inputs.retries === "number" && inputs.retries > 0 ? `; ${inputs.retries} retries` : ""}.
        </p>
      )}
      {trace.tool_calls?.length ? (
        <ol className="run-tool-calls" aria-label="Tool calls">
          {trace.tool_calls.map((c, i) => (
            <li key={i}>
              <code>
                {c.name}({compact(c.arguments)})
              </code>
              <pre>{pretty(c.result)}</pre>
            </li>
          ))}
        </ol>
      ) : null}
      {errors.length > 0 && (
        <ul className="field-error" aria-label="Errors">
          {errors.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
    </details>
  );
}

/** Arguments in one line: `symbol: "AAPL", qty: 50`. */
function compact(v: unknown): string {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${JSON.stringify(x)}`)
      .join(", ");
  }
  return v === undefined ? "" : JSON.stringify(v);
}

/** A result as indented JSON, cut at a few thousand characters. */
function pretty(v: unknown): string {
  const text = typeof v === "string" ? v : JSON.stringify(v, null, 2);
  return text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text;
}
