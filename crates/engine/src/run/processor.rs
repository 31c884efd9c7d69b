//! The step processor: the engine's state between inputs, and what one input does to
//! it. A driver feeds it steps (a timestamp with the symbols that got a bar) and
//! commands; it emits every event, numbered, to the run's sink.
//!
//! One step: fill working orders on the new bars, apply automatic exits, mark the
//! portfolio, let the risk engine act, ask the decider, place its orders, record
//! equity. The decider call sits between [`Processor::begin_step`] and
//! [`Processor::end_step`], so a driver can make it synchronously or await it.

use super::control::Command;
use super::failure::{FailureCause, Fault, RunFailure, Stepped};
use super::state::RunState;
use super::{Engine, OpenPosition, RunOutcome, RunStatus};
use crate::decider::{DecideError, DeciderErrors, Decision, DecisionContext, WorkingOrders};
use crate::event::{EventSink, FeedNotice, RunEvent};
use crate::portfolio::Portfolio;
use crate::risk_engine::{ExitKind, RiskEngine, RiskEvent, StepAction};
use crate::view::DataView;
use rust_decimal::Decimal;
use std::ops::Deref;
use tradelab_core::{Bar, BarSeries, Symbol, Timestamp};

/// What the driver does after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on with the next input.
    Continue,
    /// The run is paused: a replay waits for the next command.
    Paused,
    /// The run stopped: no more steps.
    Stop,
}

/// One run in progress. `S` holds the bars delivered so far: a replay borrows all of
/// them up front (`&[BarSeries]`), a live run owns them and appends each step's bars
/// as they arrive (`Vec<BarSeries>`). Generic rather than a `Cow`, so the replay's
/// hot path reads its bars without checking which one it has.
pub(crate) struct Processor<'a, S> {
    series: S,
    /// Bars of each symbol the decider may see (the steps processed so far).
    visible: Vec<usize>,
    state: RunState<'a>,
    guarded: bool,
    decider_errors: DeciderErrors,
    close_at_end: bool,
    /// Steps processed.
    step: usize,
    last_ts: Option<Timestamp>,
    /// The step in progress, for a failure.
    now: Timestamp,
    status: RunStatus,
    paused: bool,
    /// Scratch list of a live step's updated symbols.
    updated: Vec<usize>,
}

impl<'a, S: Deref<Target = [BarSeries]>> Processor<'a, S> {
    /// A run of `engine` starting flat, over `series` (the engine's own for a replay,
    /// empty series to be filled for a live run).
    pub fn new(engine: &'a Engine, series: S, sink: &'a mut dyn EventSink) -> Self {
        let symbols: Vec<Symbol> = series.iter().map(|s| s.symbol().clone()).collect();
        let n = symbols.len();
        let config = &engine.config;
        let cash = config.initial_cash;
        let risk = RiskEngine::new(&engine.rules, n, cash.to_f64(), engine.daily);
        let guarded = !risk.is_empty();
        Processor {
            visible: vec![0; n],
            state: RunState {
                config,
                portfolio: Portfolio::new(cash, symbols),
                risk,
                working: Vec::new(),
                rejections: Vec::new(),
                risk_events: Vec::new(),
                next_id: 1,
                positions_wanted: sink.wants_positions(),
                slippage: Decimal::ZERO,
                seq: 0,
                latency: engine.latency,
                sink,
            },
            series,
            guarded,
            decider_errors: engine.decider_errors,
            close_at_end: config.close_at_end,
            step: 0,
            last_ts: None,
            now: Timestamp::from_nanos(0),
            status: RunStatus::Completed,
            paused: false,
            updated: Vec::new(),
        }
    }

