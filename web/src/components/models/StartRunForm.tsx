// Starting a run of a model: its symbols (all by default), a timeframe the stored data
// has for them, and a period; `POST /models/{id}/runs` queues it (202) and the page
// moves to the run. A live paper run (`live` in the same request) trades on the
// market's feed from now on, or on the stored bars of the period replayed as live.

import { useMemo, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { api } from "../../lib/api";
import type { Run } from "../../lib/types";
import * as fmt from "../../lib/format";
import { FieldError } from "../States";
import { errorProps, fieldErrors, type FieldErrors } from "./fields";
import { LIVE_KEYS, LiveFeedFields, NEW_LIVE_CHOICE, liveBody, type LiveChoice } from "./LiveFeedFields";
import { SymbolPicker } from "./SymbolPicker";
import type { ModelView, SeriesView } from "./types";

const KEYS = ["symbols", "timeframe", "from", "to", "rules", ...LIVE_KEYS] as const;

/** A live run's errors about its symbols (`live.symbols`: stocks and crypto mixed) go to the symbols. */
const alias = (field: string) => (field === "live.symbols" ? "symbols" : undefined);

/** Timeframes a live market feed offers even when no bar of them is stored. */
const MARKET_TIMEFRAMES = ["1m", "1d"];

/** Timeframes stored for the symbols, the ones every symbol has first (and, for a
 * market feed, the feed's own after them). */
function timeframes(series: SeriesView[], symbols: string[], market: boolean): { tf: string; all: boolean; stored: boolean }[] {
  const have = new Map<string, Set<string>>();
  for (const s of series) {
    if (!symbols.includes(s.symbol)) continue;
    const set = have.get(s.timeframe) ?? new Set<string>();
    set.add(s.symbol);
    have.set(s.timeframe, set);
  }
  const stored = [...have.entries()]
    .map(([tf, set]) => ({ tf, all: set.size === symbols.length, stored: true }))
    .sort((a, b) => Number(b.all) - Number(a.all) || a.tf.localeCompare(b.tf));
  if (!market) return stored;
  const extra = MARKET_TIMEFRAMES.filter((tf) => !have.has(tf)).map((tf) => ({ tf, all: false, stored: false }));
  return [...stored, ...extra];
}

/** The dates stored for all the symbols at `tf`: the latest first bar to the earliest last. */
function range(series: SeriesView[], symbols: string[], tf: string): { first: string; last: string } | undefined {
  const chosen = series.filter((s) => symbols.includes(s.symbol) && s.timeframe === tf);
  if (chosen.length === 0) return undefined;
  const first = chosen.map((s) => s.first).sort()[chosen.length - 1];
  const last = chosen.map((s) => s.last).sort()[0];
  return { first: first.slice(0, 10), last: last.slice(0, 10) };
}

export function StartRunForm({ model, series }: { model: ModelView; series: SeriesView[] }) {
  const navigate = useNavigate();
  const [symbols, setSymbols] = useState<string[]>(model.symbols);
  const [kind, setKind] = useState<"backtest" | "live">("backtest");
  const [live, setLive] = useState<LiveChoice>(NEW_LIVE_CHOICE);
  // A market feed trades from now on: no period to pick.
  const market = kind === "live" && live.feed === "market";
  const dated = !market;
  const options = useMemo(() => timeframes(series, symbols, market), [series, symbols, market]);
  const [picked, setPicked] = useState<string>("");
  const timeframe = options.some((o) => o.tf === picked) ? picked : (options[0]?.tf ?? "");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const stored = timeframe ? range(series, symbols, timeframe) : undefined;

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const run = await api.post<Run>(`/models/${model.id}/runs`, {
        symbols,
        timeframe: timeframe || undefined,
        from: (dated && from) || undefined,
        to: (dated && to) || undefined,
        live: kind === "live" ? liveBody(live) : undefined,
      });
      navigate(`/runs/${run.id}`);
    } catch (e) {
      setErrors(fieldErrors(e, KEYS, alias));
      setBusy(false);
    }
  };

  return (
    <form className="card start-run" onSubmit={submit} noValidate aria-labelledby="start-run">
      <h2 id="start-run">Start a run</h2>
      {model.symbols.length === 0 ? (
        <p className="muted">This model names no symbols: edit it to pick some first.</p>
      ) : (
        <>
          <SymbolPicker
            id="run-symbols"
            legend="Symbols"
            series={series.filter((s) => model.symbols.includes(s.symbol))}
            extra={model.symbols}
            selected={symbols}
            onChange={setSymbols}
            invalid={!!errors.symbols}
            describedBy={errors.symbols ? "run-symbols-error" : undefined}
          />
          <FieldError id="run-symbols-error" message={errors.symbols} />
          <div className="row run-kind" role="radiogroup" aria-label="Kind of run">
            <label className="checkbox" htmlFor="run-kind-backtest">
              <input id="run-kind-backtest" type="radio" name="run-kind" checked={kind === "backtest"} onChange={() => setKind("backtest")} />
              Backtest over stored bars
            </label>
            <label className="checkbox" htmlFor="run-kind-live">
              <input id="run-kind-live" type="radio" name="run-kind" checked={kind === "live"} onChange={() => setKind("live")} />
              Live paper trading
            </label>
          </div>
          {kind === "live" && <LiveFeedFields id="run" value={live} onChange={setLive} errors={errors} />}
          <div className="form-grid">
            <div>
              <label htmlFor="run-timeframe">Timeframe</label>
              <select id="run-timeframe" value={timeframe} onChange={(e) => setPicked(e.target.value)} {...errorProps(errors, "timeframe", "run-timeframe")}>
                {options.length === 0 && <option value="">No stored bars for these symbols</option>}
                {options.map((o) => (
                  <option key={o.tf} value={o.tf}>
                    {o.tf}
                    {o.all ? "" : o.stored ? " (not stored for every symbol)" : " (none stored)"}
                  </option>
                ))}
              </select>
              <FieldError id="run-timeframe-error" message={errors.timeframe} />
            </div>
            {dated && (
              <div>
                <label htmlFor="run-from">From</label>
                <input id="run-from" type="date" value={from} min={stored?.first} max={stored?.last} onChange={(e) => setFrom(e.target.value)} {...errorProps(errors, "from", "run-from")} />
                <FieldError id="run-from-error" message={errors.from} />
              </div>
            )}
            {dated && (
              <div>
                <label htmlFor="run-to">To</label>
                <input id="run-to" type="date" value={to} min={stored?.first} max={stored?.last} onChange={(e) => setTo(e.target.value)} {...errorProps(errors, "to", "run-to")} />
                <FieldError id="run-to-error" message={errors.to} />
              </div>
            )}
          </div>
          {dated && (
            <p className="muted hint">
              {stored
                ? `Stored ${timeframe} bars for all of them: ${fmt.date(stored.first)} – ${fmt.date(stored.last)}. Leave the dates empty to ${kind === "live" ? "replay" : "run over"} all of it.`
                : "Leave the dates empty to run over all stored bars."}
            </p>
          )}
          <FieldError id="run-form-error" message={errors.form ?? errors.rules} />
          <button type="submit" className="primary" disabled={busy || symbols.length === 0}>
            {busy ? "Starting…" : kind === "live" ? "Start live run" : "Start run"}
          </button>
        </>
      )}
    </form>
  );
}
