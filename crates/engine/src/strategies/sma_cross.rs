//! Fast/slow simple-moving-average crossover.

use super::params::{Params, out_of_range};
use super::{Holding, ParamInfo, StrategyError, StrategyInfo, unseen_bars};
use crate::decider::{DecideError, Decider, Decision, DecisionContext};
use crate::indicators::Sma;
use std::sync::Arc;
use tradelab_core::{OrderIntent, Phrase, Reason, Side, Sizing};

/// Name the strategy is selected by.
const NAME: &str = "sma_cross";

/// Declared parameters, with defaults.
const PARAMS: &[ParamInfo] = &[
    ParamInfo::fixed(
        "fast",
        "10",
        "bars in the fast SMA (whole number >= 1, smaller than slow)",
    ),
    ParamInfo::fixed(
        "slow",
        "20",
        "bars in the slow SMA (whole number, larger than fast)",
    ),
];

/// How `tradelab strategies` lists it.
pub(super) const INFO: StrategyInfo = StrategyInfo::fixed(
    NAME,
    "Buy when the fast SMA of closes crosses above the slow one; sell when it \
              crosses below (short with --allow-short, else close the long).",
    PARAMS,
);

/// SMA crossover on closes, as backtesting.py's `SmaCross` example with
/// `exclusive_orders=True`.
///
/// Cross up at bar t ⇔ `fast[t−1] < slow[t−1] && fast[t] > slow[t]` (strict; an exact
/// tie is neither above nor below), cross down the mirror. The first signal can come at
/// the first bar where both averages exist at t−1 and t (bar index `slow` with 0-based
/// indices). The SMAs reproduce pandas' rolling mean bit for bit, so ties resolve as in
/// backtesting.py.
///
/// - Cross up → `Buy AllIn` (always, also when already long: the broker closes and
///   reopens, like backtesting.py).
/// - Cross down → with `allow_short`: `Sell AllIn` (close any long, open a short);
///   without: `Sell ClosePosition` when long, nothing otherwise.
#[derive(Clone, Debug)]
pub struct SmaCross {
    fast: usize,
    slow: usize,
    allow_short: bool,
    proto: State,
    states: Vec<State>,
    /// `SMA(fast) n crossed above SMA(slow) n`: the reason of a cross up, written out
    /// only when read.
    crossed_above: Arc<Phrase>,
    /// The same for a cross down.
    crossed_below: Arc<Phrase>,
}

#[derive(Clone, Debug)]
struct State {
    seen: usize,
    fast: Sma,
    slow: Sma,
    /// `(fast, slow)` at the previous bar; NaN until both exist (NaN compares false, so
    /// no cross is seen before both averages exist at the previous bar).
    prev: (f64, f64),
}

impl State {
    /// Feeds one close to both averages; returns the cross it completes, if any, with
    /// the averages' values.
    #[inline(always)]
    fn feed(&mut self, close: f64) -> Option<(Side, f64, f64)> {
        if !(self.fast.is_full() && self.slow.is_full()) {
            return self.feed_warming_up(close);
        }
        let (f, s) = (self.fast.roll(close), self.slow.roll(close));
        self.cross_to(f, s)
    }

    /// `feed` while an average has fewer values than its period (the first bars).
    #[inline(never)]
    fn feed_warming_up(&mut self, close: f64) -> Option<(Side, f64, f64)> {
        let (f, s) = (self.fast.update(close), self.slow.update(close));
        let (Some(f), Some(s)) = (f, s) else {
            return None;
        };
        self.cross_to(f, s)
    }

    /// Records the averages `(f, s)` of this bar; returns the cross they complete.
    #[inline(always)]
    fn cross_to(&mut self, f: f64, s: f64) -> Option<(Side, f64, f64)> {
        let (pf, ps) = self.prev;
        self.prev = (f, s);
        // Evaluated without short-circuit: one branch per bar, taken only at a cross.
        let up = (pf < ps) & (f > s);
        let down = (pf > ps) & (f < s);
        if !(up | down) {
            return None;
        }
        Some((if up { Side::Buy } else { Side::Sell }, f, s))
    }
}

