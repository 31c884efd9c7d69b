// One wrapper around TradingView's lightweight-charts for every chart of the UI: it
// creates the chart in a div, sizes it to its container, follows the theme, and hands
// the chart to `draw` to add series. `draw` runs again when its dependencies change.

import { useEffect, useRef, useState } from "react";
import { createChart, type DeepPartial, type IChartApi, type ChartOptions, ColorType } from "lightweight-charts";
import { chartColors } from "../lib/theme";

export interface ChartProps {
  /** Adds the series to a fresh chart; returns nothing. */
  draw: (chart: IChartApi, colors: ReturnType<typeof chartColors>) => void;
  /** Redraw when any of these change. */
  deps: unknown[];
  height?: number;
  /** For screen readers and tests: what the chart shows. */
  label: string;
  options?: DeepPartial<ChartOptions>;
  className?: string;
}

export function Chart({ draw, deps, height = 320, label, options, className }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const themeTick = useThemeTick();
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const colors = chartColors();
    const chart = createChart(el, {
      height,
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: colors.background },
        textColor: colors.text,
        attributionLogo: true,
      },
      grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
      rightPriceScale: { borderVisible: false },
      timeScale: { borderVisible: false, timeVisible: true },
      ...options,
    });
    draw(chart, colors);
    chart.timeScale().fitContent();
    return () => chart.remove();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, height, themeTick]);
  return <div ref={box} className={`chart ${className ?? ""}`} style={{ height }} role="img" aria-label={label} data-chart={label} />;
}

/** A number that changes whenever the theme does, so charts redraw in its colours. */
function useThemeTick(): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const on = () => setTick((t) => t + 1);
    window.addEventListener("tradelab-theme", on);
    return () => window.removeEventListener("tradelab-theme", on);
  }, []);
  return tick;
}
