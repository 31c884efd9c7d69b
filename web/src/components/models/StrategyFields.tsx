// A strategy's parameters as typed inputs, each with its default as placeholder; the
// LLM agent's settings (endpoint, model, limits) and its extra request fields. What is
// left empty runs with the default.

import { FieldError } from "../States";
import { errorProps, type FieldErrors } from "./fields";
import type { StrategyInfo, StrategyParam } from "./types";

/** The LLM agent's strategy name (crates/agent/src/settings.rs). */
export const LLM_STRATEGY = "llm";

/** The pattern entry of the LLM's parameters: extra request fields `param.NAME`. */
const EXTRA = "param.NAME";
export const EXTRA_PREFIX = "param.";

/** How the LLM's typed settings travel in `llm` (the rest go in `params`). */
export const LLM_SETTINGS: Record<string, "text" | "number" | "count" | "boolean"> = {
  base_url: "text",
  model: "text",
  api_key_env: "text",
  timeout: "number",
  retries: "count",
  concurrency: "count",
  every: "count",
  max_steps: "count",
  style: "text",
  max_cost: "number",
  max_tokens: "count",
  knowledge_cutoff: "text",
  anonymize: "boolean",
  mode: "text",
};

const CHOICES: Record<string, string[]> = {
  style: ["loop", "decision", "auto"],
  mode: ["live", "record", "replay"],
};

type InputKind = "integer" | "number" | "boolean" | "choice" | "date" | "text";

function inputKind(strategy: string, p: StrategyParam): InputKind {
  if (strategy === LLM_STRATEGY && CHOICES[p.name]) return "choice";
  if (p.name === "knowledge_cutoff") return "date";
  if (p.default === "true" || p.default === "false") return "boolean";
  const t = LLM_SETTINGS[p.name];
  if (strategy === LLM_STRATEGY && t === "count") return "integer";
  if (strategy === LLM_STRATEGY && t === "number") return "number";
  if (/whole number/i.test(p.help)) return "integer";
  if (p.default !== "" && Number.isFinite(Number(p.default))) return "number";
  return "text";
}

export interface ExtraField {
  key: string;
  value: string;
}

interface Props {
  strategy: StrategyInfo;
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
  extras: ExtraField[];
  onExtrasChange: (extras: ExtraField[]) => void;
  errors: FieldErrors;
}

