// What differs between the compared runs' strategy snapshots: rules, strategy
// parameters, execution settings and the rest, as the compare endpoint lists them.

import * as fmt from "../../lib/format";
import type { Run } from "../../lib/types";
import { runColour } from "./runs";

type Row = [string, unknown[]];

interface Group {
  title: string;
  rows: { key: string; name: string; values: unknown[] }[];
}

/** Snapshot fields that are money, shown as money. */
const MONEY = new Set(["initial_cash", "fill_model.commission.minimum", "fill_model.commission.per_share"]);

const EXECUTION_NAMES: Record<string, string> = {
  initial_cash: "Initial cash",
  allowed_symbols: "Symbols allowed",
  "fill_model.fill_model": "Fill model",
  "fill_model.allow_short": "Shorting",
  "fill_model.close_at_end": "Close positions at the end",
  "fill_model.slippage_bps": "Slippage (bps)",
  "fill_model.timeframe": "Timeframe",
  "fill_model.commission.rate": "Commission rate",
  "fill_model.commission.per_share": "Commission per share",
  "fill_model.commission.minimum": "Minimum commission",
};

const OTHER_NAMES: Record<string, string> = {
  model_name: "Model",
  instructions: "Instructions",
  data_fingerprint: "Data fingerprint",
  "decider.kind": "Strategy",
};

const isEmpty = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

/** The differences sorted into rules, strategy, execution and other, with readable names. */
export function groupDifferences(differences: Row[]): Group[] {
  const rules: Group = { title: "Rules", rows: [] };
  const strategy: Group = { title: "Strategy and parameters", rows: [] };
  const execution: Group = { title: "Execution", rows: [] };
  const other: Group = { title: "Other", rows: [] };
  const namedRules = differences.some(([k]) => k.startsWith("rules["));
  for (const [key, values] of differences) {
    const rule = key.match(/^rules\[(.*)\]$/);
    if (rule) {
      rules.rows.push({ key, name: rule[1], values });
    } else if (key === "rules") {
      // The bare list differs only as "some runs have rules, some none": the named rows say more.
      if (namedRules && values.every(isEmpty)) continue;
      rules.rows.push({ key, name: "Rules", values });
    } else if (key === "decider.kind") {
      strategy.rows.push({ key, name: "Strategy", values });
    } else if (key.startsWith("decider.params.")) {
      strategy.rows.push({ key, name: key.slice("decider.params.".length), values });
    } else if (key.startsWith("decider.")) {
      strategy.rows.push({ key, name: key.slice("decider.".length), values });
    } else if (key in EXECUTION_NAMES || key.startsWith("fill_model.")) {
      execution.rows.push({ key, name: EXECUTION_NAMES[key] ?? key.slice("fill_model.".length), values });
    } else {
      other.rows.push({ key, name: OTHER_NAMES[key] ?? key, values });
    }
  }
  return [rules, strategy, execution, other].filter((g) => g.rows.length > 0);
}

function Value({ value, group, field }: { value: unknown; group: string; field: string }) {
  if (MONEY.has(field) && (typeof value === "string" || typeof value === "number")) return <>{fmt.money(value)}</>;
  if (value === null || value === undefined) {
    return <span className="muted">{group === "Rules" ? "not in this run" : fmt.DASH}</span>;
  }
  if (typeof value === "boolean") return <>{value ? "yes" : "no"}</>;
  if (Array.isArray(value)) return <>{value.length === 0 ? "none" : value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ")}</>;
  if (typeof value === "object") return <code>{JSON.stringify(value)}</code>;
  const text = String(value);
  if (text === "") return <span className="muted">empty</span>;
  if (text.length > 90) {
    return (
      <details className="long-value">
        <summary>{text.slice(0, 70)}…</summary>
        <div className="wrap">{text}</div>
      </details>
    );
  }
  return <>{text}</>;
}

export function Differences({ runs, differences }: { runs: Run[]; differences: Row[] }) {
  const groups = groupDifferences(differences);
  return (
    <section className="card" aria-labelledby="diff-title">
      <h2 id="diff-title">Snapshot differences</h2>
      <p className="muted small">What the runs' frozen strategies differ in: rules, parameters, execution and data.</p>
      {groups.length === 0 ? (
        <p>The runs ran the same strategy with the same rules, parameters and execution settings.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Snapshot differences" className="compare-table diff-table">
            <thead>
              <tr>
                <th scope="col">Setting</th>
                {runs.map((r, i) => (
                  <th scope="col" key={r.id}>
                    <span className="swatch" style={{ background: runColour(i) }} aria-hidden="true" />
                    {r.label}
                  </th>
                ))}
              </tr>
            </thead>
            {groups.map((g) => (
              <tbody key={g.title}>
                <tr className="group-row">
                  <th scope="rowgroup" colSpan={runs.length + 1}>
                    {g.title}
                  </th>
                </tr>
                {g.rows.map((row) => (
                  <tr key={`${g.title}-${row.name}`}>
                    <th scope="row">{row.name}</th>
                    {row.values.map((v, i) => (
                      <td key={i}>
                        <Value value={v} group={g.title} field={row.key} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            ))}
          </table>
        </div>
      )}
    </section>
  );
}
