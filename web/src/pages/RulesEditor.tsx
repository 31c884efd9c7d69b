// A model's structured rules (`/models/:id/rules`): a table with each rule's kind,
// parameters, priority, whether it is active and its scope in words; switch a rule on
// or off and change its priority (saved at once), remove one, add one of any kind, or
// add a template's rules.

import { useCallback, useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { api, ApiError } from "../lib/api";
import { useApi } from "../lib/useApi";
import type { Page } from "../lib/types";
import * as fmt from "../lib/format";
import { EmptyState, ErrorState, FieldError, Loading } from "../components/States";
import type { ModelView, RuleView, Templates } from "../components/models/types";
import { ConfirmButton } from "../components/models/ConfirmButton";
import { RuleForm } from "../components/models/RuleForm";
import { RuleParams, ScopeBadge } from "../components/models/RuleBits";
import { ruleKind } from "../components/models/ruleKinds";

/** Rules as the engine checks them: highest priority first, then by name. */
function byPriority(rules: RuleView[]): RuleView[] {
  return [...rules].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
}

export function RulesEditor() {
  const { id = "" } = useParams();
  const model = useApi<ModelView>(`/models/${encodeURIComponent(id)}`);
  useEffect(() => {
    if (model.data) document.title = `Rules of ${model.data.name} · tradelab`;
  }, [model.data]);
  if (model.error) return <ErrorState error={model.error} retry={model.reload} />;
  if (!model.data) return <Loading what="Loading the model" />;
  return <Rules model={model.data} />;
}

function Rules({ model }: { model: ModelView }) {
  const [rules, setRules] = useState<RuleView[] | undefined>(undefined);
  const [more, setMore] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [rowErrors, setRowErrors] = useState<Record<number, string>>({});
  const [pending, setPending] = useState<Record<number, boolean>>({});
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const load = useCallback(
    async (after: number | null = null) => {
      try {
        const page = await api.get<Page<RuleView>>(`/models/${model.id}/rules?limit=1000${after !== null ? `&after=${after}` : ""}`);
        setRules((old) => byPriority(after === null ? page.items : [...(old ?? []), ...page.items]));
        setMore(page.next_after);
        setError(undefined);
      } catch (e) {
        setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
      }
    },
    [model.id],
  );
  useEffect(() => {
    void load();
  }, [load]);

  /** PATCHes a rule; the row shows the server's answer, or its refusal next to it. */
  const change = async (rule: RuleView, body: { active?: boolean; priority?: number }) => {
    setPending((p) => ({ ...p, [rule.id]: true }));
    setRowErrors(({ [rule.id]: _gone, ...rest }) => rest);
    setRules((list) => list?.map((r) => (r.id === rule.id ? { ...r, ...body } : r)));
    try {
      const updated = await api.patch<RuleView>(`/models/${model.id}/rules/${rule.id}`, body);
      setRules((list) => list?.map((r) => (r.id === rule.id ? updated : r)));
    } catch (e) {
      setRules((list) => list?.map((r) => (r.id === rule.id ? rule : r)));
      setRowErrors((errs) => ({ ...errs, [rule.id]: e instanceof ApiError ? e.message : String(e) }));
    } finally {
      setPending(({ [rule.id]: _done, ...rest }) => rest);
    }
  };

  const remove = async (rule: RuleView) => {
    try {
      await api.del(`/models/${model.id}/rules/${rule.id}`);
      setRules((list) => list?.filter((r) => r.id !== rule.id));
      setNotice(`Removed the rule ${rule.name}.`);
    } catch (e) {
      setRowErrors((errs) => ({ ...errs, [rule.id]: e instanceof ApiError ? e.message : String(e) }));
    }
  };

  return (
    <section className="rules-editor">
      <div className="page-head">
        <div>
          <p className="muted breadcrumb">
            <Link to="/">Models</Link> / <Link to={`/models/${model.id}`}>{model.name}</Link> /
          </p>
          <h1>Rules of {model.name}</h1>
          <p className="muted">
            Rules are checked on every order, highest priority first. Changes apply to the next run; past runs keep the rules they ran with.
          </p>
        </div>
        <Link to={`/models/${model.id}`} className="button">
          Back to the model
        </Link>
      </div>
      <div role="status" aria-live="polite" className="notice">
        {notice}
      </div>
      {error && <ErrorState error={error} retry={() => void load()} />}
      {!rules && !error && <Loading what="Loading the rules" />}
      {rules && rules.length === 0 && (
        <EmptyState title="No rules yet">Add one below, or start from a template's rules.</EmptyState>
      )}
      {rules && rules.length > 0 && (
        <div className="table-wrap stack-table-wrap">
          <table aria-label="Rules" className="stack-table rules-table">
            <thead>
              <tr>
                <th scope="col">Active</th>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Parameters</th>
                <th scope="col">Priority</th>
                <th scope="col">Scope</th>
                <th scope="col">
                  <span className="sr-only">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <RuleRow key={r.id} rule={r} busy={!!pending[r.id]} error={rowErrors[r.id]} onChange={(body) => void change(r, body)} onRemove={() => remove(r)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more !== null && (
        <div className="load-more">
          <button type="button" onClick={() => void load(more)}>
            Load more rules
          </button>
        </div>
      )}
      {rules && (
        <div className="rules-forms">
          <RuleForm
            modelId={model.id}
            taken={rules.map((r) => r.name)}
            onAdded={(rule) => {
              setNotice(`Added the rule ${rule.name}.`);
              void load();
            }}
          />
          <TemplateRules
            modelId={model.id}
            onAdded={(n, name) => {
              setNotice(`Added ${fmt.count(n)} rules of the ${name} template.`);
              void load();
            }}
          />
        </div>
      )}
    </section>
  );
}

interface RowProps {
  rule: RuleView;
  busy: boolean;
  error?: string;
  onChange: (body: { active?: boolean; priority?: number }) => void;
  onRemove: () => Promise<void>;
}

function RuleRow({ rule: r, busy, error, onChange, onRemove }: RowProps) {
  const [priority, setPriority] = useState(String(r.priority));
  useEffect(() => setPriority(String(r.priority)), [r.priority]);
  const savePriority = (value: number) => {
    if (!Number.isFinite(value) || value === r.priority) {
      setPriority(String(r.priority));
      return;
    }
    onChange({ priority: value });
  };
  const activeId = `rule-active-${r.id}`;
  const prioId = `rule-priority-${r.id}`;
  const info = ruleKind(r.kind);
  return (
    <>
      <tr className={`rule-row stack-row ${r.active ? "" : "inactive"}`} data-rule={r.name}>
        <td className="c-active" data-label="Active">
          <label className="switch" htmlFor={activeId}>
            <input id={activeId} type="checkbox" role="switch" checked={r.active} disabled={busy} onChange={(e) => onChange({ active: e.target.checked })} aria-describedby={error ? `${activeId}-error` : undefined} />
            <span className="sr-only">Active: {r.name}</span>
            <span aria-hidden="true" className="switch-text">
              {r.active ? "on" : "off"}
            </span>
          </label>
        </td>
        <td className="c-name" data-label="Name">
          <strong>{r.name}</strong>
          <div className="muted rule-meta">
            {r.category.replace(/_/g, " ")} · {r.origin}
          </div>
        </td>
        <td className="c-kind" data-label="Kind">
          {info?.label ?? r.kind}
          <div className="muted rule-meta">{r.kind}</div>
        </td>
        <td className="c-params" data-label="Parameters">
          {r.summary ?? r.description}
          <div>
            <RuleParams rule={r} />
          </div>
        </td>
        <td className="c-prio" data-label="Priority">
          <div className="priority">
            <button type="button" className="ghost" aria-label={`Lower the priority of ${r.name}`} disabled={busy || r.priority <= 1} onClick={() => savePriority(r.priority - 1)}>
              −
            </button>
            <label htmlFor={prioId} className="sr-only">
              Priority of {r.name}
            </label>
            <input
              id={prioId}
              type="number"
              min={1}
              max={10}
              step={1}
              inputMode="numeric"
              value={priority}
              disabled={busy}
              onChange={(e) => setPriority(e.target.value)}
              onBlur={() => savePriority(Number(priority))}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  savePriority(Number(priority));
                }
              }}
            />
            <button type="button" className="ghost" aria-label={`Raise the priority of ${r.name}`} disabled={busy || r.priority >= 10} onClick={() => savePriority(r.priority + 1)}>
              +
            </button>
          </div>
        </td>
        <td className="c-scope" data-label="Scope">
          <ScopeBadge rule={r} />
          {r.scope && <div className="muted rule-meta">{r.scope}</div>}
        </td>
        <td className="c-remove" data-label="">
          <ConfirmButton label="Remove" ariaLabel={`Remove the rule ${r.name}`} question={`Remove ${r.name}?`} confirm="Yes, remove" onConfirm={onRemove} className="ghost" />
        </td>
      </tr>
      {error && (
        <tr className="rule-error-row">
          <td colSpan={7}>
            <FieldError id={`${activeId}-error`} message={error} />
          </td>
        </tr>
      )}
    </>
  );
}