    /// The first half of a step at `now` whose new bars are those of `updated` (at
    /// index `visible[i]` of each series): fills, exits, marks, the risk engine's end
    /// of step. Returns whether the decider is to be asked.
    #[inline]
    pub fn begin_step(&mut self, now: Timestamp, updated: &[usize]) -> Stepped<bool> {
        self.now = now;
        let state = &mut self.state;
        let series = &*self.series;
        if self.guarded {
            state.risk.begin_step(now, &mut state.risk_events);
            state.flush_risk_events(now)?;
            for &i in updated {
                state.risk.on_bar(i);
            }
        }
        if !state.working.is_empty() {
            state.fill_working(series, &self.visible, updated, now, self.step)?;
        }
        if self.guarded {
            state.auto_exits(series, &self.visible, updated, now, self.step)?;
        }
        for &i in updated {
            let close = series[i].bars()[self.visible[i]].close();
            self.visible[i] += 1;
            state.portfolio.set_mark(i, close);
        }
        if self.guarded {
            let equity = state.portfolio.equity_f64();
            let action = state.risk.end_step(now, equity, &mut state.risk_events);
            state.flush_risk_events(now)?;
            let (visible, step) = (&self.visible, self.step);
            match action {
                Some(StepAction::Flatten { .. }) => {
                    state.liquidate(series, visible, updated, now, step, ExitKind::FlattenAt)?;
                }
                Some(StepAction::Halt { reason, .. }) => {
                    state.liquidate(series, visible, updated, now, step, ExitKind::DrawdownHalt)?;
                    self.status = RunStatus::Halted { reason };
                }
                None => {}
            }
        }
        Ok(self.state.risk.halted().is_none() && !self.paused)
    }

    /// What the decider sees at the step begun at `now`.
    #[inline]
    pub fn context<'s>(&'s self, now: Timestamp, updated: &'s [usize]) -> DecisionContext<'s> {
        DecisionContext {
            now,
            view: DataView::new(&self.series, &self.visible),
            updated,
            portfolio: &self.state.portfolio,
            rejections: &self.state.rejections,
            working: WorkingOrders::new(&self.state.working),
        }
    }

    /// Records the decider's answer: its reasoning, its cancels, or its failure (which
    /// ends the run when the run stops on decider errors). Its orders are placed by
    /// [`Processor::end_step`].
    #[inline]
    pub fn decided(
        &mut self,
        answer: Result<(), DecideError>,
        decision: &mut Decision,
    ) -> Stepped<()> {
        self.state.rejections.clear();
        match answer {
            Ok(()) if decision.is_silent() => Ok(()),
            Ok(()) => self.say(decision),
            Err(error) if error.halts() => self.decider_halted(error, decision),
            Err(error) => self.decider_failed(error, decision),
        }
    }

    /// A decider that must not be asked again: what it said at this step is kept, its
    /// orders are not placed, and the run goes on halted to the end of its data.
    #[cold]
    fn decider_halted(&mut self, error: DecideError, decision: &mut Decision) -> Stepped<()> {
        decision.orders.clear();
        decision.cancels.clear();
        if decision.says_something() || !decision.notes.is_empty() {
            self.say(decision)?;
        }
        let reason = error.message().to_string();
        self.state.emit(&RunEvent::DeciderFailed {
            ts: self.now,
            message: reason.clone(),
            continued: false,
        })?;
        self.state.risk.halt(reason.clone());
        self.state
            .cancel_working(self.now, &format!("cancelled: {reason}"))?;
        self.status = RunStatus::Halted { reason };
        Ok(())
    }

    /// Records what a decider call said (when it said something) and its model notes,
    /// and withdraws the orders it cancels.
    #[cold]
    fn say(&mut self, decision: &mut Decision) -> Stepped<()> {
        if decision.says_something() {
            self.state.emit(&RunEvent::Decided {
                ts: self.now,
                orders: decision.orders.len(),
                cancels: decision.cancels.len(),
                reasoning: decision.reasoning.take(),
                trace: decision.trace.take(),
            })?;
        }
        for note in decision.notes.drain(..) {
            self.state.emit(&RunEvent::Model { ts: self.now, note })?;
        }
        for id in std::mem::take(&mut decision.cancels) {
            self.state.cancel_one(self.now, id)?;
        }
        Ok(())
    }

