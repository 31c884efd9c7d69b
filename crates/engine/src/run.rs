//! The run loop: merges the symbols' bars into one timeline and, at each step, fills
//! working orders on the new bars, marks the portfolio, asks the decider, places its
//! orders and records equity. Deterministic: same input, same events.

use crate::broker::{self, Trigger};
use crate::config::{FillModel, RunConfig};
use crate::decider::{Decider, DecisionContext};
use crate::event::{EventSink, RejectReason, Rejection, RunEvent};
use crate::portfolio::{LedgerFill, Portfolio};
use crate::view::DataView;
use rust_decimal::Decimal;
use tradelab_core::{
    BarSeries, Fill, Money, Order, OrderId, OrderIntent, OrderType, Price, Quantity, Side, Sizing,
    Symbol, Timestamp,
};

/// Why a run cannot start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    #[error("no market data: the run needs at least one symbol with bars")]
    NoData,
    #[error("symbol {0} is given more than once")]
    DuplicateSymbol(Symbol),
    #[error("initial cash must be positive, got {0}")]
    InvalidCash(Money),
    #[error("commission {field} must be >= 0 and below 1 for a rate, got {value}")]
    InvalidCommission { field: &'static str, value: Decimal },
    #[error("slippage must be between 0 and 10000 basis points, got {0}")]
    InvalidSlippage(Decimal),
}

/// The exact end state of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOutcome {
    pub final_equity: Money,
    pub cash: Money,
    pub realized: Money,
    pub unrealized: Money,
    pub commissions: Money,
    /// Steps of the merged timeline (distinct timestamps).
    pub steps: usize,
    pub open_positions: Vec<OpenPosition>,
}

/// A position still open when the data ended, marked at the last close.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenPosition {
    pub symbol: Symbol,
    pub qty: Quantity,
    pub avg_price: Price,
    pub mark: f64,
}

/// An accepted order waiting for its fill.
struct Working {
    order: Order,
    symbol: usize,
}

/// A configured backtest over fixed data. Reusable: each [`Engine::run`] starts flat.
pub struct Engine {
    config: RunConfig,
    series: Vec<BarSeries>,
    steps: usize,
}

impl Engine {
    /// Validates the configuration and the data. Series are run in the given order;
    /// ties between symbols at one timestamp are processed in that order.
    pub fn new(config: RunConfig, series: Vec<BarSeries>) -> Result<Self, RunError> {
        if series.iter().all(|s| s.is_empty()) {
            return Err(RunError::NoData);
        }
        for (k, s) in series.iter().enumerate() {
            if series[..k].iter().any(|o| o.symbol() == s.symbol()) {
                return Err(RunError::DuplicateSymbol(s.symbol().clone()));
            }
        }
        if config.initial_cash.get() <= Decimal::ZERO {
            return Err(RunError::InvalidCash(config.initial_cash));
        }
        let c = &config.commission;
        for (field, value, max) in [
            ("rate", c.rate, Some(Decimal::ONE)),
            ("per_share", c.per_share, None),
            ("minimum", c.minimum, None),
        ] {
            if value < Decimal::ZERO || max.is_some_and(|m| value >= m) {
                return Err(RunError::InvalidCommission { field, value });
            }
        }
        if config.slippage_bps < Decimal::ZERO || config.slippage_bps > Decimal::from(10_000) {
            return Err(RunError::InvalidSlippage(config.slippage_bps));
        }
        let steps = count_steps(&series);
        Ok(Engine {
            config,
            series,
            steps,
        })
    }

    /// The run's configuration.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The data the run replays.
    pub fn series(&self) -> &[BarSeries] {
        &self.series
    }

