// A run's equity as a small line without axes or grid: the shape of the curve at a
// glance on the dashboard. Uses the API's downsampled curve (60 points).

import { AreaSeries, type UTCTimestamp } from "lightweight-charts";
import { Chart } from "../Chart";
import { useApi } from "../../lib/useApi";
import { epochSeconds } from "../../lib/format";
import type { EquityView } from "./types";

/** Points of a curve with strictly increasing, unique times (the chart needs both). */
export function equityPoints(view: EquityView | undefined): { time: UTCTimestamp; value: number }[] {
  const out: { time: UTCTimestamp; value: number }[] = [];
  for (const p of view?.points ?? []) {
    const time = epochSeconds(p.time) as UTCTimestamp;
    const value = Number(p.equity);
    if (!Number.isFinite(time) || !Number.isFinite(value)) continue;
    const last = out[out.length - 1];
    if (last && time <= last.time) {
      if (time === last.time) last.value = value;
      continue;
    }
    out.push({ time, value });
  }
  return out;
}

export function Sparkline({ runId, label, height = 60 }: { runId: number; label: string; height?: number }) {
  const { data, error, loading } = useApi<EquityView>(`/runs/${runId}/equity?points=60`);
  const points = equityPoints(data);
  if (loading && !data) return <div className="sparkline-placeholder" style={{ height }} aria-hidden="true" />;
  if (error || points.length < 2) {
    return (
      <div className="sparkline-placeholder muted" style={{ height }}>
        {error ? "No equity curve" : "Not enough points yet"}
      </div>
    );
  }
  const up = points[points.length - 1].value >= points[0].value;
  return (
    <Chart
      label={label}
      height={height}
      className="sparkline"
      deps={[data]}
      options={{
        grid: { vertLines: { visible: false }, horzLines: { visible: false } },
        rightPriceScale: { visible: false },
        leftPriceScale: { visible: false },
        timeScale: { visible: false, borderVisible: false },
        crosshair: { vertLine: { visible: false, labelVisible: false }, horzLine: { visible: false, labelVisible: false } },
        handleScroll: false,
        handleScale: false,
      }}
      draw={(chart, colors) => {
        // Too small for the logo: the dashboard credits TradingView in a link instead.
        chart.applyOptions({ layout: { attributionLogo: false } });
        const color = up ? colors.up : colors.down;
        const series = chart.addSeries(AreaSeries, {
          lineColor: color,
          topColor: `${color}55`,
          bottomColor: `${color}00`,
          lineWidth: 2,
          priceLineVisible: false,
          lastValueVisible: false,
          crosshairMarkerVisible: false,
        });
        series.setData(points);
      }}
    />
  );
}
