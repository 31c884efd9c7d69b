// Compare (`/compare?runs=1,2,…`): two or more of the user's runs side by side —
// their equity curves overlaid as % returns, their metrics with the better value of
// each row marked, and what differs between their strategy snapshots. The choice of
// runs lives in the URL, so back, forward and reload keep it.

import { useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError, api, query } from "../lib/api";
import type { Run } from "../lib/types";
import { ErrorState, EmptyState, Loading, NotFound } from "../components/States";
import { RunPicker } from "./compare/RunPicker";
import { EquityOverlay } from "./compare/EquityOverlay";
import { MetricsTable } from "./compare/MetricsTable";
import { Differences } from "./compare/Differences";
import { parseRunIds } from "./compare/runs";
import type { Comparison, EquityCurve } from "./compare/types";

interface Loaded {
  runs: Run[];
  curves: EquityCurve[];
  comparison: Comparison;
}

/** The runs, their equity curves and their comparison; any run not the caller's is a 404. */
function useComparison(ids: number[]) {
  const key = ids.join(",");
  const [state, setState] = useState<{ key: string; data?: Loaded; error?: ApiError }>({ key: "" });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (ids.length < 2) return;
    let live = true;
    const asError = (e: unknown) => (e instanceof ApiError ? e : new ApiError(0, String(e)));
    Promise.all([
      Promise.all(ids.map((id) => api.get<Run>(`/runs/${id}`))),
      Promise.all(ids.map((id) => api.get<EquityCurve>(`/runs/${id}/equity${query({ points: 1000 })}`))),
      api.get<Comparison>(`/runs/compare${query({ ids: key })}`),
    ])
      .then(([runs, curves, comparison]) => live && setState({ key, data: { runs, curves, comparison } }))
      .catch((e: unknown) => live && setState({ key, error: asError(e) }));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);
  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: ids.length >= 2 && !current,
    retry: () => {
      setState({ key: "" });
      setTick((t) => t + 1);
    },
  };
}

export function Compare() {
  const [params, setParams] = useSearchParams();
  const { ids, bad } = parseRunIds(params.get("runs"));
  const { data, error, loading, retry } = useComparison(bad ? [] : ids);
  const choose = (next: number[]) => {
    setParams(next.length ? { runs: next.join(",") } : {});
  };
  // Open while fewer than two runs are chosen at first; then the user's to open or close.
  const [pickerOpen, setPickerOpen] = useState(ids.length < 2);
  const overlay = useMemo(() => data?.runs.map((run, i) => ({ run, equity: data.curves[i] })) ?? [], [data]);

  if (bad !== undefined) {
    return <NotFound detail={`“${bad}” is not a run id. Pick the runs to compare again.`} />;
  }
  if (error?.notFound) {
    return (
      <div>
        <NotFound detail={`${error.message}. Only your own runs can be compared.`} />
        <p className="center not-found-more">
          <Link to="/compare">Choose other runs</Link>
        </p>
      </div>
    );
  }
  const enough = ids.length >= 2;
  return (
    <div className="compare-page">
      <div className="page-head">
        <div>
          <h1>Compare runs</h1>
          <p className="muted">Equity curves, metrics and settings of two or more of your runs, side by side.</p>
        </div>
        {data && (
          <Link className="button" to="/leaderboard">
            Leaderboard
          </Link>
        )}
      </div>
      <details className="card picker-card" open={pickerOpen} onToggle={(e) => setPickerOpen(e.currentTarget.open)}>
        <summary>
          <h2>Runs to compare</h2>
          <span className="muted">{enough ? `${ids.length} chosen — change` : "pick two or more"}</span>
        </summary>
        <RunPicker selected={ids} onChange={choose} />
      </details>
      {!enough && (
        <EmptyState title={ids.length === 1 ? "Pick one more run" : "Pick two or more runs"}>
          Tick the runs above; their curves, metrics and differences appear here. The leaderboard can also send you here with its “Compare selected” button.
        </EmptyState>
      )}
      {enough && loading && <Loading what="Comparing the runs" />}
      {enough && error && <ErrorState error={error} retry={retry} />}
      {enough && data && (
        <div className="compare-body">
          <EquityOverlay runs={overlay} />
          <MetricsTable runs={data.runs} comparison={data.comparison} />
          <Differences runs={data.runs} differences={data.comparison.differences} />
        </div>
      )}
    </div>
  );
}
