// Create a model (`/models/new`) or change one (`/models/:id/edit`): a template to
// start from, the strategy and its parameters, cash, symbols from the stored data,
// costs and fills, instructions. The server checks everything and names the field it
// refuses; the message appears next to that input.

import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../lib/api";
import { useApi } from "../lib/useApi";
import * as fmt from "../lib/format";
import { ErrorState, FieldError, Loading } from "../components/States";
import type { ModelView, SeriesPage, Strategies, Templates, TemplateView } from "../components/models/types";
import { errorProps, fieldErrors, type FieldErrors } from "../components/models/fields";
import { SymbolPicker } from "../components/models/SymbolPicker";
import { StrategyFields, strategyBody, strategyErrorKey, strategyValues, type ExtraField } from "../components/models/StrategyFields";

const BLANK = "blank";
const INTRADAY_TEMPLATES = ["day_trader", "scalper"];

interface Form {
  template: string;
  name: string;
  description: string;
  strategy: string;
  params: Record<string, string>;
  extras: ExtraField[];
  initial_cash: string;
  symbols: string[];
  commission_rate: string;
  commission_per_share: string;
  commission_minimum: string;
  slippage_bps: string;
  fill_model: string;
  allow_short: boolean;
  close_at_end: boolean;
  instructions: string;
}

const EMPTY: Form = {
  template: "swing_trader",
  name: "",
  description: "",
  strategy: "",
  params: {},
  extras: [],
  initial_cash: "10000",
  symbols: [],
  commission_rate: "",
  commission_per_share: "",
  commission_minimum: "",
  slippage_bps: "",
  fill_model: "next_open",
  allow_short: false,
  close_at_end: false,
  instructions: "",
};

function formOf(m: ModelView): Form {
  const { values, extras } = strategyValues(m.strategy.params, m.strategy.defaults);
  const x = m.execution;
  return {
    template: BLANK,
    name: m.name,
    description: m.description,
    strategy: m.strategy.name,
    params: values,
    extras,
    initial_cash: m.initial_cash,
    symbols: m.symbols,
    commission_rate: x?.commission_rate ?? "",
    commission_per_share: x?.commission_per_share ?? "",
    commission_minimum: x?.commission_minimum ?? "",
    slippage_bps: x?.slippage_bps ?? "",
    fill_model: x?.fill_model ?? "next_open",
    allow_short: x?.allow_short ?? false,
    close_at_end: x?.close_at_end ?? false,
    instructions: m.instructions,
  };
}

const PLAIN_KEYS = [
  "template",
  "name",
  "description",
  "strategy",
  "params",
  "llm.params",
  "initial_cash",
  "symbols",
  "commission_rate",
  "commission_per_share",
  "commission_minimum",
  "slippage_bps",
  "fill_model",
  "allow_short",
  "close_at_end",
  "instructions",
] as const;

export function ModelEdit() {
  const { id } = useParams();
  const editing = id !== undefined;
  const model = useApi<ModelView>(editing ? `/models/${encodeURIComponent(id)}` : null);
  const strategies = useApi<Strategies>("/strategies");
  const templates = useApi<Templates>("/templates");
  const series = useApi<SeriesPage>("/data/series?limit=1000");
  if (editing && model.error) return <ErrorState error={model.error} retry={model.reload} />;
  const failed = strategies.error ?? templates.error ?? series.error;
  if (failed) return <ErrorState error={failed} retry={() => [strategies, templates, series].forEach((l) => l.reload())} />;
  if ((editing && !model.data) || !strategies.data || !templates.data || !series.data) return <Loading what={editing ? "Loading the model" : "Loading the choices"} />;
  return (
    <ModelForm
      key={model.data?.id ?? "new"}
      model={model.data}
      strategies={strategies.data}
      templates={templates.data.templates}
      series={series.data}
    />
  );
}

