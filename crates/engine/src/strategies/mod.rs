//! Built-in rule-based strategies; [`DeciderRegistry::builtin`] registers them by name.
//!
//! Every strategy is a [`Decider`] that handles any number of symbols: it keeps one
//! state per symbol index (sized at its first step from `ctx.view.len()`), looks only
//! at the symbols in `ctx.updated`, feeds each new bar to its indicators exactly once
//! and allocates nothing per bar (only the reason text of an order it emits).
//!
//! With `allow_short` (the run's `--allow-short`) a sell signal opens a short
//! position; without it, it only closes a long one.

#![warn(missing_docs)]

mod breakout;
mod buy_and_hold;
#[cfg(test)]
mod multi_symbol_tests;
mod params;
mod rsi_reversion;
mod sma_cross;
#[cfg(test)]
mod testkit;

pub use breakout::Breakout;
pub use buy_and_hold::BuyAndHold;
pub use rsi_reversion::RsiReversion;
pub use sma_cross::SmaCross;

use crate::decider::Decider;
use crate::registry::{DeciderArgs, DeciderRegistry};
use crate::view::DataView;
use std::borrow::Cow;
use tradelab_core::Bar;
use tradelab_core::reason::number as num;

/// A decider as listed by `tradelab strategies` and the API: its name, what it does and
/// its parameters with defaults.
///
/// The text is a [`Cow`] so one type serves both kinds of entry: the built-ins are
/// compiled-in constants ([`StrategyInfo::fixed`], nothing allocated), while a plug-in
/// registered at run time may describe itself with text it computed or read from its
/// configuration ([`StrategyInfo::new`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrategyInfo {
    /// Name used to select it, e.g. `sma_cross`.
    pub name: Cow<'static, str>,
    /// One line saying what it does.
    pub summary: Cow<'static, str>,
    /// Its parameters, with defaults, in the order they are listed.
    pub params: Cow<'static, [ParamInfo]>,
}

impl StrategyInfo {
    /// An entry known when compiling, usable in a `const`. Declare the parameters as
    /// their own `const P: &[ParamInfo] = &[…]` and pass `P`: an array written inside
    /// the call is a temporary that a `const` cannot keep.
    pub const fn fixed(
        name: &'static str,
        summary: &'static str,
        params: &'static [ParamInfo],
    ) -> Self {
        StrategyInfo {
            name: Cow::Borrowed(name),
            summary: Cow::Borrowed(summary),
            params: Cow::Borrowed(params),
        }
    }

    /// An entry built at run time, e.g. by a plug-in from its own configuration.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        summary: impl Into<Cow<'static, str>>,
        params: impl Into<Cow<'static, [ParamInfo]>>,
    ) -> Self {
        StrategyInfo {
            name: name.into(),
            summary: summary.into(),
            params: params.into(),
        }
    }

    /// The declared parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&ParamInfo> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// One strategy parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamInfo {
    /// Name as given on the command line (`fast=10`).
    pub name: Cow<'static, str>,
    /// Value used when the parameter is not given.
    pub default: Cow<'static, str>,
    /// What it means and which values it accepts.
    pub help: Cow<'static, str>,
}

impl ParamInfo {
    /// A parameter known when compiling, usable in a `const`.
    pub const fn fixed(name: &'static str, default: &'static str, help: &'static str) -> Self {
        ParamInfo {
            name: Cow::Borrowed(name),
            default: Cow::Borrowed(default),
            help: Cow::Borrowed(help),
        }
    }

    /// A parameter described at run time.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        default: impl Into<Cow<'static, str>>,
        help: impl Into<Cow<'static, str>>,
    ) -> Self {
        ParamInfo {
            name: name.into(),
            default: default.into(),
            help: help.into(),
        }
    }
}

/// Why a strategy cannot be built. Each message names the strategy, the parameter and
/// the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    /// No registered strategy has this name.
    #[error("unknown strategy {name:?}; known strategies: {known}")]
    UnknownStrategy {
        /// The name asked for.
        name: String,
        /// Comma-separated names of the registered strategies, or `none`.
        known: String,
    },
    /// The strategy has no parameter of this name.
    #[error("{strategy}: unknown parameter {param:?}; known parameters: {known}")]
    UnknownParam {
        /// Strategy name.
        strategy: &'static str,
        /// The parameter name given.
        param: String,
        /// Comma-separated parameter names, or `none`.
        known: String,
    },
    /// The same parameter was given more than once.
    #[error("{strategy}: parameter {param} is given more than once")]
    DuplicateParam {
        /// Strategy name.
        strategy: &'static str,
        /// The repeated parameter.
        param: String,
    },
    /// The value does not parse as the expected kind of number.
    #[error("{strategy}: {param} ({value}) is not {expected}")]
    NotANumber {
        /// Strategy name.
        strategy: &'static str,
        /// Parameter name.
        param: &'static str,
        /// The text given.
        value: String,
        /// What was expected, e.g. `a whole number`.
        expected: &'static str,
    },
    /// The value is a number outside the allowed range or breaks a relation with
    /// another parameter.
    #[error("{strategy}: {param} ({value}) must be {rule}")]
    OutOfRange {
        /// Strategy name.
        strategy: &'static str,
        /// Parameter name.
        param: &'static str,
        /// The value given.
        value: String,
        /// The rule it breaks, e.g. `smaller than slow (20)`.
        rule: String,
    },
    /// A plug-in decider (registered outside this crate) cannot be built from what
    /// was given; the message names the parameter and says what to give instead.
    #[error("{strategy}: {message}")]
    Invalid {
        /// Strategy name.
        strategy: String,
        /// What is wrong and what to do.
        message: String,
    },
}

