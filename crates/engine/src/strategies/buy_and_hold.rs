//! Buy every symbol at its first bar and hold to the end.

use super::params::Params;
use super::{ParamInfo, StrategyError, StrategyInfo};
use crate::decider::{DecideError, Decider, Decision, DecisionContext};
use rust_decimal::{Decimal, RoundingStrategy};
use tradelab_core::{Money, OrderIntent, Side, Sizing};

/// Name the strategy is selected by.
const NAME: &str = "buy_and_hold";

/// Declared parameters, with defaults.
const PARAMS: &[ParamInfo] = &[];

/// How `tradelab strategies` lists it.
pub(super) const INFO: StrategyInfo = StrategyInfo::fixed(
    NAME,
    "Buy each symbol at its first bar and hold it to the end (the benchmark).",
    PARAMS,
);

/// Buys each symbol once, at the first step where it has a bar, and never sells.
///
/// - One symbol: `Sizing::AllIn` (all equity into whole units).
/// - `n` symbols: `Sizing::Cash(initial_cash / n)` per symbol (rounded down to the
///   cent), an equal-weight portfolio at the start that is never rebalanced. A symbol
///   whose data starts later still gets its `1/n` share of the initial cash.
///
/// Each symbol gets one order; if the engine rejects it, it is not retried.
#[derive(Clone, Debug, Default)]
pub struct BuyAndHold {
    bought: Vec<bool>,
}

impl BuyAndHold {
    /// A buy-and-hold decider.
    pub fn new() -> Self {
        BuyAndHold::default()
    }

    /// Builds from `key=value` parameters (it has none: any parameter is an error).
    pub fn from_params(params: &[(String, String)]) -> Result<Self, StrategyError> {
        Params::new(NAME, PARAMS, params)?;
        Ok(BuyAndHold::new())
    }
}

impl Decider for BuyAndHold {
    fn name(&self) -> String {
        NAME.to_string()
    }

    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        let n = ctx.view.len();
        if self.bought.len() != n {
            self.bought = vec![false; n];
        }
        for &i in ctx.updated {
            if std::mem::replace(&mut self.bought[i], true) {
                continue;
            }
            let symbol = ctx.view.symbol(i);
            let (sizing, reason) = if n == 1 {
                (
                    Sizing::AllIn,
                    format!("buy and hold: all-in {symbol} at its first bar"),
                )
            } else {
                let share = (ctx.portfolio.initial_cash().get() / Decimal::from(n as u64))
                    .round_dp_with_strategy(2, RoundingStrategy::ToZero);
                (
                    Sizing::Cash(Money(share)),
                    format!("buy and hold: 1/{n} of the initial cash ({share}) in {symbol}"),
                )
            };
            orders.push(OrderIntent::market(
                symbol.clone(),
                Side::Buy,
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

    #[test]
    fn single_symbol_buys_all_in_once_at_the_first_bar() {
        let s = series("GOOG", 0, &[10.0, 11.0, 12.0]);
        let got = Replay::new(vec![s]).run(&mut BuyAndHold::new());
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].step, got[0].intent.sizing), (0, Sizing::AllIn));
        assert_eq!(got[0].intent.side, Side::Buy);
    }

    #[test]
    fn several_symbols_get_equal_cash_each_at_their_own_first_bar() {
        let a = series("A", 0, &[10.0, 11.0, 12.0, 13.0]);
        let b = series("B", 0, &[5.0, 6.0, 7.0, 8.0]);
        let c = series("C", 2, &[20.0, 21.0]);
        let got = Replay::new(vec![a, b, c]).run(&mut BuyAndHold::new());
        let third = Sizing::Cash(Money(Decimal::new(333_333, 2)));
        let summary: Vec<_> = got
            .iter()
            .map(|o| {
                (
                    o.step,
                    o.intent.symbol.as_str().to_string(),
                    o.intent.sizing,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, "A".to_string(), third),
                (0, "B".to_string(), third),
                (2, "C".to_string(), third),
            ]
        );
    }

    #[test]
    fn rejects_any_parameter() {
        let e = BuyAndHold::from_params(&[("n".into(), "1".into())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "buy_and_hold: unknown parameter \"n\"; known parameters: none"
        );
    }
}
