// The rule kinds a model can have and the parameters of each, as the engine decodes
// them (crates/engine/src/risk/kind.rs and decode.rs). The form builds its inputs from
// this table; the server checks every value and names the field it refuses.

import type { ScopeKind } from "./types";

export type ParamType =
  /** A number (percent or decimal), sent as a JSON number. */
  | "number"
  /** A decimal amount, sent as a string to keep it exact. */
  | "decimal"
  /** A whole number >= 1. */
  | "count"
  /** Symbols, comma- or space-separated, sent as a list. */
  | "symbols"
  /** Time of day HH:MM. */
  | "time"
  /** Spans HH:MM-HH:MM, comma-separated, sent as a list. */
  | "spans"
  | "text"
  | "boolean"
  | "choice";

export interface RuleParam {
  name: string;
  label: string;
  type: ParamType;
  required: boolean;
  /** What the value means and its range, in words. */
  help: string;
  /** A value suggested as placeholder (what the engine uses when absent, or an example). */
  placeholder?: string;
  choices?: { value: string; label: string }[];
  /** The value of a boolean parameter when none is given. */
  defaultBool?: boolean;
  unit?: string;
}

export interface RuleKindInfo {
  kind: string;
  label: string;
  /** What the rule does, in one line. */
  what: string;
  /** Its scope when it triggers (a trading window with `flatten_at` also flattens). */
  scope: ScopeKind;
  params: RuleParam[];
}

const pct = (help: string, placeholder: string): RuleParam => ({
  name: "pct",
  label: "Percent",
  type: "number",
  required: true,
  help,
  placeholder,
  unit: "%",
});
const count = (name: string, label: string, help: string, placeholder: string): RuleParam => ({
  name,
  label,
  type: "count",
  required: true,
  help,
  placeholder,
});

/** Every rule kind, grouped as the engine orders them. */
export const RULE_KINDS: RuleKindInfo[] = [
  {
    kind: "stop_loss_pct",
    label: "Stop-loss",
    what: "Exits a position when price moves this far against its average entry price.",
    scope: "exits_position",
    params: [pct("Distance from entry, more than 0 and below 100.", "5")],
  },
  {
    kind: "take_profit_pct",
    label: "Take profit",
    what: "Exits a position when price moves this far in its favour from the entry.",
    scope: "exits_position",
    params: [pct("Distance from entry, more than 0 and at most 1,000.", "10")],
  },
  {
    kind: "trailing_stop_pct",
    label: "Trailing stop",
    what: "Exits a position when price retreats this far from the best price since entry.",
    scope: "exits_position",
    params: [pct("Distance from the best price, more than 0 and below 100.", "8")],
  },
  {
    kind: "max_position_pct",
    label: "Max position size",
    what: "An entry may not make one symbol's market value exceed this share of equity.",
    scope: "blocks_entries",
    params: [
      pct("Share of equity per symbol, more than 0 and at most 100.", "20"),
      {
        name: "on_breach",
        label: "On breach",
        type: "choice",
        required: false,
        help: "Reject the entry, or shrink it to the largest size that fits.",
        choices: [
          { value: "reject", label: "Reject the entry" },
          { value: "resize", label: "Resize the entry" },
        ],
      },
    ],
  },
  {
    kind: "max_open_positions",
    label: "Max open positions",
    what: "No entry in a new symbol while this many positions are open.",
    scope: "blocks_entries",
    params: [count("max", "Positions", "Most positions open at once, 1 or more.", "5")],
  },
  {
    kind: "min_cash_reserve_pct",
    label: "Cash reserve",
    what: "A buy may not leave cash below this share of equity.",
    scope: "blocks_entries",
    params: [pct("Cash floor in percent of equity, more than 0 and below 100.", "10")],
  },
  {
    kind: "max_order_value",
    label: "Max order value",
    what: "No single order may be worth more than this (quantity × price, account currency).",
    scope: "blocks_all_orders",
    params: [{ name: "value", label: "Value", type: "decimal", required: true, help: "Largest order value, more than 0.", placeholder: "25000", unit: "$" }],
  },
  {
    kind: "max_order_qty",
    label: "Max order quantity",
    what: "No single order may be for more units than this.",
    scope: "blocks_all_orders",
    params: [{ name: "qty", label: "Quantity", type: "decimal", required: true, help: "Largest order quantity, more than 0.", placeholder: "1000" }],
  },
  {
    kind: "allowed_symbols",
    label: "Allowed symbols",
    what: "Entries only in the listed symbols.",
    scope: "blocks_entries",
    params: [{ name: "symbols", label: "Symbols", type: "symbols", required: true, help: "Comma-separated, at least one.", placeholder: "AAPL, MSFT" }],
  },
  {
    kind: "blocked_symbols",
    label: "Blocked symbols",
    what: "No entries in the listed symbols.",
    scope: "blocks_entries",
    params: [{ name: "symbols", label: "Symbols", type: "symbols", required: true, help: "Comma-separated, at least one.", placeholder: "FB" }],
  },
  {
    kind: "allow_short",
    label: "Shorting",
    what: "Whether sells may open or increase a short position (off without such a rule).",
    scope: "blocks_entries",
    params: [{ name: "allowed", label: "Allow short entries", type: "boolean", required: false, help: "Unticked forbids short entries.", defaultBool: true }],
  },
  {
    kind: "daily_loss_limit_pct",
    label: "Daily loss limit",
    what: "Once equity is this far below the session's start, no new entries until the next session.",
    scope: "blocks_entries",
    params: [pct("Loss on the day in percent, more than 0 and below 100.", "3")],
  },
  {
    kind: "max_drawdown_halt_pct",
    label: "Drawdown halt",
    what: "When equity falls this far below its peak, liquidate everything and stop the run.",
    scope: "halts_run",
    params: [pct("Drawdown from peak in percent, more than 0 and below 100.", "15")],
  },
  {
    kind: "trading_window",
    label: "Trading window",
    what: "Entries only inside a daily window, with optional blackouts, a flatten time and an exchange calendar.",
    scope: "blocks_entries",
    params: [
      { name: "tz", label: "Time zone", type: "text", required: false, help: "IANA time zone of the times below.", placeholder: "America/New_York" },
      { name: "start", label: "No entries before", type: "time", required: false, help: "Exchange-local time HH:MM.", placeholder: "09:35" },
      { name: "end", label: "No entries from", type: "time", required: false, help: "Exchange-local time HH:MM.", placeholder: "15:45" },
      { name: "blackouts", label: "Blackouts", type: "spans", required: false, help: "Spans with no entries, HH:MM-HH:MM, comma-separated.", placeholder: "12:00-14:00" },
      { name: "flatten_at", label: "Flatten at", type: "time", required: false, help: "Close every position at this time each session.", placeholder: "15:55" },
      {
        name: "calendar",
        label: "Exchange calendar",
        type: "choice",
        required: false,
        help: "Follow an exchange's calendar: no entries on days it is shut, end and flatten time move earlier on early closes, the regular session when no start or end is given, and the daily-loss day is the exchange's day. Leave the time zone empty.",
        choices: [
          { value: "nyse", label: "NYSE / Nasdaq" },
          { value: "crypto", label: "Crypto (UTC days, 24/7)" },
        ],
      },
    ],
  },
  {
    kind: "max_trades_per_day",
    label: "Max trades per day",
    what: "At most this many entries per exchange-local calendar day.",
    scope: "blocks_entries",
    params: [count("max", "Entries per day", "1 or more.", "10")],
  },
  {
    kind: "max_trades_per_session",
    label: "Max trades per session",
    what: "At most this many entries per trading session.",
    scope: "blocks_entries",
    params: [count("max", "Entries per session", "1 or more.", "10")],
  },
  {
    kind: "max_orders_per_minute",
    label: "Max orders per minute",
    what: "At most this many decider orders in any 60-second span.",
    scope: "blocks_all_orders",
    params: [count("max", "Orders per minute", "1 or more.", "6")],
  },
  {
    kind: "cooldown_after_loss",
    label: "Cooldown after a loss",
    what: "After a losing exit in a symbol, no new entry in it for this many bars.",
    scope: "blocks_entries",
    params: [count("bars", "Bars", "Bars to wait, 1 or more.", "3")],
  },
];

