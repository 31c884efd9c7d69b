// The form that adds one rule to a model: the kind, then that kind's parameters as
// typed inputs, its name, priority and whether it is active. The server checks the rule
// alone and with the model's other rules, and names the field it refuses.

import { useState, type FormEvent } from "react";
import { api } from "../../lib/api";
import { FieldError } from "../States";
import { errorProps, fieldErrors, type FieldErrors } from "./fields";
import { RULE_KINDS, SCOPE_WORDS, ruleKind, ruleParams, scopeOf, type RuleParam } from "./ruleKinds";
import type { RuleView } from "./types";

type Values = Record<string, string | boolean>;

/** A name for a new rule of `kind` that no rule of the model has yet. */
function freeName(kind: string, taken: string[]): string {
  const base = kind.replace(/_pct$/, "");
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base}_${i}`)) return `${base}_${i}`;
}

export function RuleForm({ modelId, taken, onAdded }: { modelId: number; taken: string[]; onAdded: (rule: RuleView) => void }) {
  const [kind, setKind] = useState(RULE_KINDS[0].kind);
  const [values, setValues] = useState<Values>({});
  const [name, setName] = useState("");
  const [priority, setPriority] = useState("");
  const [active, setActive] = useState(true);
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const info = ruleKind(kind) ?? RULE_KINDS[0];
  const suggested = freeName(kind, taken);
  const scope = scopeOf(info, values);

  const chooseKind = (k: string) => {
    setKind(k);
    setValues({});
    setErrors({});
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setErrors({});
    const p = priority.trim();
    try {
      const rule = await api.post<RuleView>(`/models/${modelId}/rules`, {
        name: name.trim() || suggested,
        kind,
        params: ruleParams(info, values),
        priority: p === "" ? undefined : Number.isFinite(Number(p)) ? Number(p) : p,
        active,
        description: description.trim() || undefined,
      });
      setValues({});
      setName("");
      setPriority("");
      setDescription("");
      setActive(true);
      onAdded(rule);
    } catch (e) {
      const keys = ["name", "kind", "priority", "active", "description", "category", ...info.params.map((x) => `params.${x.name}`)];
      setErrors(fieldErrors(e, keys));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card rule-form" onSubmit={submit} noValidate aria-labelledby="add-rule-title">
      <h2 id="add-rule-title">Add a rule</h2>
      <div className="form-grid">
        <div>
          <label htmlFor="rule-kind">Kind</label>
          <select id="rule-kind" value={kind} onChange={(e) => chooseKind(e.target.value)} {...errorProps(errors, "kind", "rule-kind")}>
            {RULE_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label} ({k.kind})
              </option>
            ))}
          </select>
          <FieldError id="rule-kind-error" message={errors.kind} />
        </div>
        <div>
          <label htmlFor="rule-name">Name</label>
          <input id="rule-name" value={name} placeholder={suggested} onChange={(e) => setName(e.target.value)} {...errorProps(errors, "name", "rule-name")} />
          <FieldError id="rule-name-error" message={errors.name} />
        </div>
      </div>
      <p className="rule-what">
        {info.what} <span className={`badge scope ${scope}`}>{SCOPE_WORDS[scope]}</span>
      </p>
      <div className="form-grid">
        {info.params.map((p) => (
          <ParamInput key={`${kind}-${p.name}`} param={p} value={values[p.name]} onChange={(v) => setValues((old) => ({ ...old, [p.name]: v }))} errors={errors} />
        ))}
        <div>
          <label htmlFor="rule-priority">Priority (1–10, optional)</label>
          <input id="rule-priority" type="number" min={1} max={10} step={1} inputMode="numeric" value={priority} placeholder="per kind" onChange={(e) => setPriority(e.target.value)} {...errorProps(errors, "priority", "rule-priority")} />
          <div className="hint muted">Higher is checked first.</div>
          <FieldError id="rule-priority-error" message={errors.priority} />
        </div>
        <div>
          <label htmlFor="rule-description">Description (optional)</label>
          <input id="rule-description" value={description} placeholder="the rule's summary" onChange={(e) => setDescription(e.target.value)} {...errorProps(errors, "description", "rule-description")} />
          <FieldError id="rule-description-error" message={errors.description} />
        </div>
      </div>
      <label className="checkbox" htmlFor="rule-active">
        <input id="rule-active" type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} />
        Active
      </label>
      <FieldError id="rule-active-error" message={errors.active} />
      <FieldError id="rule-form-error" message={errors.form ?? errors.category} />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Adding…" : "Add rule"}
      </button>
    </form>
  );
}

function ParamInput({ param: p, value, onChange, errors }: { param: RuleParam; value: string | boolean | undefined; onChange: (v: string | boolean) => void; errors: FieldErrors }) {
  const id = `rule-param-${p.name}`;
  const key = `params.${p.name}`;
  const err = errorProps(errors, key, id);
  if (p.type === "boolean") {
    return (
      <div>
        <label className="checkbox checkbox-field" htmlFor={id}>
          <input id={id} type="checkbox" checked={typeof value === "boolean" ? value : (p.defaultBool ?? false)} onChange={(e) => onChange(e.target.checked)} {...err} />
          {p.label}
        </label>
        <div className="hint muted">{p.help}</div>
        <FieldError id={`${id}-error`} message={errors[key]} />
      </div>
    );
  }
  const text = typeof value === "string" ? value : "";
  return (
    <div>
      <label htmlFor={id}>
        {p.label}
        {p.unit ? ` (${p.unit})` : ""}
        {p.required ? "" : " (optional)"}
      </label>
      {p.type === "choice" ? (
        <select id={id} value={text} onChange={(e) => onChange(e.target.value)} {...err}>
          <option value="">default ({p.choices?.[0]?.label.toLowerCase()})</option>
          {p.choices?.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          type={p.type === "count" || p.type === "number" ? "number" : "text"}
          step={p.type === "count" ? 1 : p.type === "number" ? "any" : undefined}
          inputMode={p.type === "count" ? "numeric" : p.type === "number" || p.type === "decimal" ? "decimal" : undefined}
          required={p.required}
          placeholder={p.placeholder}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          {...err}
        />
      )}
      <div className="hint muted">{p.help}</div>
      <FieldError id={`${id}-error`} message={errors[key]} />
    </div>
  );
}
