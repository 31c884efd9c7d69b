//! Mean reversion on Wilder's RSI.

use super::params::{Params, out_of_range};
use super::{Holding, ParamInfo, StrategyError, StrategyInfo, num, unseen_bars};
use crate::decider::{DecideError, Decider, Decision, DecisionContext};
use crate::indicators::Rsi;
use tradelab_core::{OrderIntent, Side, Sizing};

/// Name the strategy is selected by.
const NAME: &str = "rsi_reversion";

/// Declared parameters, with defaults.
const PARAMS: &[ParamInfo] = &[
    ParamInfo::fixed(
        "period",
        "14",
        "price changes in Wilder's RSI (whole number >= 1)",
    ),
    ParamInfo::fixed("lower", "30", "oversold level, 0-100, below upper"),
    ParamInfo::fixed("upper", "70", "overbought level, 0-100, above lower"),
];

/// How `tradelab strategies` lists it.
pub(super) const INFO: StrategyInfo = StrategyInfo::fixed(
    NAME,
    "Buy when RSI of closes is below `lower` while flat, close the long when it \
              rises above `upper` (mirrored for shorts with --allow-short).",
    PARAMS,
);

/// RSI mean reversion on closes, with [`Rsi`] (Wilder / TA-Lib). At each new bar, with
/// strict comparisons:
///
/// - flat and `RSI < lower` → `Buy AllIn` (repeated each bar while flat and below, so
///   "crosses below or is below");
/// - long and `RSI > upper` → `Sell ClosePosition`;
/// - with `allow_short`: flat and `RSI > upper` → `Sell AllIn` (open a short);
///   short and `RSI < lower` → `Buy ClosePosition`.
///
/// A position is closed before the opposite one is opened: after a long is closed at
/// `RSI > upper`, a short opens at the next bar where the RSI is still above `upper`.
/// The first signal can come at bar index `period` (the first RSI value).
#[derive(Clone, Debug)]
pub struct RsiReversion {
    period: usize,
    lower: f64,
    upper: f64,
    allow_short: bool,
    proto: State,
    states: Vec<State>,
}

#[derive(Clone, Debug)]
struct State {
    seen: usize,
    rsi: Rsi,
}

impl RsiReversion {
    /// RSI(`period`) reversion between `lower` and `upper`; needs `period >= 1` and
    /// `0 <= lower < upper <= 100`.
    pub fn new(
        period: usize,
        lower: f64,
        upper: f64,
        allow_short: bool,
    ) -> Result<Self, StrategyError> {
        let rsi = Rsi::new(period)
            .map_err(|_| out_of_range(NAME, "period", period, "at least 1".into()))?;
        for (name, v) in [("lower", lower), ("upper", upper)] {
            if !(0.0..=100.0).contains(&v) {
                return Err(out_of_range(NAME, name, v, "between 0 and 100".into()));
            }
        }
        if lower >= upper {
            let rule = format!("smaller than upper ({upper})");
            return Err(out_of_range(NAME, "lower", lower, rule));
        }
        Ok(RsiReversion {
            period,
            lower,
            upper,
            allow_short,
            proto: State { seen: 0, rsi },
            states: Vec::new(),
        })
    }

    /// Builds from `key=value` parameters `period`, `lower` and `upper`.
    pub fn from_params(
        params: &[(String, String)],
        allow_short: bool,
    ) -> Result<Self, StrategyError> {
        let p = Params::new(NAME, PARAMS, params)?;
        let period = p.period("period")?;
        let lower = p.number("lower", 0.0, 100.0)?;
        let upper = p.number("upper", 0.0, 100.0)?;
        RsiReversion::new(period, lower, upper, allow_short)
    }
}

impl Decider for RsiReversion {
    fn name(&self) -> String {
        format!(
            "rsi_reversion(period={}, lower={}, upper={})",
            self.period, self.lower, self.upper
        )
    }