/** Adds every rule of a built-in template (refused whole when one clashes). */
function TemplateRules({ modelId, onAdded }: { modelId: number; onAdded: (count: number, name: string) => void }) {
  const templates = useApi<Templates>("/templates");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const chosen = name || templates.data?.templates[0]?.name || "";
  const add = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const added = await api.post<{ template: string; items: RuleView[] }>(`/models/${modelId}/templates/${encodeURIComponent(chosen)}`);
      onAdded(added.items.length, chosen.replace(/_/g, " "));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card template-rules-card" aria-labelledby="template-rules-title">
      <h2 id="template-rules-title">Add a template's rules</h2>
      {templates.error && <ErrorState error={templates.error} retry={templates.reload} />}
      {templates.data && (
        <>
          <label htmlFor="template-select">Template</label>
          <select id="template-select" value={chosen} onChange={(e) => setName(e.target.value)} aria-describedby={error ? "template-select-error" : undefined} aria-invalid={error ? true : undefined}>
            {templates.data.templates.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name.replace(/_/g, " ")}
              </option>
            ))}
          </select>
          <p className="muted hint">{templates.data.templates.find((t) => t.name === chosen)?.summary}</p>
          <p className="muted hint">A rule whose name or kind the model already has is refused: remove or switch off yours first.</p>
          <FieldError id="template-select-error" message={error} />
          <button type="button" onClick={add} disabled={busy || !chosen}>
            {busy ? "Adding…" : "Add these rules"}
          </button>
        </>
      )}
    </section>
  );
}
