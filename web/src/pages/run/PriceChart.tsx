// The price chart of a run: candles of one of its symbols over the run's period (its
// last 10,000 bars when it has more) with the run's fills as markers: an arrow up
// below the bar for a buy, an arrow down above it for a sell.

import { useEffect, useMemo, useRef, useState } from "react";
import {
  CandlestickSeries,
  createSeriesMarkers,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import { Chart } from "../../components/Chart";
import { EmptyState, ErrorState, Loading } from "../../components/States";
import { ApiError, api, query } from "../../lib/api";
import * as format from "../../lib/format";
import type { Page } from "../../lib/types";
import { type BarsLoader, type Candles, MAX_BARS, type Period, lastAtOrBefore, ms } from "./bars";
import type { Fill } from "./types";
import { fitOnResize, isDaily, useWhen } from "./time";

/** Fill markers loaded at most (the chart's bars hold at most MAX_BARS anyway). */
const MAX_MARKERS = 10_000;
/** Markers get their quantity as text when there are this few. */
const LABELLED_MARKERS = 40;

interface Props {
  symbols: string[];
  timeframe: string;
  period: Period;
  loader: BarsLoader;
  runId: number;
  /** Fills the live stream brought (more may come while the run goes). */
  liveFills: Fill[];
}

export function PriceChart({ symbols, timeframe, period, loader, runId, liveFills }: Props) {
  const [symbol, setSymbol] = useState(symbols[0]);
  const [candles, setCandles] = useState<Candles | undefined>(undefined);
  const [fills, setFills] = useState<Fill[]>([]);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const when = useWhen();

  useEffect(() => {
    let gone = false;
    setCandles(undefined);
    setFills([]);
    setError(undefined);
    (async () => {
      const c = await loader.candles(symbol, period);
      if (gone) return;
      setCandles(c);
      if (!c.bars.length) return;
      // The fills of the bars shown, by time (the trail filters by kind, symbol, time).
      const from = c.bars[0].t;
      const got: Fill[] = [];
      let after: number | null = null;
      while (got.length < MAX_MARKERS) {
        const page: Page<Fill> = await api.get(
          `/runs/${runId}/events${query({ kind: "fill", symbol, from, to: period.to, limit: 1000, after: after ?? undefined })}`,
        );
        got.push(...page.items);
        if (page.next_after === null) break;
        after = page.next_after;
      }
      if (!gone) setFills(got);
    })().catch((e: unknown) => {
      if (!gone) setError(e instanceof ApiError ? e : new ApiError(0, String(e)));
    });
    return () => {
      gone = true;
    };
  }, [symbol, period, loader, runId, tick]);

  const data = useMemo(() => {
    if (!candles) return [];
    const out: { time: UTCTimestamp; open: number; high: number; low: number; close: number }[] = [];
    for (const b of candles.bars) {
      const time = Math.floor(ms(b.t) / 1000) as UTCTimestamp;
      if (out.length && out[out.length - 1].time >= time) continue;
      out.push({ time, open: b.o, high: b.h, low: b.l, close: b.c });
    }
    return out;
  }, [candles]);

  const markers = useMemo(() => {
    if (!data.length) return [];
    const seen = new Set<number>();
    const all = [...fills, ...liveFills.filter((f) => f.symbol === symbol)].filter((f) => {
      if (seen.has(f.seq)) return false;
      seen.add(f.seq);
      return true;
    });
    const first = data[0].time;
    const out: SeriesMarker<UTCTimestamp>[] = [];
    const labelled = all.length <= LABELLED_MARKERS;
    for (const f of all) {
      const t = Math.floor(ms(f.time) / 1000);
      if (t < first) continue;
      // On the bar the fill happened in (the last bar at or before its time).
      const i = lastAtOrBefore(data, t);
      if (i < 0) continue;
      const buy = f.side === "buy";
      out.push({
        time: data[i].time,
        position: buy ? "belowBar" : "aboveBar",
        shape: buy ? "arrowUp" : "arrowDown",
        color: "",
        text: labelled ? `${buy ? "Buy" : "Sell"} ${format.quantity(f.qty)}` : undefined,
        id: String(f.seq),
      });
    }
    return out.sort((a, b) => a.time - b.time);
  }, [data, fills, liveFills, symbol]);

  // The drawn markers, replaced as live fills come (the chart keeps its zoom).
  const shown = useRef(markers);
  shown.current = markers;
  const plugin = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const colours = useRef({ buy: "", sell: "" });
  useEffect(() => {
    try {
      plugin.current?.setMarkers(paint(markers, colours.current));
    } catch {
      // The chart was just replaced; its redraw has the markers.
    }
  }, [markers]);

  const intraday = !isDaily(timeframe);
  return (
    <section className="card run-section" aria-labelledby="price-heading">
      <div className="row spread">
        <h2 id="price-heading">Price and trades</h2>
        {symbols.length > 1 && (
          <div className="row run-symbol-pick">
            <label htmlFor="run-symbol">Symbol</label>
            <select id="run-symbol" value={symbol} onChange={(e) => setSymbol(e.target.value)}>
              {symbols.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </div>
        )}
      </div>
      {error ? (
        <ErrorState error={error} retry={() => setTick((t) => t + 1)} />
      ) : !candles ? (
        <Loading what={`Loading ${symbol} bars`} />
      ) : !data.length ? (
        <EmptyState title={`No ${symbol} bars in this period`}>The bars may have been deleted since the run.</EmptyState>
      ) : (
        <>
          <Chart
            label={`Price of ${symbol}`}
            height={360}
            options={{ timeScale: { borderVisible: false, timeVisible: intraday, minBarSpacing: 0.001 } }}
            deps={[data]}
            draw={(chart, colors) => {
              const series = chart.addSeries(CandlestickSeries, {
                upColor: colors.up,
                downColor: colors.down,
                borderUpColor: colors.up,
                borderDownColor: colors.down,
                wickUpColor: colors.up,
                wickDownColor: colors.down,
              });
              series.setData(data);
              fitOnResize(chart);
              colours.current = { buy: colors.accent, sell: colors.accent2 };
              plugin.current = createSeriesMarkers(series, paint(shown.current, colours.current));
            }}
          />
          <p className="muted run-chart-note">
            {symbol}, {timeframe} bars{intraday ? " (times in UTC)" : ""}: {format.count(data.length)} shown
            {candles.truncated && (
              <>
                {" "}
                — the period's last bars (at most {format.count(MAX_BARS)} are loaded), from {when(candles.bars[0].t)}
              </>
            )}
            . {format.count(markers.length)} fills marked: ▲ buy, ▼ sell.
          </p>
        </>
      )}
    </section>
  );
}

/** Markers in the theme's colours: buys in the accent, sells in the second accent. */
function paint(markers: SeriesMarker<UTCTimestamp>[], c: { buy: string; sell: string }): SeriesMarker<UTCTimestamp>[] {
  return markers.map((m) => ({ ...m, color: m.shape === "arrowUp" ? c.buy : c.sell }));
}
