//! Built-in rule templates: realistic starting points for common trading styles, each
//! with structured rules and free-text instructions for an LLM decider.
//!
//! `examples/rules/<name>.toml` holds the same sets as files (a test keeps them equal).
//! Use one with `--template NAME`, and override single rules by name with `--rules`.

use super::kind::{Breach, Origin, RuleKind, TradingWindow};
use super::rule::{Rule, RuleSet, RuleSetError};
use super::time::{LocalTime, TimeRange};

/// A named, documented rule set for one trading style.
#[derive(Clone, Copy, Debug)]
pub struct Template {
    /// The name used with `--template`, e.g. `day_trader`.
    pub name: &'static str,
    /// One line for `tradelab rules templates`.
    pub summary: &'static str,
    build: fn() -> RuleSet,
}

impl Template {
    /// The template's rules and instructions (every rule has origin `template`).
    pub fn rules(&self) -> RuleSet {
        (self.build)()
    }
}

/// Every built-in template, in a stable order.
pub fn templates() -> &'static [Template] {
    const TEMPLATES: &[Template] = &[
        Template {
            name: "day_trader",
            summary: "intraday, flat by the close: 20 % per symbol, 3 positions, 1.5 % stop, \
                      2.5 % target, 3 % daily loss limit, flatten at 15:55",
            build: day_trader,
        },
        Template {
            name: "swing_trader",
            summary: "holds days to weeks: 25 % per symbol, 5 positions, 7 % stop, 15 % \
                      target, 8 % trailing stop, halt at 15 % drawdown",
            build: swing_trader,
        },
        Template {
            name: "scalper",
            summary: "many small intraday trades: 10 % per symbol, 2 positions, 0.3 % stop, \
                      0.5 % target, 2 % daily loss limit, 6 orders/minute",
            build: scalper,
        },
        Template {
            name: "long_term_investor",
            summary: "diversified buy-and-hold: 10 % per symbol, 20 positions, 10 % cash \
                      reserve, wide 25 % stop, halt at 30 % drawdown",
            build: long_term_investor,
        },
    ];
    TEMPLATES
}

/// The rule set of the template with this name, or an error listing the known names.
pub fn template(name: &str) -> Result<RuleSet, RuleSetError> {
    templates()
        .iter()
        .find(|t| t.name == name)
        .map(Template::rules)
        .ok_or_else(|| RuleSetError::UnknownTemplate {
            name: name.to_string(),
            known: templates().iter().map(|t| t.name).collect(),
        })
}

/// A template rule: defaults per kind, origin `template`.
fn rule(name: &str, kind: RuleKind) -> Rule {
    Rule::new(name, kind).with_origin(Origin::Template)
}

/// A time known to be valid (templates only use literal, valid times).
fn at(hour: u8, minute: u8) -> LocalTime {
    LocalTime { hour, minute }
}

fn no_shorting() -> Rule {
    rule("no_shorting", RuleKind::AllowShort { allowed: false })
}

fn max_position(pct: f64) -> Rule {
    rule(
        "max_position",
        RuleKind::MaxPositionPct {
            pct,
            on_breach: Breach::Resize,
        },
    )
}

fn day_trader() -> RuleSet {
    RuleSet {
        rules: vec![
            max_position(20.0),
            rule("max_open_positions", RuleKind::MaxOpenPositions { max: 3 }),
            rule("daily_loss_limit", RuleKind::DailyLossLimitPct { pct: 3.0 }),
            rule("stop_loss", RuleKind::StopLossPct { pct: 1.5 }),
            rule("take_profit", RuleKind::TakeProfitPct { pct: 2.5 }),
            rule(
                "session_window",
                RuleKind::TradingWindow(TradingWindow {
                    start: Some(at(9, 35)),
                    end: Some(at(15, 45)),
                    flatten_at: Some(at(15, 55)),
                    ..TradingWindow::default()
                }),
            ),
            rule("max_trades_per_day", RuleKind::MaxTradesPerDay { max: 10 }),
            no_shorting(),
        ],
        instructions: "\
You are a disciplined intraday trader. Be flat at the close: every position is closed at 15:55 New York time.
Do not trade the opening five minutes; wait for the opening range to form.
Trade only liquid names with a clear catalyst or a clean technical setup; state the setup, the entry, the stop and the target before each trade.
Risk at most the stop distance on any idea, never average down on a loser, and stop for the day after the daily loss limit.
Prefer no trade over a marginal one."
            .to_string(),
    }
}