    #[cold]
    fn decider_failed(&mut self, error: DecideError, decision: &mut Decision) -> Stepped<()> {
        decision.clear();
        let continued = self.decider_errors == DeciderErrors::Continue;
        self.state.emit(&RunEvent::DeciderFailed {
            ts: self.now,
            message: error.message().to_string(),
            continued,
        })?;
        if continued {
            Ok(())
        } else {
            Err(Fault(Box::new(FailureCause::Decider(error))))
        }
    }

    /// The second half of the step: places the decision's orders (leaving `decision`
    /// empty) and records the step's equity.
    #[inline]
    pub fn end_step(
        &mut self,
        now: Timestamp,
        updated: &[usize],
        decision: &mut Decision,
    ) -> Stepped<()> {
        if !decision.orders.is_empty() {
            for intent in decision.orders.drain(..) {
                self.state
                    .place(intent, &self.series, &self.visible, updated, now, self.step)?;
            }
        }
        let invested = self.state.portfolio.open_positions() > 0;
        let equity = self.state.portfolio.equity_f64();
        self.state.emit_equity(now, equity, invested)?;
        self.last_ts = Some(now);
        self.step += 1;
        Ok(())
    }

    /// A whole step with a decider on this thread.
    #[inline]
    pub fn step(
        &mut self,
        decider: &mut dyn crate::Decider,
        now: Timestamp,
        updated: &[usize],
        decision: &mut Decision,
    ) -> Stepped<()> {
        if self.begin_step(now, updated)? {
            let answer = decider.on_step(&self.context(now, updated), decision);
            self.decided(answer, decision)?;
        }
        self.end_step(now, updated, decision)
    }

    /// Applies a command from outside, recording it as an event.
    /// Records news about a live feed (an outage, data back, a failover) that
    /// happened at `ts` on the feed's clock.
    pub fn notice(&mut self, ts: Timestamp, notice: FeedNotice) -> Stepped<()> {
        let ts = self.last_ts.map_or(ts, |last| last.max(ts));
        self.state.emit(&RunEvent::Feed { ts, notice })?;
        Ok(())
    }

    pub fn command(&mut self, command: Command) -> Stepped<Flow> {
        let ts = self.last_ts.unwrap_or(Timestamp::from_nanos(0));
        self.state.emit(&RunEvent::Command { ts, command })?;
        match command {
            Command::Stop { flatten } => {
                self.kill(flatten, ts)?;
                Ok(Flow::Stop)
            }
            Command::Flatten => {
                self.state.close_all_at_last_close(
                    &self.series,
                    ts,
                    self.step.saturating_sub(1),
                    "engine exit: flatten command",
                )?;
                Ok(self.flow())
            }
            Command::Pause => {
                self.paused = true;
                Ok(Flow::Paused)
            }
            Command::Resume => {
                self.paused = false;
                Ok(Flow::Continue)
            }
        }
    }

    fn flow(&self) -> Flow {
        if self.paused {
            Flow::Paused
        } else {
            Flow::Continue
        }
    }

    /// The kill switch, before the step after `ts`.
    fn kill(&mut self, flatten: bool, ts: Timestamp) -> Stepped<()> {
        let state = &mut self.state;
        state.risk.halt("stopped by the kill switch");
        state.risk_events.push(RiskEvent::KillSwitch { flatten });
        state.flush_risk_events(ts)?;
        state.cancel_working(ts, "cancelled by the kill switch")?;
        if flatten {
            state.close_all_at_last_close(
                &self.series,
                ts,
                self.step.saturating_sub(1),
                "engine exit: kill_switch",
            )?;
        }
        self.status = RunStatus::Stopped { flattened: flatten };
        Ok(())
    }

    /// Steps processed so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// Ends the run: withdraws working orders, closes positions when the run says so,
    /// and sends the exact end state.
    pub fn finish(mut self) -> Result<RunOutcome, RunFailure> {
        match self.end() {
            Ok(outcome) => {
                let finished = RunEvent::RunFinished {
                    ts: self.now,
                    status: outcome.status.clone(),
                    final_equity: outcome.final_equity,
                    cash: outcome.cash,
                    open_positions: outcome.open_positions.len(),
                };
                match self.state.emit(&finished) {
                    Ok(()) => Ok(outcome),
                    Err(e) => Err(self.fail(Fault::from(e))),
                }
            }
            Err(fault) => Err(self.fail(fault)),
        }
    }

