// The run page (`/runs/:id`): a run's header and actions; while it is queued or
// running its live progress and events from the SSE stream; its price chart with the
// fills, equity against buy-and-hold, drawdown, metrics, closed trades, decision log,
// rejected orders and risk events from the REST API. When the stream says the run
// ended, the run is read again and everything below shows its final state. A live
// paper run also shows its feed's events, a banner while its market data is out
// (`paused`, with the provider's error), and Resume once it was interrupted.

import { useCallback, useEffect, useMemo, useState } from "react";
import { useParams } from "react-router";
import { ErrorState, Loading, NotFound } from "../components/States";
import { useApi } from "../lib/useApi";
import { isLive, type Run } from "../lib/types";
import { BarsLoader, type BuyAndHold, type Period } from "./run/bars";
import { DecisionLog } from "./run/DecisionLog";
import { FeedEvents } from "./run/FeedEvents";
import { EquityCharts } from "./run/EquityCharts";
import { LearnerPanel } from "./run/LearnerPanel";
import { LiveFeed } from "./run/LiveFeed";
import { MetricCards } from "./run/MetricCards";
import { PriceChart } from "./run/PriceChart";
import { Rejections } from "./run/Rejections";
import { ReplayDialog } from "./run/ReplayDialog";
import { ResumeDialog } from "./run/ResumeDialog";
import { RiskEvents } from "./run/RiskEvents";
import { RunHeader } from "./run/RunHeader";
import { StopDialog } from "./run/StopDialog";
import { TradesTable } from "./run/TradesTable";
import type { EquityCurve, EquityPoint, FeedNotice, Fill } from "./run/types";
import { type LiveState, useRunStream } from "./run/useRunStream";
import { type StoredStatus, useLiveStatus } from "./run/useLiveStatus";
import { DailyRun, isDaily } from "./run/time";

/** Equity points asked for: the API downsamples a longer curve to about this many. */
const EQUITY_POINTS = 1000;

export function RunPage() {
  const { id: idText } = useParams();
  const id = Number(idText);
  const valid = Number.isInteger(id) && id > 0;
  const run = useApi<Run>(valid ? `/runs/${id}` : null);
  if (!valid) return <NotFound />;
  // The answer of another id (after navigating to a replay) is not this run's.
  const data = run.data?.id === id ? run.data : undefined;
  if (run.error && !run.loading) return <ErrorState error={run.error} retry={run.reload} />;
  if (!data) return <Loading what="Loading the run" />;
  return <RunView key={id} run={data} reload={run.reload} />;
}

function RunView({ run, reload }: { run: Run; reload: () => void }) {
  const liveNow = isLive(run.status);
  const [stopping, setStopping] = useState(false);
  const [stopOpen, setStopOpen] = useState(false);
  const [replayOpen, setReplayOpen] = useState(false);
  const [resumeOpen, setResumeOpen] = useState(false);
  const [version, setVersion] = useState(0);
  const onEnd = useCallback(() => {
    setStopping(false);
    reload();
  }, [reload]);
  const live = useRunStream(run.id, liveNow, onEnd);
  const stored = useLiveStatus(run.id, liveNow && run.source === "live");
  const { status, reason } = liveNow
    ? effectiveStatus(live.status?.status ?? run.status, live.status?.status_reason ?? run.status_reason, live.pauseNotice, stored)
    : { status: run.status, reason: run.status_reason };

  useEffect(() => {
    document.title = `${run.label} · tradelab`;
  }, [run.label]);

  const timeframe = timeframeOf(run);
  return (
    <DailyRun.Provider value={isDaily(timeframe)}>
      <div className="run-page">
        <RunHeader
          run={run}
          status={status}
          reason={reason}
          canStop={liveNow && status !== "stopped"}
          canResume={run.source === "live" && run.status === "interrupted"}
          canReplay={!liveNow}
          stopping={stopping}
          onStop={() => setStopOpen(true)}
          onReplay={() => setReplayOpen(true)}
          onResume={() => setResumeOpen(true)}
        />
        {status === "paused" && (
          <p className="run-banner run-paused" role="status">
            <strong>Paused: the market data is out.</strong> {reason ?? "The feed has no data."} The run decides nothing until bars come back, then
            applies the ones it missed in order, each once.
          </p>
        )}
        {stopping && liveNow && (
          <p className="run-banner" role="status">
            Stopping: the run ends at its next step.
          </p>
        )}
        {liveNow && <LiveFeed status={status} source={run.source} progress={live.progress ?? run.progress} live={live} onRefresh={() => setVersion((v) => v + 1)} />}
        {/* A new key once the run ends: every part reads its final state again. */}
        <RunBody key={`${run.status}-${version}`} run={run} live={liveNow ? live : undefined} />
        <StopDialog
          run={run}
          open={stopOpen}
          onClose={() => setStopOpen(false)}
          onStopped={(now) => (now ? reload() : setStopping(true))}
        />
        <ReplayDialog run={run} open={replayOpen} onClose={() => setReplayOpen(false)} />
        {run.source === "live" && run.status === "interrupted" && (
          <ResumeDialog run={run} open={resumeOpen} onClose={() => setResumeOpen(false)} onResumed={reload} />
        )}
      </div>
    </DailyRun.Provider>
  );
}