function ModelForm({ model, strategies, templates, series }: { model?: ModelView; strategies: Strategies; templates: TemplateView[]; series: SeriesPage }) {
  const navigate = useNavigate();
  const initial = useMemo<Form>(() => {
    if (model) return formOf(model);
    const names = strategies.strategies.map((s) => s.name);
    const strategy = names.includes("sma_cross") ? "sma_cross" : (names[0] ?? "");
    const t = templates.find((x) => x.name === EMPTY.template);
    return { ...EMPTY, template: t ? t.name : BLANK, strategy, instructions: t?.instructions ?? "" };
  }, [model, strategies, templates]);
  const [form, setForm] = useState<Form>(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const strategy = strategies.strategies.find((s) => s.name === form.strategy);
  const paramNames = strategy?.params.map((p) => p.name) ?? [];

  useEffect(() => {
    document.title = model ? `Edit ${model.name} · tradelab` : "New model · tradelab";
  }, [model]);

  const chooseTemplate = (name: string) => {
    setForm((f) => {
      const old = templates.find((t) => t.name === f.template);
      const next = templates.find((t) => t.name === name);
      // The instructions follow the template unless the user wrote their own.
      const untouched = f.instructions.trim() === "" || f.instructions === old?.instructions;
      return { ...f, template: name, instructions: untouched ? (next?.instructions ?? "") : f.instructions };
    });
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    if (form.symbols.length === 0) {
      setErrors({ symbols: "Pick at least one symbol for the model to trade." });
      document.getElementById("symbols")?.scrollIntoView({ block: "center" });
      return;
    }
    setBusy(true);
    setErrors({});
    const opt = (v: string) => (v.trim() === "" ? undefined : v.trim().replace(/,/g, ""));
    const body = {
      name: form.name.trim(),
      description: form.description,
      ...strategyBody(form.strategy, form.params, form.extras),
      initial_cash: opt(form.initial_cash),
      symbols: form.symbols,
      commission_rate: opt(form.commission_rate),
      commission_per_share: opt(form.commission_per_share),
      commission_minimum: opt(form.commission_minimum),
      slippage_bps: opt(form.slippage_bps),
      fill_model: form.fill_model,
      allow_short: form.allow_short,
      close_at_end: form.close_at_end,
      instructions: form.instructions,
      template: !model && form.template !== BLANK ? form.template : undefined,
    };
    try {
      const saved = model ? await api.patch<ModelView>(`/models/${model.id}`, body) : await api.post<ModelView>("/models", body);
      navigate(`/models/${saved.id}`, { replace: !model });
    } catch (e) {
      const keys = [...PLAIN_KEYS, ...paramNames.map((n) => `params.${n}`)];
      const errs = fieldErrors(e, keys, (field, message) => strategyErrorKey(field, message, paramNames));
      setErrors(errs);
      setBusy(false);
      // Bring the first error into view for keyboard and phone users.
      window.requestAnimationFrame(() => {
        const invalid = document.querySelector<HTMLElement>(".model-form [aria-invalid='true']");
        if (invalid) invalid.focus();
        document.querySelector(".model-form .field-error")?.scrollIntoView({ block: "center" });
      });
    }
  };

  const intraday = INTRADAY_TEMPLATES.includes(form.template);
  const commissionPct = Number(form.commission_rate);
  return (
    <form className="model-form" onSubmit={submit} noValidate aria-labelledby="model-form-title">
      <div className="page-head">
        <div>
          <h1 id="model-form-title">{model ? `Edit ${model.name}` : "Create a model"}</h1>
          <p className="muted">
            {model ? "Runs keep the settings they ran with; changes apply to the next run." : "A strategy with its cash, costs and rules. You can change everything later."}
          </p>
        </div>
        <Link to={model ? `/models/${model.id}` : "/"} className="button ghost">
          Cancel
        </Link>
      </div>

      {!model && (
        <section className="card form-section" aria-labelledby="template-title">
          <h2 id="template-title">Start from a template</h2>
          <p className="muted">A template brings risk rules and instructions for one trading style; edit the rules afterwards.</p>
          <div className="template-choices" role="radiogroup" aria-label="Template">
            {[{ name: BLANK, summary: "No rules: add your own after creating the model.", rules: [] as unknown[] }, ...templates].map((t) => (
              <label key={t.name} className={`template-choice ${form.template === t.name ? "chosen" : ""}`} htmlFor={`template-${t.name}`}>
                <input type="radio" id={`template-${t.name}`} name="template" value={t.name} checked={form.template === t.name} onChange={() => chooseTemplate(t.name)} />
                <span className="template-name">{templateTitle(t.name)}</span>
                <span className="muted template-summary">{t.summary}</span>
                {t.rules.length > 0 && <span className="muted template-rule-count">{fmt.count(t.rules.length)} rules</span>}
              </label>
            ))}
          </div>
          <FieldError id="template-error" message={errors.template} />
        </section>
      )}

      <section className="card form-section" aria-labelledby="basics-title">
        <h2 id="basics-title">Name and description</h2>
        <div className="form-grid">
          <div>
            <label htmlFor="name">Name</label>
            <input id="name" required value={form.name} onChange={(e) => set("name", e.target.value)} placeholder="e.g. AAPL swing" {...errorProps(errors, "name", "name")} />
            <FieldError id="name-error" message={errors.name} />
          </div>
          <div>
            <label htmlFor="description">Description (optional)</label>
            <input id="description" value={form.description} onChange={(e) => set("description", e.target.value)} {...errorProps(errors, "description", "description")} />
            <FieldError id="description-error" message={errors.description} />
          </div>
        </div>
      </section>

      <section className="card form-section" aria-labelledby="strategy-title">
        <h2 id="strategy-title">Strategy and parameters</h2>
        <label htmlFor="strategy">Strategy</label>
        <select id="strategy" value={form.strategy} onChange={(e) => setForm((f) => ({ ...f, strategy: e.target.value, params: {}, extras: [] }))} {...errorProps(errors, "strategy", "strategy")}>
          {strategies.strategies.map((s) => (
            <option key={s.name} value={s.name}>
              {strategyTitle(s.name)}
            </option>
          ))}
        </select>
        <FieldError id="strategy-error" message={errors.strategy} />
        {strategy && (
          <>
            <p className="muted strategy-summary">
              {/[.!?]$/.test(strategy.summary.trim()) ? strategy.summary : `${strategy.summary}.`}
              {strategy.warm_up_bars !== null && ` Warm-up: ${fmt.count(strategy.warm_up_bars)} bar${strategy.warm_up_bars === 1 ? "" : "s"} per symbol before its first order.`}
            </p>
            <h3>Parameters</h3>
            <StrategyFields
              strategy={strategy}
              values={form.params}
              onChange={(v) => set("params", v)}
              extras={form.extras}
              onExtrasChange={(x) => set("extras", x)}
              errors={errors}
            />
            <FieldError id="params-error" message={errors.params} />
          </>
        )}
      </section>

      <section className="card form-section" aria-labelledby="symbols-title">
        <h2 id="symbols-title">Symbols</h2>
        {intraday && <p className="muted">This template trades intraday: pick a symbol with minute bars (such as ES 1m).</p>}
        <SymbolPicker
          id="symbols"
          legend="Symbols the model may trade"
          series={series.items}
          extra={model?.symbols}
          selected={form.symbols}
          onChange={(s) => set("symbols", s)}
          invalid={!!errors.symbols}
          describedBy={errors.symbols ? "symbols-error" : undefined}
        />
        <FieldError id="symbols-error" message={errors.symbols} />
      </section>

      <section className="card form-section" aria-labelledby="money-title">
        <h2 id="money-title">Cash, costs and fills</h2>
        <div className="form-grid">
          <NumberField id="initial_cash" label="Initial cash ($)" value={form.initial_cash} onChange={(v) => set("initial_cash", v)} errors={errors} placeholder="10000" />
          <NumberField
            id="commission_rate"
            label="Commission rate (fraction of notional)"
            value={form.commission_rate}
            onChange={(v) => set("commission_rate", v)}
            errors={errors}
            placeholder="0"
            hint={form.commission_rate.trim() && Number.isFinite(commissionPct) ? `= ${fmt.number(commissionPct * 100, 3)} % of each fill's value` : "e.g. 0.001 = 0.1 % of each fill's value"}
          />
          <NumberField id="commission_per_share" label="Commission per share ($)" value={form.commission_per_share} onChange={(v) => set("commission_per_share", v)} errors={errors} placeholder="0" />
          <NumberField id="commission_minimum" label="Minimum commission per fill ($)" value={form.commission_minimum} onChange={(v) => set("commission_minimum", v)} errors={errors} placeholder="0" />
          <NumberField id="slippage_bps" label="Slippage (basis points)" value={form.slippage_bps} onChange={(v) => set("slippage_bps", v)} errors={errors} placeholder="0" hint="1 bp = 0.01 % of the price, against the trade" />
          <div>
            <label htmlFor="fill_model">Fill model</label>
            <select id="fill_model" value={form.fill_model} onChange={(e) => set("fill_model", e.target.value)} {...errorProps(errors, "fill_model", "fill_model")}>
              <option value="next_open">Next bar's open</option>
              <option value="close">This bar's close</option>
            </select>
            <div className="hint muted">{form.fill_model === "close" ? "Fills at the close of the bar that decided" : "No look-ahead: fills at the next bar's open"}</div>
            <FieldError id="fill_model-error" message={errors.fill_model} />
          </div>
        </div>
        <label className="checkbox" htmlFor="allow_short">
          <input id="allow_short" type="checkbox" checked={form.allow_short} onChange={(e) => set("allow_short", e.target.checked)} />
          Allow short selling (the strategy may sell what it does not hold)
        </label>
        <FieldError id="allow_short-error" message={errors.allow_short} />
        <label className="checkbox" htmlFor="close_at_end">
          <input id="close_at_end" type="checkbox" checked={form.close_at_end} onChange={(e) => set("close_at_end", e.target.checked)} />
          Close every position at the end of a run
        </label>
      </section>

      <section className="card form-section" aria-labelledby="instructions-title">
        <h2 id="instructions-title">Instructions</h2>
        <label htmlFor="instructions">Free-text instructions (read by the LLM agent; kept with every run)</label>
        <textarea id="instructions" rows={6} value={form.instructions} onChange={(e) => set("instructions", e.target.value)} {...errorProps(errors, "instructions", "instructions")} />
        <FieldError id="instructions-error" message={errors.instructions} />
      </section>

      <div className="form-actions">
        <FieldError id="form-error" message={errors.form} />
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Saving…" : model ? "Save changes" : "Create model"}
          </button>
          <Link to={model ? `/models/${model.id}` : "/"} className="button ghost">
            Cancel
          </Link>
        </div>
      </div>
    </form>
  );
}

function NumberField(props: { id: string; label: string; value: string; onChange: (v: string) => void; errors: FieldErrors; placeholder?: string; hint?: string }) {
  const { id, label, value, onChange, errors, placeholder, hint } = props;
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <input id={id} type="text" inputMode="decimal" value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} {...errorProps(errors, id, id)} />
      {hint && <div className="hint muted">{hint}</div>}
      <FieldError id={`${id}-error`} message={errors[id]} />
    </div>
  );
}

/** `swing_trader` → "Swing trader". */
export function templateTitle(name: string): string {
  if (name === BLANK) return "Blank";
  if (name === "long_term_investor") return "Long-term investor";
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const STRATEGY_TITLES: Record<string, string> = {
  buy_and_hold: "Buy and hold",
  sma_cross: "Moving-average cross (sma_cross)",
  rsi_reversion: "RSI mean reversion (rsi_reversion)",
  breakout: "Channel breakout (breakout)",
  llm: "LLM agent (llm)",
};

function strategyTitle(name: string): string {
  return STRATEGY_TITLES[name] ?? name;
}
