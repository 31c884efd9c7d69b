// The dashboard (`/`): the user's models, each with its latest run's numbers and
// equity sparkline; a new user is led to the first model.

import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { api, ApiError, query } from "../lib/api";
import { useApi } from "../lib/useApi";
import type { Page, Run } from "../lib/types";
import { isLive } from "../lib/types";
import * as fmt from "../lib/format";
import { EmptyState, ErrorState, Loading } from "../components/States";
import type { ModelView, SeriesPage } from "../components/models/types";
import { Sparkline } from "../components/models/Sparkline";
import { RunLink, RunMetricTiles, StatusBadge, period } from "../components/models/RunMetrics";

const PAGE = 24;

export function Dashboard() {
  const [models, setModels] = useState<ModelView[] | undefined>(undefined);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const load = useCallback(async (after: number | null) => {
    setBusy(true);
    try {
      const page = await api.get<Page<ModelView>>(`/models${query({ limit: PAGE, after })}`);
      setModels((old) => (after === null ? page.items : [...(old ?? []), ...page.items]));
      setNext(page.next_after);
      setError(undefined);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
    } finally {
      setBusy(false);
    }
  }, []);
  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <section className="dashboard">
      <div className="page-head">
        <div>
          <h1>Your models</h1>
          <p className="muted">Each model is a strategy with its settings and rules; each run is one backtest of it.</p>
        </div>
        {models && models.length > 0 && (
          <Link to="/models/new" className="button primary">
            Create model
          </Link>
        )}
      </div>
      {error && !models && <ErrorState error={error} retry={() => void load(null)} />}
      {!models && !error && <Loading what="Loading your models" />}
      {models && models.length === 0 && <FirstModel />}
      {models && models.length > 0 && (
        <>
          <ul className="grid model-cards" aria-label="Models">
            {models.map((m) => (
              <ModelCard key={m.id} model={m} />
            ))}
          </ul>
          {error && <ErrorState error={error} retry={() => void load(next)} />}
          {next !== null && (
            <div className="load-more">
              <button type="button" onClick={() => void load(next)} disabled={busy}>
                {busy ? "Loading…" : "Load more models"}
              </button>
            </div>
          )}
          <p className="muted chart-credit">
            Charts by{" "}
            <a href="https://www.tradingview.com/" target="_blank" rel="noreferrer">
              TradingView
            </a>{" "}
            Lightweight Charts.
          </p>
        </>
      )}
    </section>
  );
}

/** The empty state: what a model is, that the sample data is ready, and the way in. */
function FirstModel() {
  const series = useApi<SeriesPage>("/data/series?limit=50");
  // "AAPL, FB, … (1d)" for each timeframe the stored data has.
  const byTimeframe = new Map<string, string[]>();
  for (const s of series.data?.items ?? []) byTimeframe.set(s.timeframe, [...(byTimeframe.get(s.timeframe) ?? []), s.symbol]);
  const stored = [...byTimeframe.entries()].map(([tf, symbols]) => `${symbols.join(", ")} (${tf === "1d" ? "daily" : tf} bars)`);
  return (
    <div className="card first-model">
      <EmptyState title="You have no models yet">
        <p>
          A model is a strategy (moving-average cross, RSI, breakout, buy-and-hold or an LLM agent) with its cash, costs
          and risk rules. Start from a template — day trader, swing trader, scalper or long-term investor — and run it on
          historical bars.
        </p>
        {stored.length > 0 ? (
          <p>
            The sample stocks are ready to trade: <span className="stored-symbols">{stored.join("; ")}</span>.
          </p>
        ) : (
          series.loading && <p className="muted">Looking up the stored data…</p>
        )}
        <p>
          <Link to="/models/new" className="button primary">
            Create your first model
          </Link>
        </p>
      </EmptyState>
    </div>
  );
}

function ModelCard({ model }: { model: ModelView }) {
  const runs = useApi<Page<Run>>(`/runs${query({ model: model.id, limit: 1 })}`);
  const latest = runs.data?.items[0];
  const { reload } = runs;
  // A run still going: look again until it ends, so the card shows its numbers.
  useEffect(() => {
    if (!latest || !isLive(latest.status)) return;
    const t = window.setTimeout(reload, 2000);
    return () => window.clearTimeout(t);
  }, [latest, reload]);
  return (
    <li className="card model-card">
      <div className="spread row">
        <h2>
          <Link to={`/models/${model.id}`}>{model.name}</Link>
        </h2>
        {latest && <StatusBadge status={latest.status} reason={latest.status_reason} />}
      </div>
      <p className="muted model-card-sub">
        {model.strategy.name} · {model.symbols.join(", ") || "no symbols"} · {fmt.money(model.initial_cash)}
      </p>
      {model.description && <p className="model-card-desc">{model.description}</p>}
      {runs.error && <ErrorState error={runs.error} retry={runs.reload} />}
      {!runs.data && runs.loading && <Loading what="Loading its runs" />}
      {runs.data && !latest && (
        <p className="muted no-runs">
          No runs yet. <Link to={`/models/${model.id}#start-run`}>Start a run</Link>
        </p>
      )}
      {latest && (
        <div className="latest-run">
          <div className="muted latest-run-head">
            Latest: <RunLink run={latest} /> · {period(latest)}
          </div>
          <RunMetricTiles run={latest} />
          {latest.metrics ? (
            <Sparkline runId={latest.id} label={`Equity of ${model.name}, run ${latest.number}`} />
          ) : (
            <div className="sparkline-placeholder muted">{isLive(latest.status) ? "Running…" : "No equity curve"}</div>
          )}
        </div>
      )}
    </li>
  );
}
