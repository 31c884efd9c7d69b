//! Run configuration: cash, fill model, costs, shorting, and how each symbol trades
//! (its lot step, its week). Printed in every report.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use tradelab_core::{BarSeries, Money, Quantity, Symbol};

/// When and at what price a market order fills.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillModel {
    /// Decided on bar t's close, filled at bar t+1's open (no look-ahead). Default.
    #[default]
    NextOpen,
    /// Filled at the close of the bar it was decided on.
    Close,
}

impl fmt::Display for FillModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FillModel::NextOpen => "next_open",
            FillModel::Close => "close",
        })
    }
}

impl std::str::FromStr for FillModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "next_open" => Ok(FillModel::NextOpen),
            "close" => Ok(FillModel::Close),
            other => Err(format!(
                "unknown fill model {other:?}; expected next_open or close"
            )),
        }
    }
}

/// Commission charged on every fill: `max(rate · notional + per_share · qty, minimum)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commission {
    /// Fraction of notional, e.g. 0.002 for 0.2 %.
    pub rate: Decimal,
    /// Currency per unit traded.
    pub per_share: Decimal,
    /// Minimum per order fill (0 for none).
    pub minimum: Decimal,
}

impl fmt::Display for Commission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rate.is_zero() && self.per_share.is_zero() && self.minimum.is_zero() {
            return f.write_str("none");
        }
        write!(f, "{} of notional", self.rate.normalize())?;
        if !self.per_share.is_zero() {
            write!(f, " + {} per share", self.per_share.normalize())?;
        }
        if !self.minimum.is_zero() {
            write!(f, ", min {} per fill", self.minimum.normalize())?;
        }
        Ok(())
    }
}

/// Why a `SYMBOL=STEP` lot step (a flag's or a setting's text) cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LotStepError {
    #[error("lot step {text:?} is not of the form SYMBOL=STEP (e.g. BTCUSDT=0.00001)")]
    Shape { text: String },
    #[error("lot step {text:?}: {reason}")]
    Symbol { text: String, reason: String },
    #[error(
        "lot step {text:?}: the step must be a positive decimal with at most 12 decimals, \
         at most 1000000 (e.g. 0.00001)"
    )]
    Step { text: String },
}

/// Reads one lot step written `SYMBOL=STEP` (`BTCUSDT=0.00001`), as the CLI's
/// `--lot-step` and model settings take it.
pub fn parse_lot_step(text: &str) -> Result<(Symbol, Quantity), LotStepError> {
    let Some((symbol, step)) = text.split_once('=') else {
        return Err(LotStepError::Shape { text: text.into() });
    };
    let symbol = Symbol::new(symbol.trim()).map_err(|e| LotStepError::Symbol {
        text: text.into(),
        reason: e.to_string(),
    })?;
    let step: Quantity = step
        .trim()
        .parse()
        .map_err(|_| LotStepError::Step { text: text.into() })?;
    if !crate::lots::valid_lot_step(step) {
        return Err(LotStepError::Step { text: text.into() });
    }
    Ok((symbol, Quantity(step.get().normalize())))
}

/// Everything that decides how a run executes, besides data and decider.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub initial_cash: Money,
    pub fill_model: FillModel,
    pub commission: Commission,
    /// Adverse slippage in basis points, applied to market and stop fills.
    pub slippage_bps: Decimal,
    /// Whether sell orders may open or grow a short position.
    pub allow_short: bool,
    /// Close open positions at the last bar's close instead of leaving them open.
    pub close_at_end: bool,
    /// The smallest tradable increment of each listed symbol (e.g. 0.00001 for BTC):
    /// sizing floors to a multiple of it, and a fixed quantity off the step is
    /// rejected. A symbol not listed trades whole units as it always has (a step of 1,
    /// fixed quantities taken as given). See [`RunConfig::lot_step`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lot_steps: BTreeMap<Symbol, Quantity>,
    /// Symbols that trade seven days a week (crypto): when the run holds one, its
    /// equity curve has a point every calendar day and daily returns annualize with
    /// 365 periods a year instead of 252 (see `metrics::periods_per_year_for`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub all_week: BTreeSet<Symbol>,
}

impl RunConfig {
    /// The lot step configured for `symbol`, `None` for whole units (the default).
    /// No lookup at all when no symbol has a step, so stock runs pay nothing for it.
    #[inline]
    pub fn lot_step(&self, symbol: &Symbol) -> Option<Quantity> {
        if self.lot_steps.is_empty() {
            return None;
        }
        self.lot_steps.get(symbol).copied()
    }

    /// The lot steps as `SYMBOL=STEP` text, for reports (empty without any).
    pub fn lot_steps_text(&self) -> Vec<String> {
        self.lot_steps
            .iter()
            .map(|(symbol, step)| format!("{symbol}={step}"))
            .collect()
    }

    /// Trading days in a year of a run over `series`: 365 when it holds a symbol that
    /// trades seven days a week (its equity curve then has a point every day), 252
    /// otherwise. Reports annualize with it.
    pub fn days_per_year(&self, series: &[BarSeries]) -> f64 {
        if self.trades_all_week(series.iter().map(BarSeries::symbol)) {
            crate::metrics::CALENDAR_DAYS_PER_YEAR
        } else {
            crate::metrics::TRADING_DAYS_PER_YEAR
        }
    }

    /// Whether the run holds a symbol that trades seven days a week.
    pub fn trades_all_week<'a>(&self, mut symbols: impl Iterator<Item = &'a Symbol>) -> bool {
        !self.all_week.is_empty() && symbols.any(|s| self.all_week.contains(s))
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            initial_cash: Money::from(10_000),
            fill_model: FillModel::NextOpen,
            commission: Commission::default(),
            slippage_bps: Decimal::ZERO,
            allow_short: false,
            close_at_end: false,
            lot_steps: BTreeMap::new(),
            all_week: BTreeSet::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lot_steps_read_symbol_equals_step() {
        let (symbol, step) = parse_lot_step("BTCUSDT=0.000010").unwrap();
        assert_eq!(
            (symbol.as_str(), step.to_string()),
            ("BTCUSDT", "0.00001".into())
        );
        for (bad, words) in [
            ("BTCUSDT", "not of the form SYMBOL=STEP"),
            ("BTCUSDT=abc", "must be a positive decimal"),
            ("BTCUSDT=0", "must be a positive decimal"),
            ("BTCUSDT=0.0000000000001", "at most 12 decimals"),
            ("=0.1", "lot step \"=0.1\": "),
        ] {
            let err = parse_lot_step(bad).unwrap_err().to_string();
            assert!(err.contains(words), "{bad}: {err}");
        }
    }
}