    fn end(&mut self) -> Stepped<RunOutcome> {
        let end = self.last_ts.unwrap_or(Timestamp::from_nanos(0));
        self.now = end;
        let last_step = self.step.saturating_sub(1);
        self.state
            .cancel_working(end, "still working when the data ended")?;
        if self.close_at_end && self.status == RunStatus::Completed {
            self.state.close_all_at_last_close(
                &self.series,
                end,
                last_step,
                "close at end of data (--close-at-end)",
            )?;
        }
        let portfolio = &self.state.portfolio;
        let mut open_positions = Vec::with_capacity(portfolio.open_positions());
        for (i, s) in self.series.iter().enumerate() {
            if portfolio.position(i).is_zero() {
                continue;
            }
            open_positions.push(OpenPosition {
                symbol: s.symbol().clone(),
                qty: portfolio.position(i),
                avg_price: portfolio.avg_price(i)?,
                mark: portfolio.mark(i),
            });
        }
        Ok(RunOutcome {
            status: self.status.clone(),
            final_equity: portfolio.equity()?,
            cash: portfolio.cash(),
            realized: portfolio.realized(),
            unrealized: portfolio.unrealized()?,
            commissions: portfolio.commissions(),
            steps: self.step,
            open_positions,
        })
    }

    /// The run failed: sends its `run_failed` event (unless the sink is what failed)
    /// and says where.
    #[cold]
    pub fn fail(mut self, fault: Fault) -> RunFailure {
        let failure = RunFailure {
            ts: self.now,
            step: self.failed_step(),
            error: *fault.0,
        };
        if !matches!(failure.error, FailureCause::Sink(_)) {
            let _ = self.state.emit(&RunEvent::RunFailed {
                ts: failure.ts,
                step: failure.step,
                message: failure.error.to_string(),
                error: failure.error.clone(),
            });
        }
        failure
    }

    /// The step a failure happened in: the one in progress, or the last one when the
    /// run failed at its end.
    fn failed_step(&self) -> usize {
        if self.last_ts == Some(self.now) {
            self.step.saturating_sub(1)
        } else {
            self.step
        }
    }
}

impl Processor<'_, Vec<BarSeries>> {
    /// Appends a live step's bars (`bars` all at `now`) and returns the symbols they
    /// update, for [`Processor::begin_step`]. Refuses a symbol outside the run, a bar
    /// at another time than `now`, and a step not after the previous one.
    pub fn deliver(&mut self, now: Timestamp, bars: Vec<(Symbol, Bar)>) -> Stepped<Vec<usize>> {
        let invalid = |message: String| Fault(Box::new(FailureCause::Input { message }));
        if let Some(last) = self.last_ts
            && now <= last
        {
            return Err(invalid(format!(
                "a step at {now} arrived after the step at {last}; steps must move forward"
            )));
        }
        let mut updated = std::mem::take(&mut self.updated);
        updated.clear();
        for (symbol, bar) in bars {
            let Some(i) = self.series.iter().position(|s| *s.symbol() == symbol) else {
                return Err(invalid(format!(
                    "a bar of {symbol} arrived, which is not a symbol of this run"
                )));
            };
            if bar.ts() != now {
                return Err(invalid(format!(
                    "a bar of {symbol} at {} arrived in the step at {now}",
                    bar.ts()
                )));
            }
            if updated.contains(&i) {
                return Err(invalid(format!(
                    "two bars of {symbol} arrived in the step at {now}"
                )));
            }
            self.series[i]
                .push(bar)
                .map_err(|e| invalid(e.to_string()))?;
            updated.push(i);
        }
        updated.sort_unstable();
        Ok(updated)
    }

    /// Hands back the list [`Processor::deliver`] returned, for the next step.
    pub fn recycle(&mut self, updated: Vec<usize>) {
        self.updated = updated;
    }
}
