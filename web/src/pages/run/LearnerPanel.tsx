// An online learner's run (`GET /runs/{id}/snapshots`): its calibration at the end of
// the run (Brier score against the base rate's, log loss, ECE, the reliability table,
// the heaviest weights) and the snapshots of its state a new run can warm-start from.

import { EmptyState, ErrorState, Loading } from "../../components/States";
import * as format from "../../lib/format";
import { useApi } from "../../lib/useApi";
import { useWhen } from "./time";

interface SnapshotView {
  version: number;
  bar_time: string | null;
  bars: number;
  size_bytes: number;
  created_at: string;
}

interface ReliabilityBin {
  from: number;
  to: number;
  count: number;
  predicted: number | null;
  observed: number | null;
}

interface Calibration {
  samples: number;
  accuracy: number;
  brier: number;
  base_brier: number;
  log_loss: number;
  ece: number;
  base_rate: number;
  reliability?: ReliabilityBin[];
  weights?: { feature: string; weight: number }[];
}

interface SnapshotsView {
  run: number;
  snapshots: SnapshotView[];
  calibration: Calibration | null;
}

/** Weights shown, heaviest first. */
const TOP_WEIGHTS = 5;

interface Props {
  runId: number;
  /** `model#number`, for the warm-start command shown. */
  label: string;
  live: boolean;
}

export function LearnerPanel({ runId, label, live }: Props) {
  const view = useApi<SnapshotsView>(`/runs/${runId}/snapshots`);
  const when = useWhen();
  if (view.error) return <ErrorState error={view.error} retry={view.reload} />;
  if (!view.data) return <Loading what="Loading the learner's calibration and snapshots" />;
  const { snapshots, calibration: c } = view.data;
  return (
    <section className="card run-section" aria-labelledby="learner-heading">
      <h2 id="learner-heading">Learner</h2>
      {c ? (
        <>
          <dl className="run-facts" aria-label="Calibration">
            <div>
              <dt>Predictions scored</dt>
              <dd>{format.count(c.samples)}</dd>
            </div>
            <div>
              <dt>Accuracy</dt>
              <dd>{format.number(c.accuracy, 3)}</dd>
            </div>
            <div>
              <dt>Brier score</dt>
              <dd>
                {format.number(c.brier, 4)} <span className="muted">(base rate {format.number(c.base_brier, 4)})</span>
              </dd>
            </div>
            <div>
              <dt>Log loss</dt>
              <dd>{format.number(c.log_loss, 4)}</dd>
            </div>
            <div>
              <dt>Calibration error (ECE)</dt>
              <dd>{format.number(c.ece, 4)}</dd>
            </div>
          </dl>
          {c.reliability && c.reliability.length > 0 && (
            <div className="table-wrap">
              <table aria-label="Reliability">
                <thead>
                  <tr>
                    <th>Predicted</th>
                    <th className="num">Predictions</th>
                    <th className="num">Mean predicted</th>
                    <th className="num">Observed</th>
                  </tr>
                </thead>
                <tbody>
                  {c.reliability.map((b) => (
                    <tr key={b.from}>
                      <td>
                        {format.number(b.from, 1)}–{format.number(b.to, 1)}
                      </td>
                      <td className="num">{format.count(b.count)}</td>
                      <td className="num">{b.predicted === null ? format.DASH : format.number(b.predicted, 3)}</td>
                      <td className="num">{b.observed === null ? format.DASH : format.number(b.observed, 3)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {c.weights && c.weights.length > 0 && (
            <p className="muted">
              Heaviest weights:{" "}
              {c.weights
                .slice(0, TOP_WEIGHTS)
                .map((w) => `${w.feature} ${format.number(w.weight, 3)}`)
                .join(", ")}
            </p>
          )}
        </>
      ) : (
        <p className="muted">{live ? "Calibration figures come when the run ends." : "The run recorded no calibration figures."}</p>
      )}
      <h3>Snapshots</h3>
      {snapshots.length === 0 ? (
        <EmptyState title="No snapshots yet">The learner saves its state every few hundred bars and at the end of the run.</EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Snapshots">
              <thead>
                <tr>
                  <th className="num">Version</th>
                  <th>Last bar</th>
                  <th className="num">Bars learned</th>
                  <th className="num">Size</th>
                </tr>
              </thead>
              <tbody>
                {snapshots.map((s) => (
                  <tr key={s.version}>
                    <td className="num">{s.version}</td>
                    <td>{s.bar_time ? when(s.bar_time) : format.DASH}</td>
                    <td className="num">{format.count(s.bars)}</td>
                    <td className="num">{format.number(s.size_bytes / 1024, 1)} KB</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="muted">
            A new run starts from one with <code>tradelab runs start MODEL --warm-start {label}@VERSION</code>, or{" "}
            <code>warm_start</code> in the API's start body.
          </p>
        </>
      )}
    </section>
  );
}
