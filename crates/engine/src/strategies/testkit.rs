//! Test helper: steps a decider over bar series without the engine's run loop, and
//! fills its orders instantly at the close so position-dependent logic can be checked.

use crate::decider::{Decider, DecisionContext};
use crate::portfolio::{LedgerFill, Portfolio};
use crate::view::DataView;
use tradelab_core::{
    Bar, BarSeries, Money, OrderIntent, Price, Quantity, Side, Sizing, Symbol, Timestamp,
};

/// Units a simulated all-in order buys or sells short.
const ALL_IN_UNITS: i64 = 100;

/// Daily bars from `start_day` (days since 1970-01-01) with `open = high = low = close`.
pub(crate) fn series(symbol: &str, start_day: i64, closes: &[f64]) -> BarSeries {
    let hlc: Vec<_> = closes.iter().map(|&c| (c, c, c)).collect();
    series_hlc(symbol, start_day, &hlc)
}

/// Daily bars from `start_day` with the given `(high, low, close)` and `open = close`.
pub(crate) fn series_hlc(symbol: &str, start_day: i64, hlc: &[(f64, f64, f64)]) -> BarSeries {
    let bars = hlc
        .iter()
        .enumerate()
        .map(|(k, &(h, l, c))| {
            let ts = Timestamp::from_secs((start_day + k as i64) * 86_400);
            Bar::new(ts, c, h, l, c, 0.0).unwrap()
        })
        .collect();
    BarSeries::new(Symbol::new(symbol).unwrap(), bars).unwrap()
}

/// An order intent and the step (index into the merged timeline) it was emitted at.
#[derive(Debug)]
pub(crate) struct Emitted {
    pub step: usize,
    pub ts: Timestamp,
    pub intent: OrderIntent,
}

/// A minimal replay: merged timeline, point-in-time view, instant fills at the close.
pub(crate) struct Replay {
    series: Vec<BarSeries>,
    ask_twice: bool,
}

impl Replay {
    pub(crate) fn new(series: Vec<BarSeries>) -> Self {
        Replay {
            series,
            ask_twice: false,
        }
    }

    /// Calls the decider a second time at every step with the same bars (no new data).
    pub(crate) fn asking_twice(mut self) -> Self {
        self.ask_twice = true;
        self
    }

    /// Runs `decider` over every step; returns every intent it emitted.
    pub(crate) fn run(&self, decider: &mut dyn Decider) -> Vec<Emitted> {
        let symbols = self.series.iter().map(|s| s.symbol().clone()).collect();
        let mut portfolio = Portfolio::new(Money::from(10_000), symbols);
        let mut times: Vec<Timestamp> = self
            .series
            .iter()
            .flat_map(|s| s.bars().iter().map(|b| b.ts()))
            .collect();
        times.sort();
        times.dedup();
        let mut visible = vec![0usize; self.series.len()];
        let (mut updated, mut buf, mut out) = (Vec::new(), Vec::new(), Vec::new());
        for (step, &now) in times.iter().enumerate() {
            updated.clear();
            for (i, s) in self.series.iter().enumerate() {
                if s.bars().get(visible[i]).is_some_and(|b| b.ts() == now) {
                    visible[i] += 1;
                    updated.push(i);
                    portfolio.set_mark(i, s.bars()[visible[i] - 1].close());
                }
            }
            let ctx = DecisionContext {
                now,
                view: DataView::new(&self.series, &visible),
                updated: &updated,
                portfolio: &portfolio,
                rejections: &[],
            };
            decider.on_step(&ctx, &mut buf);
            if self.ask_twice {
                decider.on_step(&ctx, &mut buf);
            }
            for intent in buf.drain(..) {
                let i = self
                    .series
                    .iter()
                    .position(|s| *s.symbol() == intent.symbol)
                    .unwrap();
                fill(&mut portfolio, i, &intent, now, step);
                out.push(Emitted {
                    step,
                    ts: now,
                    intent,
                });
            }
        }
        out
    }
}

fn fill(p: &mut Portfolio, i: usize, intent: &OrderIntent, ts: Timestamp, step: usize) {
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
        return;
    }
    p.apply(LedgerFill {
        symbol: i,
        side: if delta.is_sign_positive() {
            Side::Buy
        } else {
            Side::Sell
        },
        qty: Quantity(delta.abs()),
        price: Price::from_f64(p.mark(i)).unwrap(),
        commission: Money::ZERO,
        ts,
        step,
    })
    .expect("test amounts fit the ledger");
}

/// Columns of a fixture under `tests/fixtures/indicators/`: `(high, low, close)` per bar
/// and the `cross` column (1 up, −1 down, 0 none).
pub(crate) fn fixture(name: &str) -> (Vec<(f64, f64, f64)>, Vec<i32>) {
    let path = format!(
        "{}/tests/fixtures/indicators/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (h, l, c, x) = (at("high"), at("low"), at("close"), at("cross"));
    let (mut hlc, mut cross) = (Vec::new(), Vec::new());
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let num = |k: usize| cells[k].parse::<f64>().unwrap();
        hlc.push((num(h), num(l), num(c)));
        cross.push(cells[x].parse().unwrap());
    }
    (hlc, cross)
}
