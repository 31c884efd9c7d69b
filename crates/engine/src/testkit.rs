//! A test harness for deciders, for crates that write one (an agent, a learner, a
//! custom strategy) and want to check it without a store, a runner or the engine's
//! broker.
//!
//! - [`daily_bars`] and [`daily_bars_hlc`] make bar series from closing prices.
//! - [`Scene`] builds one [`DecisionContext`] (bars up to a time, a portfolio,
//!   rejections) and asks a decider once: what does it order *here*?
//! - [`Replay`] steps a decider over the merged timeline of several series, the way the
//!   engine does, filling its orders instantly at the close so position-dependent logic
//!   runs, and returns every order with the step it was emitted at.
//!
//! The harness is not the engine: fills ignore costs, sizing and risk rules (an
//! all-in order holds [`ALL_IN_UNITS`] units). Use [`crate::Engine`] to test results.
//!
//! ```
//! use tradelab_engine::strategies;
//! use tradelab_engine::testkit::{Replay, daily_bars};
//!
//! let closes = [10.0, 11.0, 12.0, 11.0, 10.0, 9.0, 10.0, 11.0, 12.0, 13.0];
//! let series = daily_bars("ACME", 0, &closes)?;
//! let mut decider = strategies::build("sma_cross", &[("fast".into(), "2".into()), ("slow".into(), "3".into())], false)?;
//! let orders = Replay::new(vec![series]).run(decider.as_mut())?;
//! assert!(!orders.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::decider::{DecideError, Decider, Decision, DecisionContext, WorkingOrders};
use crate::event::Rejection;
use crate::portfolio::{LedgerFill, Portfolio};
use crate::view::DataView;
use tradelab_core::{
    Bar, BarError, BarSeries, LedgerOverflow, Money, OrderIntent, Price, Quantity, SeriesError,
    Side, Sizing, Symbol, SymbolError, Timestamp,
};

/// Units a simulated all-in order buys (or sells short).
pub const ALL_IN_UNITS: i64 = 100;

/// Cash a harness portfolio starts with unless told otherwise.
pub const DEFAULT_CASH: i64 = 10_000;

/// Why the harness could not set up or step a decider.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TestkitError {
    /// The symbol text is not a valid symbol.
    #[error("test bars: {0}")]
    Symbol(#[from] SymbolError),
    /// A bar breaks an invariant (a non-positive price, high below low…).
    #[error("test bars: bar {index} of {symbol}: {source}")]
    Bar {
        /// Symbol of the series.
        symbol: String,
        /// Index of the bar in the given prices.
        index: usize,
        /// What is wrong with it.
        source: BarError,
    },
    /// The bars do not form a series.
    #[error("test bars: {0}")]
    Series(#[from] SeriesError),
    /// The decider failed.
    #[error("step {step}: the decider failed: {error}")]
    Decider {
        /// Step it failed at.
        step: usize,
        /// Its error.
        error: DecideError,
    },
    /// The decider ordered a symbol that is not among the series.
    #[error(
        "step {step}: the decider ordered {symbol}, which is not among the test series \
         ({known}); add a series for it"
    )]
    UnknownSymbol {
        /// Step the order was emitted at.
        step: usize,
        /// The symbol ordered.
        symbol: Symbol,
        /// Comma-separated symbols of the series.
        known: String,
    },
    /// A scene position was asked for in a symbol with no bar visible yet.
    #[error(
        "{symbol} has no bar at or before {now}, so no price to hold it at; move the scene later with `at`"
    )]
    NoPrice {
        /// The symbol.
        symbol: Symbol,
        /// The scene's time.
        now: Timestamp,
    },
    /// An instant fill did not fit the exact ledger.
    #[error("step {step}: the simulated fill does not fit the ledger: {source}")]
    Ledger {
        /// Step of the fill.
        step: usize,
        /// The overflow.
        source: Box<LedgerOverflow>,
    },
}

/// Daily bars of `symbol` from `start_day` (days since 1970-01-01, one bar a day) with
/// `open = high = low = close` and no volume.
pub fn daily_bars(symbol: &str, start_day: i64, closes: &[f64]) -> Result<BarSeries, TestkitError> {
    let hlc: Vec<_> = closes.iter().map(|&c| (c, c, c)).collect();
    daily_bars_hlc(symbol, start_day, &hlc)
}