export function StrategyFields({ strategy, values, onChange, extras, onExtrasChange, errors }: Props) {
  const params = strategy.params.filter((p) => p.name !== EXTRA);
  const set = (name: string, v: string) => onChange({ ...values, [name]: v });
  const isLlm = strategy.name === LLM_STRATEGY;
  if (params.length === 0 && !isLlm) return <p className="muted">This strategy has no parameters.</p>;
  return (
    <>
      <div className="form-grid">
        {params.map((p) => {
          const id = `param-${p.name}`;
          const key = `params.${p.name}`;
          const kind = inputKind(strategy.name, p);
          const common = { id, ...errorProps(errors, key, id) };
          let input;
          if (kind === "boolean" || kind === "choice") {
            const options = kind === "boolean" ? ["true", "false"] : CHOICES[p.name];
            input = (
              <select {...common} value={values[p.name] ?? ""} onChange={(e) => set(p.name, e.target.value)}>
                <option value="">default{p.default ? ` (${p.default})` : ""}</option>
                {options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            );
          } else {
            input = (
              <input
                {...common}
                type={kind === "integer" || kind === "number" ? "number" : kind === "date" ? "date" : "text"}
                step={kind === "integer" ? 1 : kind === "number" ? "any" : undefined}
                inputMode={kind === "integer" ? "numeric" : kind === "number" ? "decimal" : undefined}
                placeholder={p.default || "none"}
                value={values[p.name] ?? ""}
                onChange={(e) => set(p.name, e.target.value)}
              />
            );
          }
          return (
            <div key={p.name} className="param-field">
              <label htmlFor={id}>{p.name}</label>
              {input}
              <div className="hint muted">{p.help}</div>
              <FieldError id={`${id}-error`} message={errors[key]} />
            </div>
          );
        })}
      </div>
      {isLlm && <ExtraFields extras={extras} onChange={onExtrasChange} error={errors["llm.params"]} />}
    </>
  );
}

/** The LLM's extra request fields (`temperature = 0.2`, …), as name/value rows. */
function ExtraFields({ extras, onChange, error }: { extras: ExtraField[]; onChange: (e: ExtraField[]) => void; error?: string }) {
  const put = (i: number, f: ExtraField) => onChange(extras.map((e, j) => (j === i ? f : e)));
  return (
    <fieldset className="extra-fields" aria-describedby={error ? "llm-params-error" : undefined}>
      <legend>Extra request fields</legend>
      <p className="muted hint">Sent with every model call, e.g. temperature = 0.2 (numbers and true/false are sent as such).</p>
      {extras.map((f, i) => (
        <div className="row extra-row" key={i}>
          <label htmlFor={`extra-key-${i}`} className="sr-only">
            Field name {i + 1}
          </label>
          <input id={`extra-key-${i}`} placeholder="temperature" value={f.key} onChange={(e) => put(i, { ...f, key: e.target.value })} />
          <label htmlFor={`extra-value-${i}`} className="sr-only">
            Field value {i + 1}
          </label>
          <input id={`extra-value-${i}`} placeholder="0.2" value={f.value} onChange={(e) => put(i, { ...f, value: e.target.value })} />
          <button type="button" className="ghost" onClick={() => onChange(extras.filter((_, j) => j !== i))} aria-label={`Remove extra field ${f.key || i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...extras, { key: "", value: "" }])}>
        Add a field
      </button>
      <FieldError id="llm-params-error" message={error} />
    </fieldset>
  );
}

/** A text value as the JSON the server takes: numbers and booleans as such. */
function scalar(text: string): string | number | boolean {
  const t = text.trim();
  if (t === "true" || t === "false") return t === "true";
  if (t !== "" && Number.isFinite(Number(t))) return Number(t);
  return t;
}

/**
 * The strategy part of a model body: `params` for every strategy's own parameters; for
 * the LLM agent its typed settings in `llm` (checked by the server field by field) and
 * the extra request fields in `llm.params`. Empty values are left out (the default).
 */
export function strategyBody(strategy: string, values: Record<string, string>, extras: ExtraField[]) {
  const params: Record<string, string> = {};
  const llm: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(values)) {
    const v = raw.trim();
    if (!v || k === EXTRA) continue;
    const t = strategy === LLM_STRATEGY ? LLM_SETTINGS[k] : undefined;
    if (!t) params[k] = v;
    else if (t === "text") llm[k] = v;
    else if (t === "boolean") llm[k] = v === "true";
    else llm[k] = Number.isFinite(Number(v)) ? Number(v) : v;
  }
  if (strategy === LLM_STRATEGY) {
    const extra: Record<string, unknown> = {};
    for (const e of extras) if (e.key.trim()) extra[e.key.trim()] = scalar(e.value);
    if (Object.keys(extra).length) llm.params = extra;
  }
  return {
    strategy,
    params,
    ...(Object.keys(llm).length ? { llm } : {}),
  };
}

/** The form's values of a stored model: what differs from the defaults, and the extras. */
export function strategyValues(params: Record<string, string>, defaults: string[]): { values: Record<string, string>; extras: ExtraField[] } {
  const values: Record<string, string> = {};
  const extras: ExtraField[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (defaults.includes(k)) continue;
    if (k.startsWith(EXTRA_PREFIX)) extras.push({ key: k.slice(EXTRA_PREFIX.length), value: v });
    else values[k] = v;
  }
  return { values, extras };
}

/** The input key a server error about a strategy belongs to. */
export function strategyErrorKey(field: string, message: string, names: string[]): string | undefined {
  if (field.startsWith("llm.params")) return "llm.params";
  if (field.startsWith("llm.")) return `params.${field.slice(4)}`;
  if (field === "params") {
    // "sma_cross: fast (abc) is not a whole number": the parameter named first.
    const m = /^[\w-]+:\s*([\w.]+)/.exec(message);
    if (m && names.includes(m[1])) return `params.${m[1]}`;
    const named = names.find((n) => new RegExp(`\\b${n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`).test(message));
    if (named) return `params.${named}`;
  }
  return undefined;
}
