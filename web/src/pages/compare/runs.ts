// Small helpers about runs shared by the compare page's parts.

import * as fmt from "../../lib/format";
import type { Run } from "../../lib/types";

/** The period a run covered: the one asked for, else the report's first and last bar. */
export function runPeriod(run: Run): string {
  const m = run.metrics ?? {};
  const start = run.period_start ?? (typeof m.start === "string" ? m.start : null);
  const end = run.period_end ?? (typeof m.end === "string" ? m.end : null);
  if (!start && !end) return "all stored bars";
  return `${fmt.date(start)} – ${fmt.date(end)}`;
}

/** A run's total return from its report, when it has one. */
export function runReturn(run: Run): number | undefined {
  const v = run.metrics?.total_return_pct;
  return typeof v === "number" ? v : undefined;
}

/** Whether a run ended with a report, so it has something to compare. */
export function comparable(run: Run): boolean {
  return run.status !== "queued" && run.status !== "running" && run.status !== "paused" && run.metrics !== null;
}

/** The run ids of a `?runs=1,2,3` value, in order, without repeats; `bad` names a token that is no id. */
export function parseRunIds(value: string | null): { ids: number[]; bad?: string } {
  const ids: number[] = [];
  for (const token of (value ?? "").split(",").map((t) => t.trim())) {
    if (!token) continue;
    if (!/^\d+$/.test(token) || Number(token) < 1 || !Number.isSafeInteger(Number(token))) return { ids, bad: token };
    const id = Number(token);
    if (!ids.includes(id)) ids.push(id);
  }
  return { ids };
}

/** Colours of the compared runs' lines, distinct on dark and light backgrounds. */
export const RUN_COLOURS = ["#4c8dff", "#e3b341", "#26a69a", "#ef5350", "#ab7df8", "#f778ba", "#3fb9c7", "#8b949e"];

export function runColour(i: number): string {
  return RUN_COLOURS[i % RUN_COLOURS.length];
}
