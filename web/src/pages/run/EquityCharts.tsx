// The run's equity curve (the API's downsampled curve, plus the points the live stream
// brings) against buy-and-hold of its symbols, and the drawdown below its running peak.
// Live points are added to the drawn series as they come, so the charts keep their
// zoom while the run goes.

import { useContext, useEffect, useMemo, useRef } from "react";
import { BaselineSeries, LineSeries, type ISeriesApi, type UTCTimestamp } from "lightweight-charts";
import { Chart } from "../../components/Chart";
import { EmptyState } from "../../components/States";
import * as format from "../../lib/format";
import { type BuyAndHold, lastAtOrBefore, ms } from "./bars";
import type { EquityPoint } from "./types";
import { DailyRun, fitOnResize } from "./time";

interface Props {
  /** The stored curve as read (downsampled). */
  points: EquityPoint[];
  /** Points the live stream brought since (sampled by the server). */
  livePoints: EquityPoint[];
  /** Points the stored curve has (the chart may show fewer). */
  total: number | undefined;
  initialCash: number;
  /** undefined while loading; null when it could not be drawn. */
  buyAndHold: BuyAndHold | null | undefined;
  buyAndHoldError?: string;
  live: boolean;
}

type Point = { time: UTCTimestamp; value: number };

/** Fit every point however many (the default keeps bars at least half a pixel apart). */
const FIT = { borderVisible: false, timeVisible: true, minBarSpacing: 0.001 };

/** Points in strictly increasing time (the last of equal times kept). */
function unique(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    if (out.length && out[out.length - 1].time === p.time) out[out.length - 1] = p;
    else if (!out.length || out[out.length - 1].time < p.time) out.push(p);
  }
  return out;
}

function toPoints(points: EquityPoint[]): Point[] {
  return unique(points.map((p) => ({ time: Math.floor(ms(p.time) / 1000) as UTCTimestamp, value: Number(p.equity) })));
}

/** Drawdown in percent below the running peak, the peak carried from `peak`. */
function drawdownOf(points: Point[], peak = -Infinity): Point[] {
  return points.map((p) => {
    peak = Math.max(peak, p.value);
    return { time: p.time, value: peak > 0 ? (p.value / peak - 1) * 100 : 0 };
  });
}

