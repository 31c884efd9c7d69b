// A model (`/models/:id`): its settings, its rules, its runs (newest first) and a form
// to start another run. Another user's model, or one that does not exist, is "Not found".

import { useEffect, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api, ApiError } from "../lib/api";
import { useApi } from "../lib/useApi";
import type { Page } from "../lib/types";
import * as fmt from "../lib/format";
import { EmptyState, ErrorState, FieldError, Loading } from "../components/States";
import type { ModelView, RuleView, SeriesPage } from "../components/models/types";
import { ConfirmButton } from "../components/models/ConfirmButton";
import { RunsTable } from "../components/models/RunsTable";
import { StartRunForm } from "../components/models/StartRunForm";
import { ScopeBadge } from "../components/models/RuleBits";

export function ModelPage() {
  const { id = "" } = useParams();
  const model = useApi<ModelView>(`/models/${encodeURIComponent(id)}`);
  const location = useLocation();
  useEffect(() => {
    if (model.data) document.title = `${model.data.name} · tradelab`;
  }, [model.data]);
  // "#start-run" (from the dashboard): bring the form into view once it is there.
  useEffect(() => {
    if (model.data && location.hash === "#start-run") {
      window.requestAnimationFrame(() => document.getElementById("start-run")?.scrollIntoView({ block: "start" }));
    }
  }, [model.data, location.hash]);
  if (model.error) return <ErrorState error={model.error} retry={model.reload} />;
  if (!model.data) return <Loading what="Loading the model" />;
  return <ModelDetail model={model.data} />;
}

function ModelDetail({ model }: { model: ModelView }) {
  const navigate = useNavigate();
  const series = useApi<SeriesPage>("/data/series?limit=1000");
  const [deleteError, setDeleteError] = useState<string | undefined>(undefined);
  const remove = async () => {
    setDeleteError(undefined);
    try {
      await api.del(`/models/${model.id}`);
      navigate("/", { replace: true });
    } catch (e) {
      setDeleteError(e instanceof ApiError ? e.message : String(e));
    }
  };
  return (
    <article className="model-page">
      <div className="page-head">
        <div>
          <p className="muted breadcrumb">
            <Link to="/">Models</Link> /
          </p>
          <h1>{model.name}</h1>
          {model.description && <p className="muted">{model.description}</p>}
        </div>
        <div className="row head-actions">
          <Link to={`/models/${model.id}/edit`} className="button">
            Edit model
          </Link>
          <ConfirmButton label="Delete model" question={`Delete the model ${model.name}?`} confirm="Yes, delete it" onConfirm={remove} />
        </div>
      </div>
      <FieldError id="delete-error" message={deleteError} />

      <div className="model-columns">
        <div className="model-main">
          <section aria-labelledby="runs-title">
            <h2 id="runs-title">Runs</h2>
            <RunsTable modelId={model.id} />
          </section>
          <section aria-labelledby="start-run">
            {series.error && <ErrorState error={series.error} retry={series.reload} />}
            {!series.data && !series.error && <Loading what="Loading the stored data" />}
            {series.data && <StartRunForm model={model} series={series.data.items} />}
          </section>
        </div>
        <aside className="model-side">
          <Settings model={model} />
          <RulesSummary model={model} />
        </aside>
      </div>
    </article>
  );
}

function Settings({ model }: { model: ModelView }) {
  const x = model.execution;
  const params = Object.entries(model.strategy.params).filter(([, v]) => v !== "");
  return (
    <section className="card settings" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <dl className="settings-list">
        <dt>Strategy</dt>
        <dd>{model.strategy.name}</dd>
        {params.length > 0 && (
          <>
            <dt>Parameters</dt>
            <dd>
              <ul className="plain">
                {params.map(([k, v]) => (
                  <li key={k}>
                    {k} = <strong>{v}</strong>
                    {model.strategy.defaults.includes(k) && <span className="muted"> (default)</span>}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
        <dt>Initial cash</dt>
        <dd>{fmt.money(model.initial_cash)}</dd>
        <dt>Symbols</dt>
        <dd>{model.symbols.join(", ") || "none"}</dd>
        {x ? (
          <>
            <dt>Fills</dt>
            <dd>{x.fill_model === "close" ? "at the bar's close" : "at the next bar's open"}</dd>
            <dt>Costs</dt>
            <dd>
              {commissionText(x.commission_rate, x.commission_per_share, x.commission_minimum)}; {Number(x.slippage_bps) > 0 ? `slippage ${fmt.quantity(x.slippage_bps)} bp` : "no slippage"}
            </dd>
            <dt>Shorting</dt>
            <dd>{x.allow_short ? "allowed" : "not allowed"}</dd>
            <dt>At the end</dt>
            <dd>{x.close_at_end ? "closes every position" : "keeps open positions"}</dd>
          </>
        ) : (
          <>
            <dt>Execution</dt>
            <dd className="negative">The stored execution settings do not read; save the model again to fix them.</dd>
          </>
        )}
      </dl>
      {model.instructions.trim() && (
        <details className="instructions">
          <summary>Instructions</summary>
          <p className="pre">{model.instructions}</p>
        </details>
      )}
    </section>
  );
}

function commissionText(rate: string, perShare: string, minimum: string): string {
  const parts: string[] = [];
  if (Number(rate) > 0) parts.push(`${fmt.number(Number(rate) * 100, 3)} % of value`);
  if (Number(perShare) > 0) parts.push(`${fmt.money(perShare)} per share`);
  if (Number(minimum) > 0) parts.push(`at least ${fmt.money(minimum)} a fill`);
  return parts.length ? `commission ${parts.join(", ")}` : "no commission";
}

function RulesSummary({ model }: { model: ModelView }) {
  const rules = useApi<Page<RuleView>>(`/models/${model.id}/rules?limit=100`);
  return (
    <section className="card rules-summary" aria-labelledby="rules-title">
      <div className="spread row">
        <h2 id="rules-title">Rules</h2>
        <Link to={`/models/${model.id}/rules`} className="button">
          Edit rules
        </Link>
      </div>
      {rules.error && <ErrorState error={rules.error} retry={rules.reload} />}
      {!rules.data && rules.loading && <Loading what="Loading the rules" />}
      {rules.data && rules.data.items.length === 0 && (
        <EmptyState title="No rules">
          Nothing limits this model's orders. <Link to={`/models/${model.id}/rules`}>Add a rule</Link>
        </EmptyState>
      )}
      {rules.data && rules.data.items.length > 0 && (
        <ul className="plain rule-list" aria-label="Rules of the model">
          {[...rules.data.items].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name)).map((r) => (
            <li key={r.id} className={r.active ? "" : "inactive"}>
              <div className="spread row">
                <strong>{r.name}</strong>
                {r.active ? <ScopeBadge rule={r} /> : <span className="badge">off</span>}
              </div>
              <div className="muted">{r.summary ?? r.description}</div>
            </li>
          ))}
          {rules.data.next_after !== null && (
            <li className="muted">
              <Link to={`/models/${model.id}/rules`}>More rules…</Link>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}
