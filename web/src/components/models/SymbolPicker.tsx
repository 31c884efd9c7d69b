// Symbols picked from the stored data: one checkbox per symbol with its timeframes,
// bar counts and date ranges, so a user sees what each choice can be run on.

import * as fmt from "../../lib/format";
import type { SeriesView } from "./types";

/** The stored series grouped by symbol, symbols in alphabetical order. */
export function bySymbol(series: SeriesView[]): Map<string, SeriesView[]> {
  const map = new Map<string, SeriesView[]>();
  for (const s of [...series].sort((a, b) => a.symbol.localeCompare(b.symbol))) {
    const list = map.get(s.symbol) ?? [];
    list.push(s);
    map.set(s.symbol, list);
  }
  return map;
}

export function seriesText(s: SeriesView): string {
  return `${s.timeframe} · ${fmt.count(s.bars)} bars · ${fmt.date(s.first)} – ${fmt.date(s.last)}`;
}

interface Props {
  id: string;
  legend: string;
  series: SeriesView[];
  /** Symbols offered besides the stored ones (e.g. a model's symbols without data). */
  extra?: string[];
  selected: string[];
  onChange: (symbols: string[]) => void;
  invalid?: boolean;
  describedBy?: string;
}

export function SymbolPicker({ id, legend, series, extra = [], selected, onChange, invalid, describedBy }: Props) {
  const groups = bySymbol(series);
  for (const s of extra) if (!groups.has(s)) groups.set(s, []);
  const toggle = (symbol: string, on: boolean) => {
    const next = on ? [...selected, symbol] : selected.filter((s) => s !== symbol);
    onChange([...groups.keys()].filter((s) => next.includes(s)));
  };
  return (
    <fieldset className="symbol-picker" id={id} aria-invalid={invalid || undefined} aria-describedby={describedBy}>
      <legend>{legend}</legend>
      {groups.size === 0 && <p className="muted">No data is stored yet.</p>}
      <ul>
        {[...groups.entries()].map(([symbol, list]) => {
          const inputId = `${id}-${symbol.replace(/[^A-Za-z0-9_-]/g, "_")}`;
          return (
            <li key={symbol}>
              <label className="checkbox symbol-option" htmlFor={inputId}>
                <input id={inputId} type="checkbox" checked={selected.includes(symbol)} onChange={(e) => toggle(symbol, e.target.checked)} />
                <span className="symbol-name">{symbol}</span>
                <span className="muted symbol-series">{list.length ? list.map(seriesText).join("; ") : "no stored bars"}</span>
              </label>
            </li>
          );
        })}
      </ul>
    </fieldset>
  );
}