export function EquityCharts({ points, livePoints, total, initialCash, buyAndHold, buyAndHoldError, live }: Props) {
  const daily = useContext(DailyRun);
  const stored = useMemo(() => toPoints(points), [points]);
  const equity = useMemo(() => {
    const last = stored.length ? stored[stored.length - 1].time : -Infinity;
    return [...stored, ...toPoints(livePoints).filter((p) => p.time > last)];
  }, [stored, livePoints]);
  const end = equity.length ? equity[equity.length - 1].time : undefined;
  // The curve's end once the run ended (fixed then); live, the line spans the period.
  const endedAt = live ? undefined : end;
  const hold = useMemo(() => {
    if (!buyAndHold || (!live && endedAt === undefined)) return [];
    // From the period's first bar (the live curve may start later: the stream
    // samples its points); to the curve's end once the run ended, over the whole
    // period while it goes (the strategy's line grows along it).
    const pts = buyAndHold.points;
    const out: Point[] = [];
    for (const p of pts) {
      if (endedAt !== undefined && p.time > endedAt) break;
      out.push({ time: p.time as UTCTimestamp, value: initialCash * p.ratio });
    }
    const i = endedAt === undefined ? -1 : lastAtOrBefore(pts, endedAt);
    if (endedAt !== undefined && i >= 0 && (!out.length || out[out.length - 1].time < endedAt)) {
      out.push({ time: endedAt, value: initialCash * pts[i].ratio });
    }
    return unique(out);
  }, [buyAndHold, initialCash, live, endedAt]);
  const drawdown = useMemo(() => drawdownOf(equity), [equity]);
  const maxDrawdown = drawdown.reduce((m, p) => Math.min(m, p.value), 0);

  // The drawn series and what they show, for adding live points without a redraw.
  // Read by `draw` (a child's effect, run before this component's own): set here.
  const all = useRef<Point[]>(equity);
  all.current = equity;
  const strategySeries = useRef<ISeriesApi<"Line"> | null>(null);
  const drawdownSeries = useRef<ISeriesApi<"Baseline"> | null>(null);
  const drawn = useRef<{ equity: number; drawdown: number; peak: number }>({ equity: -Infinity, drawdown: -Infinity, peak: -Infinity });
  useEffect(() => {
    const d = drawn.current;
    for (const p of equity) {
      if (p.time <= Math.min(d.equity, d.drawdown)) continue;
      d.peak = Math.max(d.peak, p.value);
      try {
        if (p.time > d.equity && strategySeries.current) {
          strategySeries.current.update(p);
          d.equity = p.time;
        }
        if (p.time > d.drawdown && drawdownSeries.current) {
          drawdownSeries.current.update({ time: p.time, value: d.peak > 0 ? (p.value / d.peak - 1) * 100 : 0 });
          d.drawdown = p.time;
        }
      } catch {
        // The chart was just replaced; its redraw shows every point.
      }
    }
  }, [equity]);

  if (!equity.length) {
    return (
      <section className="card run-section" aria-labelledby="equity-heading">
        <h2 id="equity-heading">Equity</h2>
        <EmptyState title={live ? "No equity yet" : "No equity curve"}>
          {live ? "The curve appears once the run closes its first bar." : "The run ended before its first bar closed."}
        </EmptyState>
      </section>
    );
  }
  const last = equity[equity.length - 1].value;
  // Buy-and-hold at the strategy's last time (while the run goes, its line runs on).
  const holdAt = hold.length && end !== undefined ? hold[Math.max(0, lastAtOrBefore(hold, end))] : undefined;
  const holdLast = holdAt?.value;
  return (
    <section className="card run-section" aria-labelledby="equity-heading">
      <h2 id="equity-heading">Equity</h2>
      <ul className="run-legend" aria-label="Legend">
        <li>
          <span className="swatch accent" aria-hidden="true" /> Strategy{" "}
          <span className="num">{format.money(last)}</span>{" "}
          <span className={format.signClass(last - initialCash)}>({format.pct((last / initialCash - 1) * 100)})</span>
        </li>
        <li>
          <span className="swatch accent2" aria-hidden="true" /> Buy and hold{" "}
          {buyAndHold === undefined ? (
            <span className="muted">loading…</span>
          ) : holdLast === undefined ? (
            <span className="muted">{buyAndHoldError ?? "not available"}</span>
          ) : (
            <>
              <span className="num">{format.money(holdLast)}</span>{" "}
              <span className={format.signClass(holdLast - initialCash)}>({format.pct((holdLast / initialCash - 1) * 100)})</span>
            </>
          )}
        </li>
      </ul>
      <Chart
        label="Equity curve"
        height={300}
        options={{ timeScale: { ...FIT, timeVisible: !daily }, localization: { priceFormatter: (p: number) => format.number(p, 0) } }}
        deps={[stored, hold]}
        draw={(chart, colors) => {
          if (hold.length) {
            const bh = chart.addSeries(LineSeries, { color: colors.accent2, lineWidth: 1, title: "Buy and hold" });
            bh.setData(hold);
          }
          const strategy = chart.addSeries(LineSeries, { color: colors.accent, lineWidth: 2, title: "Strategy" });
          const points = all.current;
          strategy.setData(points);
          strategySeries.current = strategy;
          drawn.current.equity = points.length ? points[points.length - 1].time : -Infinity;
          fitOnResize(chart);
        }}
      />
      <p className="muted run-chart-note">
        {total !== undefined && total > stored.length
          ? `${format.count(stored.length)} of ${format.count(total)} stored points shown (each stretch's lowest and highest kept)`
          : `${format.count(stored.length)} stored points`}
        {equity.length > stored.length ? `, ${format.count(equity.length - stored.length)} live` : ""}
        {buyAndHold?.sampled ? "; buy-and-hold from closes sampled across the period" : ""}.
      </p>
      <h3 id="drawdown-heading">
        Drawdown <span className="muted">(deepest {format.pct(maxDrawdown)})</span>
      </h3>
      <Chart
        label="Drawdown"
        height={160}
        options={{ timeScale: { ...FIT, timeVisible: !daily } }}
        deps={[stored, hold]}
        draw={(chart, colors) => {
          // Filled between zero and the curve.
          const area = chart.addSeries(BaselineSeries, {
            baseValue: { type: "price", price: 0 },
            bottomLineColor: colors.down,
            bottomFillColor1: "rgba(239, 83, 80, 0.05)",
            bottomFillColor2: "rgba(239, 83, 80, 0.45)",
            topLineColor: colors.down,
            topFillColor1: "rgba(0, 0, 0, 0)",
            topFillColor2: "rgba(0, 0, 0, 0)",
            lineWidth: 1,
            priceFormat: { type: "custom", formatter: (v: number) => format.pct(v) },
          });
          const points = all.current;
          area.setData(drawdownOf(points));
          drawdownSeries.current = area;
          // The same time axis as the equity chart's (over the whole period while
          // the run goes): an unseen line at zero at buy-and-hold's times.
          if (hold.length) {
            const axis = chart.addSeries(LineSeries, {
              priceFormat: { type: "custom", formatter: (v: number) => format.pct(v) },
              color: "rgba(0, 0, 0, 0)",
              lineVisible: false,
              lastValueVisible: false,
              priceLineVisible: false,
              crosshairMarkerVisible: false,
            });
            axis.setData(hold.map((p) => ({ time: p.time, value: 0 })));
          }
          drawn.current.drawdown = points.length ? points[points.length - 1].time : -Infinity;
          drawn.current.peak = points.reduce((m, p) => Math.max(m, p.value), -Infinity);
          fitOnResize(chart);
        }}
      />
    </section>
  );
}