impl SmaCross {
    /// A crossover of SMA(`fast`) and SMA(`slow`); needs `1 <= fast < slow`.
    pub fn new(fast: usize, slow: usize, allow_short: bool) -> Result<Self, StrategyError> {
        let err = |rule: String| out_of_range(NAME, "fast", fast, rule);
        if fast >= slow {
            return Err(err(format!("smaller than slow ({slow})")));
        }
        let proto = State {
            seen: 0,
            fast: Sma::new(fast).map_err(|_| err("at least 1".into()))?,
            slow: Sma::new(slow).map_err(|_| err("at least 1".into()))?,
            prev: (f64::NAN, f64::NAN),
        };
        Ok(SmaCross {
            fast,
            slow,
            allow_short,
            proto,
            states: Vec::new(),
            crossed_above: Phrase::two(
                &format!("SMA({fast}) "),
                &format!(" crossed above SMA({slow}) "),
                "",
            ),
            crossed_below: Phrase::two(
                &format!("SMA({fast}) "),
                &format!(" crossed below SMA({slow}) "),
                "",
            ),
        })
    }

    /// Builds from `key=value` parameters `fast` and `slow`.
    pub fn from_params(
        params: &[(String, String)],
        allow_short: bool,
    ) -> Result<Self, StrategyError> {
        let p = Params::new(NAME, PARAMS, params)?;
        SmaCross::new(p.period("fast")?, p.period("slow")?, allow_short)
    }
}

impl Decider for SmaCross {
    fn name(&self) -> String {
        format!("sma_cross(fast={}, slow={})", self.fast, self.slow)
    }

    fn min_bars(&self) -> usize {
        self.slow + 1
    }

    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        // The usual step: one symbol with exactly one new bar and both averages full.
        // Kept free of calls but the final one, so it saves no registers.
        if let [i] = *ctx.updated
            && self.states.len() == ctx.view.len()
        {
            let bars = ctx.view.bars(i);
            if let Some(st) = self.states.get_mut(i)
                && let [.., last] = bars
                && bars.len() == st.seen + 1
                && st.fast.is_full()
                && st.slow.is_full()
            {
                st.seen += 1;
                let close = last.close();
                let (f, s) = (st.fast.roll(close), st.slow.roll(close));
                if let Some((side, f, s)) = st.cross_to(f, s) {
                    self.signal(ctx, i, side, f, s, orders);
                }
                return Ok(());
            }
        }
        self.step_general(ctx, orders);
        Ok(())
    }
}

impl SmaCross {
    /// `on_step` in general: any number of updated symbols, the first bars, gaps.
    #[inline(never)]
    fn step_general(&mut self, ctx: &DecisionContext<'_>, orders: &mut Vec<OrderIntent>) {
        if self.states.len() != ctx.view.len() {
            self.start(ctx.view.len());
        }
        for &i in ctx.updated {
            let bars = ctx.view.bars(i);
            let Some(st) = self.states.get_mut(i) else {
                continue;
            };
            let cross = if let [.., last] = bars
                && bars.len() == st.seen + 1
            {
                // The usual case: exactly one new bar.
                st.seen += 1;
                st.feed(last.close())
            } else {
                st.catch_up(ctx, i)
            };
            if let Some((side, f, s)) = cross {
                self.signal(ctx, i, side, f, s, orders);
            }
        }
    }
}

impl State {
    /// Feeds every bar of symbol `i` not seen yet (none, or several after a gap in
    /// the calls); returns the cross of the last one.
    #[inline(never)]
    fn catch_up(&mut self, ctx: &DecisionContext<'_>, i: usize) -> Option<(Side, f64, f64)> {
        let mut cross = None;
        for bar in unseen_bars(&mut self.seen, &ctx.view, i) {
            cross = self.feed(bar.close());
        }
        cross
    }
}

impl SmaCross {
    /// Fresh indicator states for `symbols` symbols (at the first step).
    #[cold]
    #[inline(never)]
    fn start(&mut self, symbols: usize) {
        self.states = vec![self.proto.clone(); symbols];
    }