    fn min_bars(&self) -> usize {
        self.period + 1
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
            let mut rsi = None;
            for bar in unseen_bars(&mut st.seen, &ctx.view, i) {
                rsi = st.rsi.update(bar.close());
            }
            let Some(r) = rsi else { continue };
            let (below, above) = (r < self.lower, r > self.upper);
            let (side, sizing, what) = match Holding::of(ctx, i) {
                Holding::Flat if below => (Side::Buy, Sizing::AllIn, "buy"),
                Holding::Flat if above && self.allow_short => {
                    (Side::Sell, Sizing::AllIn, "sell short")
                }
                Holding::Long if above => (Side::Sell, Sizing::ClosePosition, "close long"),
                Holding::Short if below => (Side::Buy, Sizing::ClosePosition, "close short"),
                _ => continue,
            };
            let (rel, level) = if below {
                ("below", self.lower)
            } else {
                ("above", self.upper)
            };
            let reason = format!("RSI({}) {} {rel} {level}: {what}", self.period, num(r));
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
    use super::super::testkit::{Replay, series};
    use super::*;

    /// RSI(2): 0 at bars 2–3, 66.7 at 4, 85.7 at 5, 90.9 at 6–7, 13.3 at 8.
    const CLOSES: [f64; 9] = [10.0, 9.0, 8.0, 7.0, 9.0, 11.0, 12.0, 12.0, 8.0];

    fn run(allow_short: bool) -> Vec<(usize, Side, Sizing)> {
        let mut d = RsiReversion::new(2, 30.0, 70.0, allow_short).unwrap();
        Replay::new(vec![series("X", 0, &CLOSES)])
            .run(&mut d)
            .into_iter()
            .map(|e| (e.step, e.intent.side, e.intent.sizing))
            .collect()
    }

    #[test]
    fn rsi_reversion_buys_below_lower_when_flat_and_closes_above_upper() {
        assert_eq!(
            run(false),
            vec![
                (2, Side::Buy, Sizing::AllIn),
                (5, Side::Sell, Sizing::ClosePosition),
                (8, Side::Buy, Sizing::AllIn),
            ]
        );
    }

    #[test]
    fn rsi_reversion_with_shorting_sells_above_upper_when_flat_and_covers_below_lower() {
        assert_eq!(
            run(true),
            vec![
                (2, Side::Buy, Sizing::AllIn),
                (5, Side::Sell, Sizing::ClosePosition),
                (6, Side::Sell, Sizing::AllIn),
                (8, Side::Buy, Sizing::ClosePosition),
            ]
        );
    }

    #[test]
    fn rsi_reversion_reason_gives_the_rsi_and_the_level() {
        let mut d = RsiReversion::new(2, 30.0, 70.0, false).unwrap();
        let got = Replay::new(vec![series("X", 0, &CLOSES)]).run(&mut d);
        assert_eq!(
            got[0].intent.reason.to_string(),
            "RSI(2) 0.00 below 30: buy"
        );
        assert_eq!(
            got[1].intent.reason.to_string(),
            "RSI(2) 85.7143 above 70: close long"
        );
    }

    #[test]
    fn rejects_lower_not_below_upper() {
        let e = RsiReversion::new(14, 70.0, 30.0, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "rsi_reversion: lower (70) must be smaller than upper (30)"
        );
        assert!(RsiReversion::new(14, 50.0, 50.0, false).is_err());
    }

    #[test]
    fn rejects_levels_outside_0_to_100_and_bad_numbers() {
        let p = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        let msg = |k: &str, v: &str| {
            RsiReversion::from_params(&p(k, v), false)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg("upper", "120"),
            "rsi_reversion: upper (120) must be between 0 and 100"
        );
        assert_eq!(
            msg("lower", "-5"),
            "rsi_reversion: lower (-5) must be between 0 and 100"
        );
        assert_eq!(
            msg("lower", "low"),
            "rsi_reversion: lower (low) is not a number"
        );
        assert_eq!(
            msg("period", "0"),
            "rsi_reversion: period (0) must be between 1 and 1000000"
        );
        assert_eq!(
            RsiReversion::new(0, 30.0, 70.0, false)
                .unwrap_err()
                .to_string(),
            "rsi_reversion: period (0) must be at least 1"
        );
    }
}