    /// Number of steps (distinct timestamps) in the merged timeline.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Replays the data through `decider`, sending every event to `sink`.
    /// `progress` is called now and then with the number of steps done.
    pub fn run(
        &self,
        decider: &mut dyn Decider,
        sink: &mut dyn EventSink,
        mut progress: Option<&mut dyn FnMut(usize)>,
    ) -> RunOutcome {
        let symbols: Vec<Symbol> = self.series.iter().map(|s| s.symbol().clone()).collect();
        let mut state = RunState {
            config: &self.config,
            portfolio: Portfolio::new(self.config.initial_cash, symbols),
            working: Vec::new(),
            rejections: Vec::new(),
            next_id: 1,
            sink,
        };
        let n = self.series.len();
        let mut visible = vec![0usize; n];
        let mut updated: Vec<usize> = Vec::with_capacity(n);
        let mut intents: Vec<OrderIntent> = Vec::new();
        let mut step = 0usize;
        let mut last_ts = None;
        while let Some(now) = self.advance(&visible, &mut updated) {
            if !state.working.is_empty() {
                state.fill_working(&self.series, &visible, &updated, now, step);
            }
            for &i in &updated {
                let close = self.series[i].bars()[visible[i]].close();
                visible[i] += 1;
                state.portfolio.set_mark(i, close);
            }
            let ctx = DecisionContext {
                now,
                view: DataView::new(&self.series, &visible),
                updated: &updated,
                portfolio: &state.portfolio,
                rejections: &state.rejections,
            };
            decider.on_step(&ctx, &mut intents);
            state.rejections.clear();
            if !intents.is_empty() {
                for intent in intents.drain(..) {
                    state.place(intent, &self.series, &visible, &updated, now, step);
                }
            }
            let invested = state.portfolio.open_positions() > 0;
            state
                .sink
                .on_equity(now, state.portfolio.equity_f64(), invested);
            last_ts = Some(now);
            step += 1;
            if step.is_multiple_of(8192)
                && let Some(p) = progress.as_mut()
            {
                p(step);
            }
        }
        let end = last_ts.unwrap_or(Timestamp::from_nanos(0));
        state.finish(&self.series, end, step.saturating_sub(1));
        if let Some(p) = progress.as_mut() {
            p(step);
        }
        let portfolio = &state.portfolio;
        let outcome = RunOutcome {
            final_equity: portfolio.equity(),
            cash: portfolio.cash(),
            realized: portfolio.realized(),
            unrealized: portfolio.unrealized(),
            commissions: portfolio.commissions(),
            steps: step,
            open_positions: (0..n)
                .filter(|&i| !portfolio.position(i).is_zero())
                .map(|i| OpenPosition {
                    symbol: self.series[i].symbol().clone(),
                    qty: portfolio.position(i),
                    avg_price: portfolio.avg_price(i),
                    mark: portfolio.mark(i),
                })
                .collect(),
        };
        state.sink.on_event(&RunEvent::RunFinished {
            ts: end,
            final_equity: outcome.final_equity,
            cash: outcome.cash,
            open_positions: outcome.open_positions.len(),
        });
        outcome
    }

    /// The next step's timestamp, with the symbols that have a bar at it in `updated`;
    /// `None` when every series is exhausted.
    #[inline]
    fn advance(&self, visible: &[usize], updated: &mut Vec<usize>) -> Option<Timestamp> {
        if let [only] = self.series.as_slice() {
            let ts = only.bars().get(visible[0])?.ts();
            if updated.is_empty() {
                updated.push(0);
            }
            return Some(ts);
        }
        let now = self
            .series
            .iter()
            .zip(visible)
            .filter_map(|(s, &v)| s.bars().get(v).map(|b| b.ts()))
            .min()?;
        updated.clear();
        for (i, s) in self.series.iter().enumerate() {
            if s.bars().get(visible[i]).is_some_and(|b| b.ts() == now) {
                updated.push(i);
            }
        }
        Some(now)
    }
}

/// Distinct timestamps across all series.
fn count_steps(series: &[BarSeries]) -> usize {
    if let [one] = series {
        return one.len();
    }
    let mut all: Vec<Timestamp> = series
        .iter()
        .flat_map(|s| s.bars().iter().map(|b| b.ts()))
        .collect();
    all.sort_unstable();
    all.dedup();
    all.len()
}

