// Numbers and dates for people: thousands separators, signs, units, the user's locale.
// The API sends money, prices and quantities as decimal strings; these helpers accept
// strings or numbers and show "—" for what is missing or undefined.

type Num = number | string | null | undefined;

function toNumber(v: Num): number | undefined {
  if (v === null || v === undefined || v === "") return undefined;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export const DASH = "—";

/** 1,234,567.89 (two decimals unless told). */
export function number(v: Num, digits = 2): string {
  const n = toNumber(v);
  if (n === undefined) return DASH;
  return n.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A whole count: 1,234. */
export function count(v: Num): string {
  const n = toNumber(v);
  return n === undefined ? DASH : Math.round(n).toLocaleString();
}

/** Money with a currency sign: $1,234.56. */
export function money(v: Num, currency = "USD"): string {
  const n = toNumber(v);
  if (n === undefined) return DASH;
  return n.toLocaleString(undefined, { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** A price without a currency sign, with up to 6 decimals as given. */
export function price(v: Num): string {
  const n = toNumber(v);
  if (n === undefined) return DASH;
  return n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 6 });
}

/** A quantity: whole shares without decimals, fractions as given. */
export function quantity(v: Num): string {
  const n = toNumber(v);
  if (n === undefined) return DASH;
  return n.toLocaleString(undefined, { maximumFractionDigits: 8 });
}

/** A percentage already in percent units, with its sign: +12.34 %, −5.00 %. */
export function pct(v: Num, digits = 2): string {
  const n = toNumber(v);
  if (n === undefined) return DASH;
  // What rounds to zero has no sign (−0.001 shows as 0.00 %).
  const shown = Number(Math.abs(n).toFixed(digits)) === 0 ? 0 : n;
  const sign = shown > 0 ? "+" : shown < 0 ? "−" : "";
  return `${sign}${Math.abs(n).toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits })} %`;
}

/** A ratio such as Sharpe: 1.23, −0.45. */
export function ratio(v: Num, digits = 2): string {
  const n = toNumber(v);
  if (n === undefined) return DASH;
  const sign = n < 0 && Number(Math.abs(n).toFixed(digits)) !== 0 ? "−" : "";
  return `${sign}${Math.abs(n).toFixed(digits)}`;
}

/** "positive" | "negative" | "" for colouring a signed value. */
export function signClass(v: Num): string {
  const n = toNumber(v);
  if (n === undefined || n === 0) return "";
  return n > 0 ? "positive" : "negative";
}

/** An RFC 3339 time in the user's locale: date and time. */
export function dateTime(v: string | null | undefined): string {
  if (!v) return DASH;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** An RFC 3339 time or a date in the user's locale: date only. */
export function date(v: string | null | undefined): string {
  if (!v) return DASH;
  const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isNaN(d.getTime()) ? v : d.toLocaleDateString(undefined, { dateStyle: "medium", timeZone: v.length === 10 ? "UTC" : undefined });
}

/** Seconds since an RFC 3339 time, for chart axes (lightweight-charts' UTCTimestamp). */
export function epochSeconds(v: string): number {
  return Math.floor(new Date(v).getTime() / 1000);
}
