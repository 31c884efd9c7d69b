//! The mutable state of one run in progress: working orders, the ledger, the risk
//! engine, and the orders' way to the broker (how an order becomes fills is in
//! `fill.rs`).
//!
//! Every step that can book a fill returns a [`Ledger`](crate::portfolio::Ledger) result: an amount the exact
//! ledger cannot hold ends the run (the run loop turns it into a failed run).

use super::failure::Stepped;
use crate::broker::{self, Trigger};
use crate::config::{FillModel, RunConfig};
use crate::event::{EventSink, RejectReason, Rejection, RunEvent};
use crate::event::{Seq, SinkResult};
use crate::portfolio::Portfolio;
use crate::risk_engine::{AutoExit, ExitKind, RiskEngine, RiskEvent};
use rust_decimal::Decimal;
use tradelab_core::{
    BarSeries, Order, OrderId, OrderIntent, OrderType, Price, Quantity, Side, Sizing, Timestamp,
};

/// An accepted order waiting for its fill. Engine orders (automatic exits) bypass the
/// risk rules.
pub(crate) struct Working {
    pub order: Order,
    pub symbol: usize,
    pub engine: bool,
}

/// Mutable state of one run in progress.
pub(super) struct RunState<'a> {
    pub config: &'a RunConfig,
    pub portfolio: Portfolio,
    pub risk: RiskEngine,
    pub working: Vec<Working>,
    pub rejections: Vec<Rejection>,
    pub risk_events: Vec<RiskEvent>,
    pub next_id: u64,
    pub sink: &'a mut dyn EventSink,
    /// Whether `sink` reads position events ([`EventSink::wants_positions`]).
    pub positions_wanted: bool,
    /// Slippage of every fill so far: checked here, so that the report's sum of the
    /// fills' slippage is exact.
    pub slippage: Decimal,
    /// Number of the last event sent.
    pub seq: Seq,
    /// How long a decider's order takes to reach the broker.
    pub latency: Option<super::Latency>,
}