export function ruleKind(kind: string): RuleKindInfo | undefined {
  return RULE_KINDS.find((k) => k.kind === kind);
}

/** A rule's scope in a few words, for tables and badges. */
export const SCOPE_WORDS: Record<ScopeKind, string> = {
  blocks_entries: "Blocks entries",
  blocks_all_orders: "Blocks all orders",
  exits_position: "Exits itself",
  halts_run: "Halts the run",
  resizes_or_rejects_entries: "Resizes or blocks entries",
  blocks_entries_and_flattens: "Blocks entries, flattens",
};

/** The scope a rule of `kind` will have with these parameters (as the engine decides). */
export function scopeOf(info: RuleKindInfo, values: Record<string, string | boolean>): ScopeKind {
  if (info.kind === "max_position_pct" && values.on_breach === "resize") return "resizes_or_rejects_entries";
  if (info.kind === "trading_window" && typeof values.flatten_at === "string" && values.flatten_at.trim()) return "blocks_entries_and_flattens";
  return info.scope;
}

function splitList(text: string, sep: RegExp): string[] {
  return text
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * The `params` of `POST /models/{id}/rules` from the form's values: empty optional
 * values left out (the engine's default), numbers as numbers, lists as lists. A value
 * that does not read is sent as typed, so the server names it.
 */
export function ruleParams(info: RuleKindInfo, values: Record<string, string | boolean>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of info.params) {
    const v = values[p.name];
    if (p.type === "boolean") {
      out[p.name] = typeof v === "boolean" ? v : (p.defaultBool ?? false);
      continue;
    }
    const text = typeof v === "string" ? v.trim() : "";
    if (!text) continue; // required ones: the server says "is required" for the field
    switch (p.type) {
      case "number":
      case "count": {
        const n = Number(text.replace(/,/g, ""));
        out[p.name] = Number.isFinite(n) ? n : text;
        break;
      }
      case "decimal":
        out[p.name] = text.replace(/,/g, "");
        break;
      case "symbols":
        out[p.name] = splitList(text, /[\s,;]+/).map((s) => s.toUpperCase());
        break;
      case "spans":
        out[p.name] = splitList(text, /[,;]+/).map((s) => s.replace(/\s+/g, ""));
        break;
      default:
        out[p.name] = text;
    }
  }
  return out;
}

/** A rule's parameters in one short line when the API gives no summary. */
export function paramsText(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k} = ${Array.isArray(v) ? v.join(", ") : String(v)}`)
    .join("; ");
}