/// Daily bars of `symbol` from `start_day` with the given `(high, low, close)` and
/// `open = close`.
pub fn daily_bars_hlc(
    symbol: &str,
    start_day: i64,
    hlc: &[(f64, f64, f64)],
) -> Result<BarSeries, TestkitError> {
    let symbol = Symbol::new(symbol)?;
    let bars = hlc
        .iter()
        .enumerate()
        .map(|(k, &(h, l, c))| {
            let ts = Timestamp::from_secs((start_day + k as i64) * 86_400);
            Bar::new(ts, c, h, l, c, 0.0).map_err(|source| TestkitError::Bar {
                symbol: symbol.to_string(),
                index: k,
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BarSeries::new(symbol, bars)?)
}

/// A portfolio over `series`' symbols (in their order) holding `cash`, marked at each
/// series' last close, for a [`Scene`].
fn portfolio_for(series: &[BarSeries], cash: Money) -> Portfolio {
    let symbols = series.iter().map(|s| s.symbol().clone()).collect();
    Portfolio::new(cash, symbols)
}

/// One decision point, built up and then shown to a decider: the bars visible at a
/// time, the portfolio, and the orders rejected since the previous step.
///
/// By default every bar is visible, `now` is the latest bar's time, the symbols with a
/// bar at `now` are the updated ones, and the portfolio holds [`DEFAULT_CASH`] and no
/// positions, marked at the visible closes.
pub struct Scene {
    series: Vec<BarSeries>,
    visible: Vec<usize>,
    now: Timestamp,
    updated: Vec<usize>,
    portfolio: Portfolio,
    rejections: Vec<Rejection>,
}

impl Scene {
    /// A scene over `series` at their latest bar.
    pub fn new(series: Vec<BarSeries>) -> Self {
        let portfolio = portfolio_for(&series, Money::from(DEFAULT_CASH));
        let mut scene = Scene {
            visible: vec![0; series.len()],
            series,
            now: Timestamp::from_secs(0),
            updated: Vec::new(),
            portfolio,
            rejections: Vec::new(),
        };
        let last = scene
            .series
            .iter()
            .filter_map(|s| s.bars().last().map(Bar::ts))
            .max()
            .unwrap_or(Timestamp::from_secs(0));
        scene.cut(last);
        scene
    }

    /// Moves the scene to `now`: only bars at or before it are visible, and the symbols
    /// with a bar exactly at `now` are the updated ones.
    pub fn at(mut self, now: Timestamp) -> Self {
        self.cut(now);
        self
    }

    /// The portfolio starts with `cash` instead of [`DEFAULT_CASH`] (positions reset).
    pub fn cash(mut self, cash: Money) -> Self {
        self.portfolio = portfolio_for(&self.series, cash);
        self.mark();
        self
    }

    /// The portfolio holds `units` of `symbol` (negative: short), bought at its latest
    /// visible close. Call after [`Scene::at`] and [`Scene::cash`], which reset it.
    pub fn holding(mut self, symbol: &str, units: i64) -> Result<Self, TestkitError> {
        let wanted = Symbol::new(symbol)?;
        let Some(i) = self.series.iter().position(|s| *s.symbol() == wanted) else {
            let known: Vec<&str> = self.series.iter().map(|s| s.symbol().as_str()).collect();
            return Err(TestkitError::UnknownSymbol {
                step: 0,
                symbol: wanted,
                known: known.join(", "),
            });
        };
        if self.visible[i] == 0 {
            return Err(TestkitError::NoPrice {
                symbol: wanted,
                now: self.now,
            });
        }
        let target = Quantity::from(units).get();
        let delta = target - self.portfolio.position(i).get();
        if !delta.is_zero() {
            let ledger = |source| TestkitError::Ledger { step: 0, source };
            let price =
                Price::from_f64(self.portfolio.mark(i)).map_err(|_| TestkitError::NoPrice {
                    symbol: wanted.clone(),
                    now: self.now,
                })?;
            self.portfolio
                .apply(LedgerFill {
                    symbol: i,
                    side: if delta.is_sign_positive() {
                        Side::Buy
                    } else {
                        Side::Sell
                    },
                    qty: Quantity(delta.abs()),
                    price,
                    commission: Money::ZERO,
                    ts: self.now,
                    step: 0,
                })
                .map_err(ledger)?;
        }
        Ok(self)
    }

    /// Orders the engine rejected since the previous step, as the decider sees them.
    pub fn rejections(mut self, rejections: Vec<Rejection>) -> Self {
        self.rejections = rejections;
        self
    }

    /// The time of the decision point.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Indices of the symbols with a bar at [`Scene::now`].
    pub fn updated(&self) -> &[usize] {
        &self.updated
    }

    /// The point-in-time view the decider gets.
    pub fn view(&self) -> DataView<'_> {
        DataView::new(&self.series, &self.visible)
    }

    /// The context the decider gets, for calling it yourself.
    pub fn context(&self) -> DecisionContext<'_> {
        DecisionContext {
            now: self.now,
            view: self.view(),
            updated: &self.updated,
            portfolio: &self.portfolio,
            rejections: &self.rejections,
            working: WorkingOrders::none(),
        }
    }

    /// Asks `decider` once; returns what it decided (orders, reasoning, trace), or
    /// its error.
    pub fn decide(&self, decider: &mut dyn Decider) -> Result<Decision, DecideError> {
        let mut decision = Decision::default();
        decider.on_step(&self.context(), &mut decision)?;
        Ok(decision)
    }

    fn cut(&mut self, now: Timestamp) {
        self.now = now;
        self.updated.clear();
        for (i, s) in self.series.iter().enumerate() {
            self.visible[i] = s.bars().partition_point(|b| b.ts() <= now);
            if s.bars()[..self.visible[i]]
                .last()
                .is_some_and(|b| b.ts() == now)
            {
                self.updated.push(i);
            }
        }
        self.mark();
    }

    fn mark(&mut self) {
        for (i, s) in self.series.iter().enumerate() {
            if let Some(b) = s.bars()[..self.visible[i]].last() {
                self.portfolio.set_mark(i, b.close());
            }
        }
    }
}

/// An order a decider emitted during a [`Replay`].
#[derive(Clone, Debug, PartialEq)]
pub struct Emitted {
    /// Index of the step in the merged timeline (0 = the first bar time of any series).
    pub step: usize,
    /// Time of the step.
    pub ts: Timestamp,
    /// The order.
    pub intent: OrderIntent,
}

/// A minimal replay: the series' merged timeline, a point-in-time view, and instant
/// fills at the close (an all-in order goes to ±[`ALL_IN_UNITS`], a close-position
/// order to flat, any other order moves one unit).
pub struct Replay {
    series: Vec<BarSeries>,
    cash: Money,
    ask_twice: bool,
}

impl Replay {
    /// A replay of `series`, with a portfolio of [`DEFAULT_CASH`].
    pub fn new(series: Vec<BarSeries>) -> Self {
        Replay {
            series,
            cash: Money::from(DEFAULT_CASH),
            ask_twice: false,
        }
    }

    /// The portfolio starts with `cash`.
    pub fn cash(mut self, cash: Money) -> Self {
        self.cash = cash;
        self
    }

    /// Calls the decider a second time at every step with the same bars (no new data),
    /// to check it does not act twice on one bar.
    pub fn asking_twice(mut self) -> Self {
        self.ask_twice = true;
        self
    }

    /// Runs `decider` over every step; returns every order it emitted, in order.
    pub fn run(&self, decider: &mut dyn Decider) -> Result<Vec<Emitted>, TestkitError> {
        let mut portfolio = portfolio_for(&self.series, self.cash);
        let mut times: Vec<Timestamp> = self
            .series
            .iter()
            .flat_map(|s| s.bars().iter().map(|b| b.ts()))
            .collect();
        times.sort();
        times.dedup();
        let mut visible = vec![0usize; self.series.len()];
        let (mut updated, mut buf, mut out) = (Vec::new(), Decision::default(), Vec::new());
        for (step, &now) in times.iter().enumerate() {
            updated.clear();
            for (i, s) in self.series.iter().enumerate() {
                if let Some(bar) = s.bars().get(visible[i]).filter(|b| b.ts() == now) {
                    visible[i] += 1;
                    updated.push(i);
                    portfolio.set_mark(i, bar.close());
                }
            }
            let ctx = DecisionContext {
                now,
                view: DataView::new(&self.series, &visible),
                updated: &updated,
                portfolio: &portfolio,
                rejections: &[],
                working: WorkingOrders::none(),
            };
            let failed = |error| TestkitError::Decider { step, error };
            decider.on_step(&ctx, &mut buf).map_err(failed)?;
            if self.ask_twice {
                decider.on_step(&ctx, &mut buf).map_err(failed)?;
            }
            for intent in buf.orders.drain(..) {
                let Some(i) = self
                    .series
                    .iter()
                    .position(|s| *s.symbol() == intent.symbol)
                else {
                    let known: Vec<&str> =
                        self.series.iter().map(|s| s.symbol().as_str()).collect();
                    return Err(TestkitError::UnknownSymbol {
                        step,
                        symbol: intent.symbol.clone(),
                        known: known.join(", "),
                    });
                };
                fill(&mut portfolio, i, &intent, now, step)?;
                out.push(Emitted {
                    step,
                    ts: now,
                    intent,
                });
            }
        }
        Ok(out)
    }
}

fn fill(
    p: &mut Portfolio,
    i: usize,
    intent: &OrderIntent,
    ts: Timestamp,
    step: usize,
) -> Result<(), TestkitError> {
    let pos = p.position(i).get();
    let units = |n: i64| Quantity::from(n).get();
    let target = match (intent.sizing, intent.side) {
        (Sizing::AllIn, Side::Buy) => units(ALL_IN_UNITS),
        (Sizing::AllIn, Side::Sell) => units(-ALL_IN_UNITS),
        (Sizing::ClosePosition, _) => units(0),
        (_, side) => pos + units(side.sign()),
    };
    let delta = target - pos;
    if delta.is_zero() {
        return Ok(());
    }
    // The mark is a bar's close, which `Bar::new` checked is a valid price.
    let Ok(price) = Price::from_f64(p.mark(i)) else {
        return Ok(());
    };
    p.apply(LedgerFill {
        symbol: i,
        side: if delta.is_sign_positive() {
            Side::Buy
        } else {
            Side::Sell
        },
        qty: Quantity(delta.abs()),
        price,
        commission: Money::ZERO,
        ts,
        step,
    })
    .map(|_| ())
    .map_err(|source| TestkitError::Ledger { step, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scene_shows_only_bars_up_to_its_time() {
        let a = daily_bars("A", 0, &[1.0, 2.0, 3.0]).unwrap();
        let b = daily_bars("B", 1, &[5.0, 6.0, 7.0]).unwrap();
        let scene = Scene::new(vec![a, b]).at(Timestamp::from_secs(86_400));
        assert_eq!(scene.view().bars(0).len(), 2);
        assert_eq!(scene.view().bars(1).len(), 1);
        assert_eq!(scene.updated(), &[0, 1]);
        assert_eq!(scene.context().portfolio.mark(1), 5.0);
    }

    #[test]
    fn scene_holds_a_position_at_the_visible_close() {
        let a = daily_bars("A", 0, &[10.0, 20.0]).unwrap();
        let b = daily_bars("B", 1, &[5.0]).unwrap();
        let scene = Scene::new(vec![a, b])
            .at(Timestamp::from_secs(0))
            .holding("A", -3)
            .unwrap();
        let p = scene.context().portfolio;
        assert_eq!(p.position(0), Quantity::from(-3));
        assert_eq!(p.cash(), Money::from(10_030));
        let e = scene.holding("B", 1).err().unwrap();
        assert!(matches!(e, TestkitError::NoPrice { .. }), "{e}");
    }

    #[test]
    fn replay_names_a_symbol_the_decider_should_not_order() {
        struct Stray;
        impl Decider for Stray {
            fn name(&self) -> String {
                "stray".into()
            }
            fn on_step(
                &mut self,
                _: &DecisionContext<'_>,
                decision: &mut Decision,
            ) -> Result<(), DecideError> {
                let orders = &mut decision.orders;
                orders.push(OrderIntent::market(
                    Symbol::new("ZZZ").unwrap(),
                    Side::Buy,
                    Sizing::AllIn,
                    "test",
                ));
                Ok(())
            }
        }
        let s = daily_bars("A", 0, &[1.0]).unwrap();
        let e = Replay::new(vec![s]).run(&mut Stray).unwrap_err();
        assert!(e.to_string().contains("ordered ZZZ"), "{e}");
    }

    #[test]
    fn bad_test_prices_name_the_bar() {
        let e = daily_bars("A", 0, &[1.0, -2.0]).unwrap_err();
        assert!(e.to_string().starts_with("test bars: bar 1 of A:"), "{e}");
    }
}