/// Mutable state of one run in progress.
struct RunState<'a> {
    config: &'a RunConfig,
    portfolio: Portfolio,
    working: Vec<Working>,
    rejections: Vec<Rejection>,
    next_id: u64,
    sink: &'a mut dyn EventSink,
}

impl RunState<'_> {
    /// Fills working orders whose symbol has a new bar at `now` (bar index `visible[i]`).
    fn fill_working(
        &mut self,
        series: &[BarSeries],
        visible: &[usize],
        updated: &[usize],
        now: Timestamp,
        step: usize,
    ) {
        let mut k = 0;
        while k < self.working.len() {
            let i = self.working[k].symbol;
            if !updated.contains(&i) {
                k += 1;
                continue;
            }
            let bar = &series[i].bars()[visible[i]];
            match broker::trigger_on_bar(&self.working[k].order, bar) {
                Some(trigger) => {
                    let w = self.working.remove(k);
                    self.execute(w, trigger, now, step);
                }
                None => k += 1,
            }
        }
    }

    /// Validates and accepts a decider's intent; fills it now under the `close` model.
    fn place(
        &mut self,
        intent: OrderIntent,
        series: &[BarSeries],
        visible: &[usize],
        updated: &[usize],
        now: Timestamp,
        step: usize,
    ) {
        self.sink.on_event(&RunEvent::Decision {
            ts: now,
            intent: intent.clone(),
        });
        let Some(i) = series.iter().position(|s| *s.symbol() == intent.symbol) else {
            let reason = RejectReason::UnknownSymbol {
                symbol: intent.symbol.clone(),
            };
            self.reject(now, None, intent, reason);
            return;
        };
        let order = Order {
            id: OrderId(self.next_id),
            created_at: now,
            intent,
        };
        self.next_id += 1;
        if let Err(reason) = broker::validate_intent(&order, self.config) {
            self.reject(now, Some(order.id), order.intent, reason);
            return;
        }
        self.sink.on_event(&RunEvent::OrderAccepted {
            order: order.clone(),
        });
        let working = Working { order, symbol: i };
        if self.config.fill_model == FillModel::Close && updated.contains(&i) {
            let close = series[i].bars()[visible[i] - 1].close();
            if let Some(trigger) = broker::trigger_at_close(&working.order, close) {
                self.execute(working, trigger, now, step);
                return;
            }
        }
        self.working.push(working);
    }

    fn reject(
        &mut self,
        ts: Timestamp,
        order_id: Option<OrderId>,
        intent: OrderIntent,
        reason: RejectReason,
    ) {
        self.sink.on_event(&RunEvent::OrderRejected {
            ts,
            order_id,
            intent: intent.clone(),
            reason: reason.clone(),
        });
        self.rejections.push(Rejection { ts, intent, reason });
    }

    /// Resolves the order's size at the trigger price and books the fill(s).
    fn execute(&mut self, w: Working, trigger: Trigger, now: Timestamp, step: usize) {
        let Working { order, symbol: i } = w;
        let side = order.intent.side;
        let bps = self.config.slippage_bps;
        let price = broker::slipped(trigger.base, side, trigger.slips, bps);
        let commission = &self.config.commission;
        let position = self.portfolio.position(i).get();
        let qty = match order.intent.sizing {
            Sizing::Shares(q) => q,
            Sizing::Cash(m) => broker::cash_units(m, price, commission),
            Sizing::ClosePosition => {
                let closes = match side {
                    Side::Buy => position < Decimal::ZERO,
                    Side::Sell => position > Decimal::ZERO,
                };
                if !closes {
                    let reason = RejectReason::NoPosition {
                        symbol: order.intent.symbol.clone(),
                    };
                    self.reject(now, Some(order.id), order.intent, reason);
                    return;
                }
                Quantity(position.abs())
            }
            Sizing::AllIn => {
                if !position.is_zero() {
                    let close_side = if position > Decimal::ZERO {
                        Side::Sell
                    } else {
                        Side::Buy
                    };
                    let close_price = broker::slipped(trigger.base, close_side, trigger.slips, bps);
                    self.book(
                        &order,
                        i,
                        close_side,
                        Quantity(position.abs()),
                        close_price,
                        trigger.base,
                        now,
                        step,
                    );
                }
                let budget = self.portfolio.equity_f64() - self.portfolio.gross_exposure_except(i);
                broker::all_in_units(budget, price, commission)
            }
        };
        if qty.is_zero() {
            let reason = RejectReason::ZeroQuantity {
                sizing: order.intent.sizing.to_string(),
            };
            self.reject(now, Some(order.id), order.intent, reason);
            return;
        }
        let position = self.portfolio.position(i).get();
        if side == Side::Sell && !self.config.allow_short && qty.get() > position.max(Decimal::ZERO)
        {
            let reason = RejectReason::ShortingNotAllowed {
                symbol: order.intent.symbol.clone(),
            };
            self.reject(now, Some(order.id), order.intent, reason);
            return;
        }
        if side == Side::Buy && position + qty.get() > Decimal::ZERO {
            let needed = price * qty + broker::commission(commission, price, qty);
            if needed > self.portfolio.cash() {
                let reason = RejectReason::InsufficientCash {
                    needed,
                    available: self.portfolio.cash(),
                };
                self.reject(now, Some(order.id), order.intent, reason);
                return;
            }
        }
        self.book(&order, i, side, qty, price, trigger.base, now, step);
    }

    /// Books one fill in the ledger and emits its events.
    #[allow(clippy::too_many_arguments)]
    fn book(
        &mut self,
        order: &Order,
        i: usize,
        side: Side,
        qty: Quantity,
        price: Price,
        base: Price,
        now: Timestamp,
        step: usize,
    ) {
        let commission = broker::commission(&self.config.commission, price, qty);
        let closed = self.portfolio.apply(LedgerFill {
            symbol: i,
            side,
            qty,
            price,
            commission,
            ts: now,
            step,
        });
        let symbol = order.intent.symbol.clone();
        self.sink.on_event(&RunEvent::Fill {
            fill: Fill {
                order_id: order.id,
                ts: now,
                symbol: symbol.clone(),
                side,
                qty,
                price,
                commission,
                slippage: Money((price.get() - base.get()).abs() * qty.get()),
            },
        });
        self.sink.on_event(&RunEvent::PositionChanged {
            ts: now,
            symbol,
            qty: self.portfolio.position(i),
            avg_price: self.portfolio.avg_price(i),
        });
        if let Some(trade) = closed {
            self.sink.on_event(&RunEvent::TradeClosed { trade });
        }
    }

    /// End of data: cancel working orders; close positions when configured to.
    fn finish(&mut self, series: &[BarSeries], end: Timestamp, last_step: usize) {
        for w in std::mem::take(&mut self.working) {
            self.sink.on_event(&RunEvent::OrderCancelled {
                ts: end,
                order_id: w.order.id,
                reason: "still working when the data ended".to_string(),
            });
        }
        if !self.config.close_at_end {
            return;
        }
        for (i, s) in series.iter().enumerate() {
            let position = self.portfolio.position(i).get();
            let Some(last) = s.bars().last() else {
                continue;
            };
            if position.is_zero() {
                continue;
            }
            let side = if position > Decimal::ZERO {
                Side::Sell
            } else {
                Side::Buy
            };
            let order = Order {
                id: OrderId(self.next_id),
                created_at: end,
                intent: OrderIntent {
                    symbol: s.symbol().clone(),
                    side,
                    order_type: OrderType::Market,
                    sizing: Sizing::ClosePosition,
                    reason: "close at end of data (--close-at-end)".into(),
                },
            };
            self.next_id += 1;
            self.sink.on_event(&RunEvent::OrderAccepted {
                order: order.clone(),
            });
            let Ok(base) = Price::from_f64(last.close()) else {
                continue;
            };
            let price = broker::slipped(base, side, true, self.config.slippage_bps);
            self.book(
                &order,
                i,
                side,
                Quantity(position.abs()),
                price,
                base,
                end,
                last_step,
            );
        }
    }
}