/** The run's charts, metrics and tables, as of when it was read (plus live points). */
function RunBody({ run, live }: { run: Run; live: LiveState | undefined }) {
  const equity = useApi<EquityCurve>(`/runs/${run.id}/equity?points=${EQUITY_POINTS}`);
  const timeframe = timeframeOf(run);
  const loader = useMemo(() => new BarsLoader(timeframe), [timeframe]);
  const [period, setPeriod] = useState<Period | null | undefined>(undefined);
  const [hold, setHold] = useState<BuyAndHold | null | undefined>(undefined);
  const [holdError, setHoldError] = useState<string | undefined>(undefined);
  const ended = !live;
  const storedPoints = equity.data?.points;

  // The period the bars are read over: an ended run's, up to its last step (a
  // stopped run ends early: its report's `end`, else its curve's last point); a live
  // run's own period, else the whole stored series of its symbols (what it goes
  // through).
  useEffect(() => {
    if (period !== undefined) return;
    const report = (run.metrics ?? {}) as { start?: unknown; end?: unknown };
    // (A live run interrupted before its first bar has a report that ends before its
    // period starts: its own period is shown instead.)
    const from = run.period_start ?? (typeof report.start === "string" ? report.start : undefined);
    if (ended && from && typeof report.end === "string" && Date.parse(report.end) >= Date.parse(from)) {
      setPeriod({ from, to: report.end });
      return;
    }
    if (ended && storedPoints === undefined && !equity.error) return;
    if (ended && storedPoints && storedPoints.length > 0) {
      setPeriod({
        from: run.period_start ?? storedPoints[0].time,
        to: storedPoints[storedPoints.length - 1].time,
      });
      return;
    }
    if (run.period_start && run.period_end) {
      setPeriod({ from: run.period_start, to: run.period_end });
      return;
    }
    let gone = false;
    loader
      .period(run.symbols, run.period_start, run.period_end)
      .then((p) => !gone && setPeriod(p ?? null))
      .catch(() => !gone && setPeriod(null));
    return () => {
      gone = true;
    };
  }, [period, run, ended, storedPoints, equity.error, loader]);

  useEffect(() => {
    if (!period || !run.symbols.length) {
      if (period === null) setHold(null);
      return;
    }
    let gone = false;
    loader
      .buyAndHold(run.symbols, period)
      .then((h) => !gone && setHold(h))
      .catch((e: unknown) => {
        if (gone) return;
        setHold(null);
        setHoldError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      gone = true;
    };
  }, [period, loader, run.symbols]);

  const liveFills: Fill[] = live?.fills ?? NO_FILLS;
  const m = (run.metrics ?? undefined) as Record<string, unknown> | undefined;
  const initialCash = Number(run.initial_cash);

  return (
    <>
      {run.metrics ? (
        <section className="run-section" aria-labelledby="metrics-heading">
          <h2 id="metrics-heading">Metrics</h2>
          <MetricCards metrics={run.metrics} />
        </section>
      ) : (
        !live && (
          <p className="muted run-banner">
            This run has no report{run.status === "failed" ? ": it failed before it finished" : ""}. What it recorded is below.
          </p>
        )
      )}
      {equity.error ? (
        <section className="card run-section">
          <h2>Equity</h2>
          <ErrorState error={equity.error} retry={equity.reload} />
        </section>
      ) : !equity.data ? (
        <section className="card run-section">
          <h2>Equity</h2>
          <Loading what="Loading the equity curve" />
        </section>
      ) : (
        <EquityCharts
          points={storedPoints ?? NO_POINTS}
          livePoints={live?.equity ?? NO_POINTS}
          total={equity.data.total}
          initialCash={initialCash}
          buyAndHold={hold}
          buyAndHoldError={holdError}
          live={Boolean(live)}
        />
      )}
      {period === undefined ? (
        <section className="card run-section">
          <h2>Price and trades</h2>
          <Loading what="Finding the run's bars" />
        </section>
      ) : period === null || !run.symbols.length ? (
        <section className="card run-section">
          <h2>Price and trades</h2>
          <p className="muted">No stored bars of this run's symbols at {timeframe}.</p>
        </section>
      ) : (
        <PriceChart
          symbols={run.symbols}
          timeframe={timeframe}
          period={period}
          loader={loader}
          runId={run.id}
          liveFills={liveFills}
        />
      )}
      <TradesTable runId={run.id} live={Boolean(live)} />
      <DecisionLog runId={run.id} live={Boolean(live)} tracesHolds={deciderKind(run) === "llm"} />
      {deciderKind(run) === "online_learner" && <LearnerPanel runId={run.id} label={run.label} live={Boolean(live)} />}
      <Rejections
        runId={run.id}
        byRule={m ? ((m.orders_rejected as Record<string, number> | undefined) ?? {}) : undefined}
        live={Boolean(live)}
      />
      {run.source === "live" && <FeedEvents runId={run.id} live={Boolean(live)} />}
      <RiskEvents
        runId={run.id}
        autoExits={m?.auto_exits as Record<string, number> | undefined}
        riskEvents={m?.risk_events as Record<string, number> | undefined}
        live={Boolean(live)}
      />
    </>
  );
}

/**
 * A going run's status and its reason: as the stream last said, except between
 * `running` and `paused` (which the stream sends no new status for): there the stored
 * status read last decides, else the feed's latest paused/resumed notice.
 */
function effectiveStatus(
  status: string,
  reason: string | null,
  notice: FeedNotice | undefined,
  stored: StoredStatus | undefined,
): { status: string; reason: string | null } {
  if (status !== "running" && status !== "paused") return { status, reason };
  if (stored && (stored.status === "running" || stored.status === "paused")) {
    return { status: stored.status, reason: stored.status === "paused" ? stored.status_reason : null };
  }
  if (!notice) return { status, reason };
  if (notice.notice === "resumed") return { status: "running", reason: null };
  const why = notice.provider && !notice.detail.startsWith(notice.provider) ? `${notice.provider}: ${notice.detail}` : notice.detail;
  return { status: "paused", reason: why };
}

const NO_FILLS: Fill[] = [];
const NO_POINTS: EquityPoint[] = [];

/** The kind of the run's decider (`sma_cross`, `llm`, …). */
function deciderKind(run: Run): string | undefined {
  return (run.snapshot as { decider?: { kind?: string } } | undefined)?.decider?.kind;
}

/** The run's bar timeframe (runs stored before it was recorded: by their mode). */
function timeframeOf(run: Run): string {
  return run.timeframe ?? (run.mode === "daily" ? "1d" : "1m");
}
