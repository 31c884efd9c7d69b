// The compared runs' equity curves on one chart, each as its % return on the run's
// initial cash (so runs of different sizes compare), with a legend.

import { LineSeries, LineStyle, type UTCTimestamp } from "lightweight-charts";
import { Chart } from "../../components/Chart";
import * as fmt from "../../lib/format";
import type { Run } from "../../lib/types";
import type { EquityCurve } from "./types";
import { runColour } from "./runs";

export interface ComparedRun {
  run: Run;
  equity: EquityCurve;
}

/** A curve as % return points with strictly increasing, unique times (the last value of a time wins). */
export function returnSeries(run: Run, curve: EquityCurve): { time: UTCTimestamp; value: number }[] {
  const cash = Number(run.initial_cash);
  if (!Number.isFinite(cash) || cash <= 0) return [];
  const byTime = new Map<number, number>();
  for (const p of curve.points) {
    const t = fmt.epochSeconds(p.time);
    const e = Number(p.equity);
    if (Number.isFinite(t) && Number.isFinite(e)) byTime.set(t, (e / cash - 1) * 100);
  }
  return [...byTime.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time: time as UTCTimestamp, value }));
}

export function EquityOverlay({ runs }: { runs: ComparedRun[] }) {
  const series = runs.map(({ run, equity }) => returnSeries(run, equity));
  const drawn = series.some((s) => s.length > 0);
  return (
    <section className="card" aria-labelledby="overlay-title">
      <h2 id="overlay-title">Equity curves</h2>
      <p className="muted small">Each run's equity as its return on its initial cash, so runs of different sizes compare.</p>
      {drawn ? (
        <Chart
          label="Equity curves"
          height={340}
          deps={[runs]}
          options={{ localization: { priceFormatter: (p: number) => fmt.pct(p) } }}
          draw={(chart, colors) => {
            series.forEach((data, i) => {
              if (data.length === 0) return;
              const line = chart.addSeries(LineSeries, {
                color: runColour(i),
                lineWidth: 2,
                priceLineVisible: false,
                lastValueVisible: true,
                title: "",
              });
              line.setData(data);
              if (i === 0) {
                line.createPriceLine({ price: 0, color: colors.muted, lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: false, title: "" });
              }
            });
          }}
        />
      ) : (
        <p className="muted">These runs have no equity points yet.</p>
      )}
      <ul className="legend" aria-label="Legend">
        {runs.map(({ run }, i) => {
          const last = series[i].at(-1)?.value;
          return (
            <li key={run.id}>
              <span className="swatch" style={{ background: runColour(i) }} aria-hidden="true" />
              <span>{run.label}</span>
              <span className={`num ${fmt.signClass(last)}`}>{fmt.pct(last)}</span>
              {series[i].length === 0 && <span className="muted">(no equity points)</span>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
