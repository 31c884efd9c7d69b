// The choice of runs to compare: the user's ended runs with their model label, period,
// status and return, a checkbox each. The choice itself lives in the page's URL.

import { useEffect, useMemo, useState } from "react";
import { Link } from "react-router";
import { ApiError, api, query } from "../../lib/api";
import * as fmt from "../../lib/format";
import type { Page, Run } from "../../lib/types";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { comparable, runPeriod, runReturn } from "./runs";

const PAGE = 200;

/** The caller's runs, a page at a time (`more` fetches the next one). */
function useAllRuns() {
  const [runs, setRuns] = useState<Run[]>([]);
  const [next, setNext] = useState<number | null | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(true);
  const load = (after?: number) => {
    setBusy(true);
    api
      .get<Page<Run>>(`/runs${query({ limit: PAGE, after })}`)
      .then((page) => {
        setRuns((old) => (after === undefined ? page.items : [...old, ...page.items]));
        setNext(page.next_after);
        setError(undefined);
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? e : new ApiError(0, String(e))))
      .finally(() => setBusy(false));
  };
  useEffect(() => load(), []);
  return { runs, next, error, busy, more: () => next && load(next), retry: () => load() };
}

export function RunPicker({ selected, onChange }: { selected: number[]; onChange: (ids: number[]) => void }) {
  const { runs, next, error, busy, more, retry } = useAllRuns();
  const [filter, setFilter] = useState("");
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return runs
      .filter(comparable)
      .filter((r) => !f || r.label.toLowerCase().includes(f) || r.symbols.some((s) => s.toLowerCase().includes(f)))
      .sort((a, b) => b.id - a.id);
  }, [runs, filter]);
  // The URL changes in a transition; the boxes follow a click at once, then the URL.
  const [checked, setChecked] = useState(selected);
  const selectedKey = selected.join(",");
  useEffect(() => setChecked(selected), [selectedKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const toggle = (id: number, on: boolean) => {
    const next = on ? [...checked.filter((s) => s !== id), id] : checked.filter((s) => s !== id);
    setChecked(next);
    onChange(next);
  };

  if (error && runs.length === 0) return <ErrorState error={error} retry={retry} />;
  if (busy && runs.length === 0) return <Loading what="Loading your runs" />;
  if (runs.filter(comparable).length === 0 && next === null) {
    return (
      <EmptyState title="No finished runs yet">
        Start a run from one of your models on the <Link to="/">dashboard</Link>; once it has ended it can be compared here.
      </EmptyState>
    );
  }
  return (
    <div className="run-picker">
      <div className="row spread">
        <div className="run-picker-filter">
          <label htmlFor="run-filter">Find a run</label>
          <input id="run-filter" type="search" placeholder="Model name or symbol" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
        <div className="row">
          <span className="muted" aria-live="polite">
            {fmt.count(checked.length)} selected
          </span>
          <button
            type="button"
            className="ghost"
            onClick={() => {
              setChecked([]);
              onChange([]);
            }}
            disabled={checked.length === 0}
          >
            Clear
          </button>
        </div>
      </div>
      <div className="table-wrap run-picker-table">
        <table aria-label="Runs to compare">
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">Compare</span>
              </th>
              <th scope="col">Run</th>
              <th scope="col" className="wide-only">
                Period
              </th>
              <th scope="col" className="wide-only">
                Symbols
              </th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Return
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const id = `pick-run-${r.id}`;
              const ret = runReturn(r);
              return (
                <tr key={r.id} className={checked.includes(r.id) ? "picked" : undefined}>
                  <td>
                    <input id={id} type="checkbox" checked={checked.includes(r.id)} onChange={(e) => toggle(r.id, e.target.checked)} />
                  </td>
                  <td>
                    <label htmlFor={id} className="inline-label">
                      {r.label}
                    </label>
                    <div className="muted small phone-only">
                      {runPeriod(r)} · {r.symbols.join(", ")}
                    </div>
                  </td>
                  <td className="wide-only">{runPeriod(r)}</td>
                  <td className="wide-only">{r.symbols.join(", ") || fmt.DASH}</td>
                  <td>
                    <span className={`badge ${r.status}`}>{r.status}</span>
                  </td>
                  <td className={`num ${fmt.signClass(ret)}`}>{fmt.pct(ret)}</td>
                </tr>
              );
            })}
            {shown.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No run matches “{filter}”.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {error && <ErrorState error={error} retry={more} />}
      {next ? (
        <button type="button" onClick={more} disabled={busy}>
          {busy ? "Loading…" : "Load more runs"}
        </button>
      ) : null}
    </div>
  );
}
