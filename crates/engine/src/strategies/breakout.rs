//! Channel (Donchian) breakout.

use super::params::{Params, out_of_range};
use super::{Holding, ParamInfo, StrategyError, StrategyInfo, num, unseen_bars};
use crate::decider::{DecideError, Decider, Decision, DecisionContext};
use crate::indicators::{RollingMax, RollingMin};
use tradelab_core::{OrderIntent, Side, Sizing};

/// Name the strategy is selected by.
const NAME: &str = "breakout";

/// Declared parameters, with defaults.
const PARAMS: &[ParamInfo] = &[ParamInfo::fixed(
    "lookback",
    "20",
    "bars in the channel, not counting the current bar (whole number >= 1)",
)];

/// How `tradelab strategies` lists it.
pub(super) const INFO: StrategyInfo = StrategyInfo::fixed(
    NAME,
    "Buy when the close breaks above the highest high of the previous `lookback` \
              bars; exit when it breaks below the lowest low (stop-and-reverse into a short \
              with --allow-short).",
    PARAMS,
);

/// Donchian channel breakout. At bar t, `HH` = highest high and `LL` = lowest low of
/// bars t−lookback … t−1 (the current bar excluded); signals use strict comparisons:
///
/// - `close > HH`: flat → `Buy AllIn`; short → `Buy AllIn` with `allow_short`
///   (stop-and-reverse), `Buy ClosePosition` without; long → nothing.
/// - `close < LL`: long → `Sell AllIn` with `allow_short` (stop-and-reverse),
///   `Sell ClosePosition` without; flat → `Sell AllIn` with `allow_short`, nothing
///   without; short → nothing.
///
/// The first signal can come at bar index `lookback`.
#[derive(Clone, Debug)]
pub struct Breakout {
    lookback: usize,
    allow_short: bool,
    proto: State,
    states: Vec<State>,
}

#[derive(Clone, Debug)]
struct State {
    seen: usize,
    highs: RollingMax,
    lows: RollingMin,
}

impl Breakout {
    /// A breakout of the `lookback`-bar channel; needs `lookback >= 1`.
    pub fn new(lookback: usize, allow_short: bool) -> Result<Self, StrategyError> {
        let err = || out_of_range(NAME, "lookback", lookback, "at least 1".into());
        let proto = State {
            seen: 0,
            highs: RollingMax::new(lookback).map_err(|_| err())?,
            lows: RollingMin::new(lookback).map_err(|_| err())?,
        };
        Ok(Breakout {
            lookback,
            allow_short,
            proto,
            states: Vec::new(),
        })
    }

    /// Builds from the `key=value` parameter `lookback`.
    pub fn from_params(
        params: &[(String, String)],
        allow_short: bool,
    ) -> Result<Self, StrategyError> {
        let p = Params::new(NAME, PARAMS, params)?;
        Breakout::new(p.period("lookback")?, allow_short)
    }
}

impl Decider for Breakout {
    fn name(&self) -> String {
        format!("breakout(lookback={})", self.lookback)
    }

    fn min_bars(&self) -> usize {
        self.lookback + 1
    }

    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        if self.states.len() != ctx.view.len() {
            self.states = vec![self.proto.clone(); ctx.view.len()];
        }
        for &i in ctx.updated {
            let st = &mut self.states[i];
            let mut channel = None;
            for bar in unseen_bars(&mut st.seen, &ctx.view, i) {
                channel = st
                    .highs
                    .value()
                    .zip(st.lows.value())
                    .map(|hl| (hl, bar.close()));
                st.highs.update(bar.high());
                st.lows.update(bar.low());
            }
            let Some(((hh, ll), close)) = channel else {
                continue;
            };
            let (side, level) = if close > hh {
                (Side::Buy, hh)
            } else if close < ll {
                (Side::Sell, ll)
            } else {
                continue;
            };
            let holding = Holding::of(ctx, i);
            let sizing = match (side, holding) {
                (Side::Buy, Holding::Long) | (Side::Sell, Holding::Short) => continue,
                (Side::Buy, Holding::Flat) => Sizing::AllIn,
                (Side::Sell, Holding::Flat) if self.allow_short => Sizing::AllIn,
                (Side::Sell, Holding::Flat) => continue,
                _ if self.allow_short => Sizing::AllIn,
                _ => Sizing::ClosePosition,
            };
            let (rel, name) = match side {
                Side::Buy => ("above", "highest high"),
                Side::Sell => ("below", "lowest low"),
            };
            let reason = format!(
                "close {} broke {rel} the {}-bar {name} {}",
                num(close),
                self.lookback,
                num(level)
            );
            orders.push(OrderIntent::market(
                ctx.view.symbol(i).clone(),
                side,
                sizing,
                reason,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Replay, series, series_hlc};
    use super::*;

    const CLOSES: [f64; 9] = [10.0, 11.0, 12.0, 12.0, 13.0, 14.0, 11.0, 10.0, 15.0];

    fn run(allow_short: bool) -> Vec<(usize, Side, Sizing)> {
        let mut d = Breakout::new(3, allow_short).unwrap();
        Replay::new(vec![series("X", 0, &CLOSES)])
            .run(&mut d)
            .into_iter()
            .map(|e| (e.step, e.intent.side, e.intent.sizing))
            .collect()
    }

    #[test]
    fn breakout_buys_above_the_high_and_exits_below_the_low_of_the_previous_bars() {
        // Bar 3 only equals the 3-bar high (strict: no signal); bar 7 breaks the low
        // again while flat: nothing without shorting.
        assert_eq!(
            run(false),
            vec![
                (4, Side::Buy, Sizing::AllIn),
                (6, Side::Sell, Sizing::ClosePosition),
                (8, Side::Buy, Sizing::AllIn),
            ]
        );
    }

    #[test]
    fn breakout_with_shorting_stops_and_reverses() {
        assert_eq!(
            run(true),
            vec![
                (4, Side::Buy, Sizing::AllIn),
                (6, Side::Sell, Sizing::AllIn),
                (8, Side::Buy, Sizing::AllIn),
            ]
        );
    }

    #[test]
    fn breakout_channel_excludes_the_current_bar() {
        // The current bar's own high (12) is above its close (11); the channel of the
        // two previous bars tops at 10, so the close breaks out.
        let bars = [(10.0, 9.0, 10.0), (10.0, 9.0, 9.5), (12.0, 10.0, 11.0)];
        let mut d = Breakout::new(2, false).unwrap();
        let got = Replay::new(vec![series_hlc("X", 0, &bars)]).run(&mut d);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].step, got[0].intent.side), (2, Side::Buy));
        assert_eq!(
            got[0].intent.reason.to_string(),
            "close 11.00 broke above the 2-bar highest high 10.00"
        );
    }

    #[test]
    fn rejects_zero_lookback() {
        let e = Breakout::from_params(&[("lookback".into(), "0".into())], false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "breakout: lookback (0) must be between 1 and 1000000"
        );
        assert!(Breakout::new(0, true).is_err());
    }
}