impl RunState<'_> {
    /// Sends one event to the sink with the next number.
    #[inline]
    pub fn emit(&mut self, event: &RunEvent) -> SinkResult {
        self.seq += 1;
        self.sink.on_event(self.seq, event)
    }

    /// Sends the step's equity point with the next number.
    #[inline]
    pub fn emit_equity(&mut self, ts: Timestamp, equity: f64, invested: bool) -> SinkResult {
        self.seq += 1;
        self.sink.on_equity(self.seq, ts, equity, invested)
    }

    /// Sends the risk engine's pending events to the sink.
    pub fn flush_risk_events(&mut self, ts: Timestamp) -> Stepped<()> {
        let mut events = std::mem::take(&mut self.risk_events);
        let sent = events
            .drain(..)
            .try_for_each(|risk| self.emit(&RunEvent::Risk { ts, risk }));
        self.risk_events = events;
        Ok(sent?)
    }

    /// Fills working orders whose symbol has a new bar at `now` (bar index `visible[i]`).
    pub fn fill_working(
        &mut self,
        series: &[BarSeries],
        visible: &[usize],
        updated: &[usize],
        now: Timestamp,
        step: usize,
    ) -> Stepped<()> {
        let mut k = 0;
        while k < self.working.len() {
            let i = self.working[k].symbol;
            if !updated.contains(&i) {
                k += 1;
                continue;
            }
            let bar = &series[i].bars()[visible[i]];
            let w = &self.working[k];
            let trigger = match self.latency {
                Some(latency) if !w.engine => arrived_trigger(&w.order, bar, latency),
                _ => broker::trigger_on_bar(&w.order, bar),
            };
            match trigger {
                Some(trigger) => {
                    let w = self.working.remove(k);
                    self.execute(w, trigger, now, step)?;
                }
                None => k += 1,
            }
        }
        Ok(())
    }

    /// Checks the positions of the symbols with a new bar against their stops,
    /// targets and trailing stops, and exits where one was reached.
    pub fn auto_exits(
        &mut self,
        series: &[BarSeries],
        visible: &[usize],
        updated: &[usize],
        now: Timestamp,
        step: usize,
    ) -> Stepped<()> {
        for &i in updated {
            let qty = self.portfolio.position(i);
            if qty.is_zero() {
                continue;
            }
            let bar = series[i].bars()[visible[i]];
            let avg = self.portfolio.avg_price(i)?.to_f64();
            if let Some(exit) = self.risk.auto_exit(i, &bar, qty, avg) {
                self.exit_now(series, i, exit, now, step)?;
            }
        }
        Ok(())
    }

    fn exit_now(
        &mut self,
        series: &[BarSeries],
        i: usize,
        exit: AutoExit,
        now: Timestamp,
        step: usize,
    ) -> Stepped<()> {
        let symbol = series[i].symbol().clone();
        self.risk_events.push(RiskEvent::AutoExit {
            symbol,
            rule: exit.rule.clone(),
            exit: exit.kind,
            level: exit.level,
        });
        self.flush_risk_events(now)?;
        let order = self.engine_order(series, i, now, exit.kind);
        let Ok(base) = Price::from_f64(exit.price) else {
            return Ok(());
        };
        self.emit(&RunEvent::OrderAccepted {
            order: order.clone(),
        })?;
        let trigger = Trigger {
            base,
            slips: exit.slips,
        };
        self.execute(
            Working {
                order,
                symbol: i,
                engine: true,
            },
            trigger,
            now,
            step,
        )
    }

    /// A market order of the engine's own that closes symbol `i`'s position.
    fn engine_order(
        &mut self,
        series: &[BarSeries],
        i: usize,
        now: Timestamp,
        why: ExitKind,
    ) -> Order {
        let side = closing_side(self.portfolio.position(i).get());
        let order = Order {
            id: OrderId(self.next_id),
            created_at: now,
            intent: OrderIntent::market(
                series[i].symbol().clone(),
                side,
                Sizing::ClosePosition,
                format!("engine exit: {}", why.as_str()),
            ),
        };
        self.next_id += 1;
        order
    }

    /// Closes every open position with engine orders that fill like any market order
    /// under the run's fill model (flatten time, drawdown halt).
    pub fn liquidate(
        &mut self,
        series: &[BarSeries],
        visible: &[usize],
        updated: &[usize],
        now: Timestamp,
        step: usize,
        why: ExitKind,
    ) -> Stepped<()> {
        if why == ExitKind::DrawdownHalt {
            self.cancel_working(now, "cancelled by the drawdown halt")?;
        }
        for i in 0..series.len() {
            if self.portfolio.position(i).is_zero() {
                continue;
            }
            let order = self.engine_order(series, i, now, why);
            self.emit(&RunEvent::OrderAccepted {
                order: order.clone(),
            })?;
            self.queue_or_fill(
                Working {
                    order,
                    symbol: i,
                    engine: true,
                },
                series,
                visible,
                updated,
                now,
                step,
            )?;
        }
        Ok(())
    }

    /// Withdraws every working order.
    pub fn cancel_working(&mut self, ts: Timestamp, reason: &str) -> Stepped<()> {
        for w in std::mem::take(&mut self.working) {
            self.emit(&RunEvent::OrderCancelled {
                ts,
                order_id: w.order.id,
                reason: reason.to_string(),
            })?;
        }
        Ok(())
    }

    /// Withdraws the decider's working order `id`, if it is still working; an id that
    /// is not (filled, never the decider's) is ignored.
    pub fn cancel_one(&mut self, ts: Timestamp, id: OrderId) -> Stepped<()> {
        let Some(k) = self
            .working
            .iter()
            .position(|w| !w.engine && w.order.id == id)
        else {
            return Ok(());
        };
        let w = self.working.remove(k);
        self.emit(&RunEvent::OrderCancelled {
            ts,
            order_id: w.order.id,
            reason: "cancelled by the decider".to_string(),
        })?;
        Ok(())
    }

    /// Validates and accepts a decider's intent; fills it now under the `close` model.
    pub fn place(
        &mut self,
        intent: OrderIntent,
        series: &[BarSeries],
        visible: &[usize],
        updated: &[usize],
        now: Timestamp,
        step: usize,
    ) -> Stepped<()> {
        // The event borrows the intent for the call and hands it back (no clone of its
        // shared strings).
        let event = RunEvent::Decision { ts: now, intent };
        self.emit(&event)?;
        let RunEvent::Decision { intent, .. } = event else {
            return Ok(());
        };
        let Some(i) = series.iter().position(|s| *s.symbol() == intent.symbol) else {
            let reason = RejectReason::UnknownSymbol {
                symbol: intent.symbol.clone(),
            };
            return self.reject(now, None, intent, reason);
        };
        let order = Order {
            id: OrderId(self.next_id),
            created_at: now,
            intent,
        };
        self.next_id += 1;
        if let Err(reason) = broker::validate_intent(&order, self.config) {
            return self.reject(now, Some(order.id), order.intent, reason);
        }
        if !self.risk.is_empty()
            && let Err((rule, denial)) = self.risk.check_submission(now)
        {
            let reason = RejectReason::Risk { rule, denial };
            return self.reject(now, Some(order.id), order.intent, reason);
        }
        let event = RunEvent::OrderAccepted { order };
        self.emit(&event)?;
        let RunEvent::OrderAccepted { order } = event else {
            return Ok(());
        };
        let working = Working {
            order,
            symbol: i,
            engine: false,
        };
        self.queue_or_fill(working, series, visible, updated, now, step)
    }

    /// Under `close`, fills a marketable order at the decision bar's close; otherwise
    /// queues it for a later bar.
    fn queue_or_fill(
        &mut self,
        working: Working,
        series: &[BarSeries],
        visible: &[usize],
        updated: &[usize],
        now: Timestamp,
        step: usize,
    ) -> Stepped<()> {
        let i = working.symbol;
        if self.config.fill_model == FillModel::Close
            && updated.contains(&i)
            && (self.latency.is_none() || working.engine)
        {
            let close = series[i].bars()[visible[i] - 1].close();
            if let Some(trigger) = broker::trigger_at_close(&working.order, close) {
                return self.execute(working, trigger, now, step);
            }
        }
        self.working.push(working);
        Ok(())
    }

    pub(super) fn reject(
        &mut self,
        ts: Timestamp,
        order_id: Option<OrderId>,
        intent: OrderIntent,
        reason: RejectReason,
    ) -> Stepped<()> {
        self.emit(&RunEvent::OrderRejected {
            ts,
            order_id,
            intent: intent.clone(),
            reason: reason.clone(),
        })?;
        self.rejections.push(Rejection { ts, intent, reason });
        Ok(())
    }

    /// Closes every position at its last close now (end of data with `--close-at-end`,
    /// or a kill switch that flattens).
    pub fn close_all_at_last_close(
        &mut self,
        series: &[BarSeries],
        end: Timestamp,
        step: usize,
        why: &str,
    ) -> Stepped<()> {
        for (i, s) in series.iter().enumerate() {
            let position = self.portfolio.position(i).get();
            if position.is_zero() {
                continue;
            }
            let side = closing_side(position);
            let order = Order {
                id: OrderId(self.next_id),
                created_at: end,
                intent: OrderIntent {
                    symbol: s.symbol().clone(),
                    side,
                    order_type: OrderType::Market,
                    sizing: Sizing::ClosePosition,
                    reason: why.into(),
                    client_order_id: None,
                },
            };
            self.next_id += 1;
            self.emit(&RunEvent::OrderAccepted {
                order: order.clone(),
            })?;
            let Ok(base) = Price::from_f64(self.portfolio.mark(i)) else {
                continue;
            };
            let price = broker::slipped(base, side, true, self.config.slippage_bps)?;
            self.book(
                &order,
                i,
                side,
                Quantity(position.abs()),
                price,
                base,
                end,
                step,
            )?;
        }
        Ok(())
    }
}

/// The side of an order that closes a position of `position` units.
pub(super) fn closing_side(position: Decimal) -> Side {
    if position > Decimal::ZERO {
        Side::Sell
    } else {
        Side::Buy
    }
}

/// The fill of an order that takes `latency` to reach the broker, on `bar`: none
/// before it arrived; the bar's open when the bar starts after it arrived; the bar's
/// close when it arrived during the bar (the first price after its arrival).
fn arrived_trigger(
    order: &tradelab_core::Order,
    bar: &tradelab_core::Bar,
    latency: super::Latency,
) -> Option<broker::Trigger> {
    let arrives = order
        .created_at
        .nanos()
        .saturating_add(latency.bar_ns)
        .saturating_add(latency.order_ns);
    let start = bar.ts().nanos();
    if start >= arrives {
        broker::trigger_on_bar(order, bar)
    } else if start.saturating_add(latency.bar_ns) > arrives {
        broker::trigger_at_close(order, bar.close())
    } else {
        None
    }
}