    /// Turns a cross of symbol `i` into an order intent (rare: kept out of the per-bar
    /// path).
    #[inline(never)]
    fn signal(
        &mut self,
        ctx: &DecisionContext<'_>,
        i: usize,
        side: Side,
        f: f64,
        s: f64,
        orders: &mut Vec<OrderIntent>,
    ) {
        let sizing = match (side, self.allow_short, Holding::of(ctx, i)) {
            (Side::Buy, _, _) | (Side::Sell, true, _) => Sizing::AllIn,
            (Side::Sell, false, Holding::Long) => Sizing::ClosePosition,
            (Side::Sell, false, _) => return,
        };
        let phrase = if side == Side::Buy {
            &self.crossed_above
        } else {
            &self.crossed_below
        };
        orders.push(OrderIntent::market(
            ctx.view.symbol(i).clone(),
            side,
            sizing,
            Reason::phrase(phrase, [f, s]),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Replay, fixture, series, series_hlc};
    use super::*;

    fn run(
        closes: &[f64],
        fast: usize,
        slow: usize,
        allow_short: bool,
    ) -> Vec<(usize, Side, Sizing)> {
        let mut d = SmaCross::new(fast, slow, allow_short).unwrap();
        Replay::new(vec![series("X", 0, closes)])
            .run(&mut d)
            .into_iter()
            .map(|e| (e.step, e.intent.side, e.intent.sizing))
            .collect()
    }

    #[test]
    fn sma_cross_signals_only_on_strict_cross() {
        // fast = SMA(1) = close, slow = SMA(2): fast > slow ⇔ the close rose.
        assert_eq!(
            run(&[10.0, 9.0, 10.0], 1, 2, true),
            vec![(2, Side::Buy, Sizing::AllIn)]
        );
        // Below, then an exact tie, then above: no strict cross.
        assert_eq!(run(&[10.0, 9.0, 9.0, 10.0], 1, 2, true), vec![]);
        // Above, tie, below: no strict cross down either.
        assert_eq!(run(&[9.0, 10.0, 10.0, 9.0], 1, 2, true), vec![]);
    }

    #[test]
    fn sma_cross_first_signal_needs_both_averages_at_the_previous_bar() {
        // slow = SMA(3) exists from bar 2; the first possible cross is at bar 3.
        assert_eq!(
            run(&[5.0, 1.0, 1.0, 9.0], 1, 3, true),
            vec![(3, Side::Buy, Sizing::AllIn)]
        );
        assert_eq!(run(&[5.0, 1.0, 9.0], 1, 3, true), vec![]);
    }

    #[test]
    fn sma_cross_down_closes_the_long_without_shorting() {
        let got = run(&[10.0, 9.0, 10.0, 9.0, 10.0, 11.0, 10.0], 1, 2, false);
        assert_eq!(
            got,
            vec![
                (2, Side::Buy, Sizing::AllIn),
                (3, Side::Sell, Sizing::ClosePosition),
                (4, Side::Buy, Sizing::AllIn),
                (6, Side::Sell, Sizing::ClosePosition),
            ]
        );
        // Flat at a cross down: nothing to close, no order.
        assert_eq!(run(&[9.0, 10.0, 9.0], 1, 2, false), vec![]);
    }

    #[test]
    fn sma_cross_down_sells_all_in_with_shorting() {
        assert_eq!(
            run(&[9.0, 10.0, 9.0], 1, 2, true),
            vec![(2, Side::Sell, Sizing::AllIn)]
        );
    }

    #[test]
    fn sma_cross_signals_at_the_crossovers_pandas_finds() {
        for name in ["goog_2004_first600.csv", "random_walk_cents.csv"] {
            let (hlc, cross) = fixture(name);
            let mut d = SmaCross::new(10, 20, true).unwrap();
            let got: Vec<_> = Replay::new(vec![series_hlc("X", 0, &hlc)])
                .run(&mut d)
                .into_iter()
                .map(|e| (e.step, e.intent.side))
                .collect();
            let want: Vec<_> = cross
                .iter()
                .enumerate()
                .filter(|(_, c)| **c != 0)
                .map(|(t, c)| (t, if *c > 0 { Side::Buy } else { Side::Sell }))
                .collect();
            assert!(want.len() > 10, "{name}");
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn sma_cross_reason_names_both_averages() {
        let mut d = SmaCross::new(1, 2, false).unwrap();
        let got = Replay::new(vec![series("X", 0, &[10.0, 9.0, 10.0])]).run(&mut d);
        assert_eq!(
            got[0].intent.reason.to_string(),
            "SMA(1) 10.00 crossed above SMA(2) 9.50"
        );
    }

    #[test]
    fn rejects_fast_not_below_slow() {
        let e = SmaCross::new(30, 20, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sma_cross: fast (30) must be smaller than slow (20)"
        );
        let e = SmaCross::new(20, 20, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sma_cross: fast (20) must be smaller than slow (20)"
        );
    }

    #[test]
    fn rejects_bad_parameter_values() {
        let p = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let msg = |k: &str, v: &str| {
            SmaCross::from_params(&p(k, v), false)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg("fast", "ten"),
            "sma_cross: fast (ten) is not a whole number"
        );
        assert_eq!(
            msg("fast", "0"),
            "sma_cross: fast (0) must be between 1 and 1000000"
        );
        assert_eq!(
            msg("slow", "5"),
            "sma_cross: fast (10) must be smaller than slow (5)"
        );
        assert_eq!(
            msg("fsat", "5"),
            "sma_cross: unknown parameter \"fsat\"; known parameters: fast, slow"
        );
    }
}
