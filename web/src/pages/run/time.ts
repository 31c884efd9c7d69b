// Times of a run in the user's locale. Daily (and longer) bars are stamped at midnight
// UTC and stand for a whole day: they show as a date, read in UTC (else a user west of
// Greenwich would see the evening before). Intraday times show as date and time.

import { createContext, useContext } from "react";
import type { IChartApi } from "lightweight-charts";
import * as format from "../../lib/format";

/** Whether the run's bars are a day or longer (the server writes `1d`, `2d`, …). */
export function isDaily(timeframe: string): boolean {
  return /^\d+d$/.test(timeframe.trim());
}

/** True inside a run of daily bars. */
export const DailyRun = createContext(false);

/** A formatter of the run's times: dates for daily runs, date and time else. */
export function useWhen(): (t: string | null | undefined) => string {
  const daily = useContext(DailyRun);
  return (t) => (daily && t ? format.date(t.slice(0, 10)) : format.dateTime(t));
}

/** Keeps a chart's whole data in view when its width changes (a phone turned, a window resized). */
export function fitOnResize(chart: IChartApi): void {
  const scale = chart.timeScale();
  scale.subscribeSizeChange(() => scale.fitContent());
}