fn swing_trader() -> RuleSet {
    RuleSet {
        rules: vec![
            max_position(25.0),
            rule("max_open_positions", RuleKind::MaxOpenPositions { max: 5 }),
            rule("stop_loss", RuleKind::StopLossPct { pct: 7.0 }),
            rule("take_profit", RuleKind::TakeProfitPct { pct: 15.0 }),
            rule("trailing_stop", RuleKind::TrailingStopPct { pct: 8.0 }),
            rule("drawdown_halt", RuleKind::MaxDrawdownHaltPct { pct: 15.0 }),
            rule("cooldown_after_loss", RuleKind::CooldownAfterLoss { bars: 3 }),
            no_shorting(),
        ],
        instructions: "\
You are a swing trader holding positions for days to a few weeks, trading daily bars.
Buy pullbacks in established uptrends and breakouts from multi-week bases; avoid stocks in downtrends.
Let winners run: the trailing stop protects gains, the target takes profit on sharp moves.
After a stop-out, wait before re-entering the same stock and re-check the thesis.
Avoid holding into earnings unless the position is already well in profit."
            .to_string(),
    }
}

fn scalper() -> RuleSet {
    RuleSet {
        rules: vec![
            max_position(10.0),
            rule("max_open_positions", RuleKind::MaxOpenPositions { max: 2 }),
            rule("daily_loss_limit", RuleKind::DailyLossLimitPct { pct: 2.0 }),
            rule("stop_loss", RuleKind::StopLossPct { pct: 0.3 }),
            rule("take_profit", RuleKind::TakeProfitPct { pct: 0.5 }),
            rule(
                "session_window",
                RuleKind::TradingWindow(TradingWindow {
                    start: Some(at(9, 35)),
                    end: Some(at(15, 50)),
                    blackouts: vec![TimeRange {
                        start: at(12, 0),
                        end: at(13, 0),
                    }],
                    flatten_at: Some(at(15, 58)),
                    ..TradingWindow::default()
                }),
            ),
            rule("max_orders_per_minute", RuleKind::MaxOrdersPerMinute { max: 6 }),
            rule("max_trades_per_day", RuleKind::MaxTradesPerDay { max: 50 }),
            rule("cooldown_after_loss", RuleKind::CooldownAfterLoss { bars: 5 }),
            no_shorting(),
        ],
        instructions: "\
You are a scalper on one-minute bars, taking many small, quick trades in the most liquid symbols.
Enter only with momentum confirmed by volume; exit fast when the trade does not work.
Skip the opening five minutes, the lunch hour (12:00-13:00) and the last ten minutes; be flat by 15:58.
Costs matter at this size: do not take a trade whose expected move is not several times the commission and slippage.
Stop for the day at the daily loss limit; after a losing trade, pause before trading that symbol again."
            .to_string(),
    }
}

fn long_term_investor() -> RuleSet {
    RuleSet {
        rules: vec![
            max_position(10.0),
            rule("max_open_positions", RuleKind::MaxOpenPositions { max: 20 }),
            rule("cash_reserve", RuleKind::MinCashReservePct { pct: 10.0 }),
            rule("stop_loss", RuleKind::StopLossPct { pct: 25.0 }),
            rule("drawdown_halt", RuleKind::MaxDrawdownHaltPct { pct: 30.0 }),
            rule("max_trades_per_day", RuleKind::MaxTradesPerDay { max: 4 }),
            no_shorting(),
        ],
        instructions: "\
You are a long-term investor building a diversified portfolio of quality businesses, trading daily bars.
Buy companies with durable earnings growth at reasonable valuations; add gradually rather than all at once.
Ignore day-to-day noise: the wide stop only guards against a broken thesis, not against volatility.
Keep a cash reserve for opportunities and rebalance when one holding grows far beyond its target weight.
Trade rarely; every trade needs a reason that will still hold in a year."
            .to_string(),
    }
}
