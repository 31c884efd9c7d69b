// A model's runs, newest first, a page at a time ("Load more runs"); runs still going
// are looked at again every few seconds until they end, so their numbers appear.

import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, ApiError, query } from "../../lib/api";
import type { Page, Run } from "../../lib/types";
import { isLive } from "../../lib/types";
import * as fmt from "../../lib/format";
import { EmptyState, ErrorState, Loading } from "../States";
import { StatusBadge, drawdown, metric, period } from "./RunMetrics";

const PAGE = 20;
const POLL_MS = 2000;

export function RunsTable({ modelId }: { modelId: number }) {
  const [runs, setRuns] = useState<Run[] | undefined>(undefined);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const loaded = useRef(PAGE);

  /** The first `count` runs again (after a new run, or while some are live). */
  const reloadAll = useCallback(
    async (count: number) => {
      try {
        const page = await api.get<Page<Run>>(`/runs${query({ model: modelId, limit: Math.min(Math.max(count, PAGE), 1000) })}`);
        setRuns(page.items);
        setNext(page.next_after);
        setError(undefined);
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
      }
    },
    [modelId],
  );
  useEffect(() => {
    void reloadAll(loaded.current);
  }, [reloadAll]);

  const more = async () => {
    if (next === null) return;
    setBusy(true);
    try {
      const page = await api.get<Page<Run>>(`/runs${query({ model: modelId, limit: PAGE, after: next })}`);
      setRuns((old) => {
        const all = [...(old ?? []), ...page.items];
        loaded.current = all.length;
        return all;
      });
      setNext(page.next_after);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
    } finally {
      setBusy(false);
    }
  };

  const live = runs?.some((r) => isLive(r.status)) ?? false;
  useEffect(() => {
    if (!live) return;
    const t = window.setTimeout(() => void reloadAll(loaded.current), POLL_MS);
    return () => window.clearTimeout(t);
  }, [live, runs, reloadAll]);

  if (!runs) return error ? <ErrorState error={error} retry={() => void reloadAll(loaded.current)} /> : <Loading what="Loading the runs" />;
  if (runs.length === 0) {
    return (
      <EmptyState title="No runs yet">
        Start a run below: the model trades its symbols over the period you choose.
      </EmptyState>
    );
  }
  return (
    <>
      <div className="table-wrap stack-table-wrap">
        <table aria-label="Runs" className="stack-table runs-table">
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Period</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Return
              </th>
              <th scope="col" className="num">
                Sharpe
              </th>
              <th scope="col" className="num">
                Max drawdown
              </th>
              <th scope="col" className="num">
                Trades
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => {
              const ret = metric(r, "total_return_pct");
              const dd = drawdown(r);
              return (
                <tr key={r.id} className="run-row stack-row" onClick={(e) => !(e.target as HTMLElement).closest("a") && navigate(`/runs/${r.id}`)}>
                  <td className="c-run" data-label="Run">
                    <Link to={`/runs/${r.id}`} aria-label={`Run ${r.number}`}>
                      #{fmt.count(r.number)}
                    </Link>
                    {r.replay_of !== null && <span className="muted"> (replay)</span>}
                    {r.source === "live" && <span className="muted"> (live paper)</span>}
                    <div className="muted run-when">{fmt.dateTime(r.created_at)}</div>
                  </td>
                  <td className="c-period" data-label="Period">
                    {period(r)}
                    <div className="muted run-when">
                      {r.symbols.join(", ")} {r.timeframe && `· ${r.timeframe}`}
                    </div>
                  </td>
                  <td className="c-status" data-label="Status">
                    <StatusBadge status={r.status} reason={r.status_reason} />
                  </td>
                  <td className={`num c-ret ${fmt.signClass(ret)}`} data-label="Return">
                    {fmt.pct(ret)}
                  </td>
                  <td className="num c-sharpe" data-label="Sharpe">
                    {fmt.ratio(metric(r, "sharpe"))}
                  </td>
                  <td className={`num c-dd ${fmt.signClass(dd)}`} data-label="Max drawdown">
                    {fmt.pct(dd)}
                  </td>
                  <td className="num c-trades" data-label="Closed trades">
                    {fmt.count(metric(r, "closed_trades"))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {error && <ErrorState error={error} retry={() => void reloadAll(loaded.current)} />}
      {next !== null && (
        <div className="load-more">
          <button type="button" onClick={more} disabled={busy}>
            {busy ? "Loading…" : "Load more runs"}
          </button>
        </div>
      )}
    </>
  );
}