static CATALOG: [StrategyInfo; 4] = [
    buy_and_hold::INFO,
    sma_cross::INFO,
    rsi_reversion::INFO,
    breakout::INFO,
];

/// The built-in strategies, in display order.
pub fn catalog() -> &'static [StrategyInfo] {
    &CATALOG
}

/// Builds the built-in strategy `name` from `key=value` parameters (missing ones take
/// their defaults). `allow_short` is the run's shorting permission: it decides whether
/// sell signals open short positions. Drivers that should accept plug-in deciders build
/// through a [`DeciderRegistry`] instead; this is [`DeciderRegistry::builtin`]'s.
pub fn build(
    name: &str,
    params: &[(String, String)],
    allow_short: bool,
) -> Result<Box<dyn Decider>, StrategyError> {
    DeciderRegistry::builtin().build(name, params, allow_short)
}

/// A built-in strategy's constructor, as the registry calls it.
type BuiltinConstructor = fn(DeciderArgs<'_>) -> Result<Box<dyn Decider>, StrategyError>;

/// The built-in strategies with their constructors, in catalog order, for
/// [`DeciderRegistry::builtin`].
pub(crate) fn builtin_constructors() -> [(StrategyInfo, BuiltinConstructor); 4] {
    [
        (buy_and_hold::INFO, |a| {
            Ok(Box::new(BuyAndHold::from_params(a.params)?))
        }),
        (sma_cross::INFO, |a| {
            Ok(Box::new(SmaCross::from_params(a.params, a.allow_short)?))
        }),
        (rsi_reversion::INFO, |a| {
            Ok(Box::new(RsiReversion::from_params(
                a.params,
                a.allow_short,
            )?))
        }),
        (breakout::INFO, |a| {
            Ok(Box::new(Breakout::from_params(a.params, a.allow_short)?))
        }),
    ]
}

/// Direction of the position a strategy holds in one symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Holding {
    Flat,
    Long,
    Short,
}

impl Holding {
    fn of(ctx: &crate::decider::DecisionContext<'_>, i: usize) -> Holding {
        let q = ctx.portfolio.position(i);
        if q.is_zero() {
            Holding::Flat
        } else if q.get().is_sign_positive() {
            Holding::Long
        } else {
            Holding::Short
        }
    }
}

/// The bars of symbol `i` the strategy has not seen yet (normally exactly one), and
/// marks them seen. `seen` counts the bars already fed to the symbol's indicators.
fn unseen_bars<'a>(seen: &mut usize, view: &DataView<'a>, i: usize) -> &'a [Bar] {
    let bars = view.bars(i);
    let from = (*seen).min(bars.len());
    *seen = bars.len();
    &bars[from..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn builds_every_catalogued_strategy_with_defaults() {
        for info in catalog() {
            let d = build(&info.name, &[], false).unwrap();
            assert!(d.name().starts_with(&*info.name), "{}", d.name());
        }
    }

    #[test]
    fn names_carry_the_parameters() {
        let d = build("sma_cross", &p(&[("slow", "30")]), false).unwrap();
        assert_eq!(d.name(), "sma_cross(fast=10, slow=30)");
        let d = build("rsi_reversion", &[], true).unwrap();
        assert_eq!(d.name(), "rsi_reversion(period=14, lower=30, upper=70)");
        assert_eq!(
            build("breakout", &[], false).unwrap().name(),
            "breakout(lookback=20)"
        );
        assert_eq!(
            build("buy_and_hold", &[], false).unwrap().name(),
            "buy_and_hold"
        );
    }

    #[test]
    fn min_bars_is_the_earliest_bar_count_at_which_a_strategy_can_order() {
        let cases = [
            ("buy_and_hold", p(&[])),
            ("sma_cross", p(&[("fast", "2"), ("slow", "5")])),
            (
                "rsi_reversion",
                p(&[("period", "3"), ("lower", "40"), ("upper", "60")]),
            ),
            ("breakout", p(&[("lookback", "3")])),
        ];
        for (name, params) in cases {
            let min_bars = build(name, &params, true).unwrap().min_bars();
            let mut earliest = usize::MAX;
            for seed in 1..400u64 {
                let mut state = seed;
                let closes: Vec<f64> = (0..40)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        100.0 + (state % 2001) as f64 / 100.0
                    })
                    .collect();
                let mut d = build(name, &params, true).unwrap();
                let got =
                    testkit::Replay::new(vec![testkit::series("X", 0, &closes)]).run(d.as_mut());
                if let Some(first) = got.first() {
                    earliest = earliest.min(first.step + 1);
                }
            }
            // Never before, and on some data exactly then.
            assert_eq!(earliest, min_bars, "{name}");
        }
    }

    #[test]
    fn unknown_strategy_lists_the_known_names() {
        let e = build("golden_goose", &[], false).err().unwrap();
        assert_eq!(
            e.to_string(),
            "unknown strategy \"golden_goose\"; known strategies: \
             buy_and_hold, sma_cross, rsi_reversion, breakout"
        );
    }

    #[test]
    fn catalog_defaults_are_accepted_explicitly() {
        for info in catalog() {
            let given: Vec<_> = info
                .params
                .iter()
                .map(|p| (p.name.to_string(), p.default.to_string()))
                .collect();
            assert!(build(&info.name, &given, true).is_ok(), "{}", info.name);
        }
    }
}
