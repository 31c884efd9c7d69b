//! Human-readable report table and CSV exports of trades and equity.

use std::io::{BufWriter, Write};
use std::path::Path;
use tradelab_core::BarSeries;
use tradelab_engine::ClosedTrade;
use tradelab_engine::report::{Report, ReportSink, with_timeline};
use tradelab_engine::run::RunOutcome;

use crate::display::{self, amount, amount_f64, number, percent};
use tradelab_core::Money;

/// The report as an aligned two-column table with units. `initial_cash` is the exact
/// cash the run started with (the report holds it as a float); the final equity and
/// the commissions come exactly from the ledger (`outcome`).
pub fn report_table(r: &Report, outcome: &RunOutcome, initial_cash: Money) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_string(), v));
    row("Strategy", r.strategy.clone());
    row("Symbols", r.symbols.join(", "));
    row(
        "Period",
        format!(
            "{} → {} ({} bars)",
            r.start,
            r.end,
            display::count(r.bars as u64)
        ),
    );
    row("Fill model", r.fill_model.clone());
    row("Commission", r.commission.clone());
    row(
        "Slippage",
        format!("{} bps", display::plain(r.slippage_bps)),
    );
    row(
        "Shorting",
        if r.allow_short {
            "allowed"
        } else {
            "not allowed"
        }
        .into(),
    );
    row(
        "Rules",
        if r.rules.is_empty() {
            "none".into()
        } else {
            r.rules.join(", ")
        },
    );
    if !r.lot_steps.is_empty() {
        row("Lot steps", r.lot_steps.join(", "));
    }
    row("Status", r.status.clone());
    row("Periods per year", display::plain(r.periods_per_year));
    row("", String::new());
    row("Initial cash", amount(initial_cash.get()));
    row("Final equity", amount(outcome.final_equity.get()));
    row("Total return", percent(Some(r.total_return_pct)));
    row(
        "Buy & hold return",
        percent(Some(r.buy_and_hold_return_pct)),
    );
    row("CAGR", percent(r.cagr_pct));
    row("Volatility (ann.)", percent(r.volatility_ann_pct));
    row("Sharpe", number(r.sharpe, 4));
    row("Sortino", number(r.sortino, 4));
    row("Calmar", number(r.calmar, 4));
    row("Max drawdown", percent(Some(r.max_drawdown_pct)));
    row(
        "Max drawdown period",
        match (&r.max_drawdown_start, &r.max_drawdown_end) {
            (Some(s), Some(e)) => format!(
                "{s} → {e}, recovered {}",
                r.max_drawdown_recovery.as_deref().unwrap_or("never")
            ),
            _ => "none".into(),
        },
    );
    row("Exposure", percent(Some(r.exposure_pct)));
    row("Commissions", amount(outcome.commissions.get()));
    row("", String::new());
    row("Closed trades", display::count(r.closed_trades as u64));
    row("Open trades", display::count(r.open_trades as u64));
    row("Win rate", percent(r.win_rate_pct));
    row("Profit factor", number(r.profit_factor, 3));
    row(
        "Expectancy",
        r.expectancy.map_or_else(|| display::NA.into(), amount_f64),
    );
    row("Avg trade", percent(r.avg_trade_pct));
    row(
        "Best / worst trade",
        format!(
            "{} / {}",
            percent(r.best_trade_pct),
            percent(r.worst_trade_pct)
        ),
    );
    row(
        "Avg / max duration",
        format!(
            "{} / {}",
            r.avg_trade_duration.as_deref().unwrap_or(display::NA),
            r.max_trade_duration.as_deref().unwrap_or(display::NA)
        ),
    );
    row(
        "Max consec. wins / losses",
        format!("{} / {}", r.max_consecutive_wins, r.max_consecutive_losses),
    );
    row(
        "Fills",
        format!(
            "{} (slippage paid {})",
            display::count(r.fills as u64),
            amount_f64(r.slippage)
        ),
    );
    let counts = |m: &std::collections::BTreeMap<String, usize>| {
        let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        parts.join(", ")
    };
    for (label, map) in [
        ("Rejected orders", &r.orders_rejected),
        ("Automatic exits", &r.auto_exits),
        ("Risk events", &r.risk_events),
    ] {
        if !map.is_empty() {
            row(label, counts(map));
        }
    }
    for p in &outcome.open_positions {
        row(
            "Open position",
            format!(
                "{} {} @ {} (mark {})",
                p.symbol,
                display::decimal(p.qty.get(), None),
                display::price(p.avg_price.get()),
                display::float_decimal(p.mark).map_or_else(|| display::NA.into(), display::price)
            ),
        );
    }
    display::rows(&rows)
}

/// Writes closed trades as CSV.
pub fn write_trades_csv(path: &Path, trades: &[ClosedTrade]) -> std::io::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        w,
        "symbol,side,qty,entry_time,exit_time,entry_price,exit_price,pnl,return_pct,commissions"
    )?;
    for t in trades {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{:.6},{}",
            t.symbol,
            if t.is_long() { "long" } else { "short" },
            t.qty.abs(),
            t.entry_ts.display_auto(),
            t.exit_ts.display_auto(),
            t.entry_price.get().round_dp(8).normalize(),
            t.exit_price.get().round_dp(8).normalize(),
            t.pnl.get().round_dp(8).normalize(),
            t.return_pct,
            t.commissions.get().round_dp(8).normalize(),
        )?;
    }
    w.flush()
}

/// Writes the equity curve of a run over `series` as CSV.
pub fn write_equity_csv(
    path: &Path,
    sink: &ReportSink,
    series: &[BarSeries],
) -> std::io::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "timestamp,equity,invested")?;
    with_timeline(series, sink.equity.len(), |timeline| {
        for (k, (ts, e)) in timeline.iter().zip(&sink.equity).enumerate() {
            writeln!(
                w,
                "{},{:.6},{}",
                ts.display_auto(),
                e,
                u8::from(sink.invested(k))
            )?;
        }
        Ok::<(), std::io::Error>(())
    })?;
    w.flush()
}
