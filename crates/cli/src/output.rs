//! Human-readable report table and CSV exports of trades and equity.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;
use tradelab_core::BarSeries;
use tradelab_engine::ClosedTrade;
use tradelab_engine::report::{Report, ReportSink, with_timeline};
use tradelab_engine::run::RunOutcome;

fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.decimals$}"),
        _ => "n/a".to_string(),
    }
}

fn pct(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.2} %"),
        _ => "n/a".to_string(),
    }
}

fn money(v: f64) -> String {
    let neg = v < 0.0;
    let cents = format!("{:.2}", v.abs());
    let (int, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if neg { "-" } else { "" })
}

/// The report as an aligned two-column table with units.
pub fn report_table(r: &Report, outcome: &RunOutcome) -> String {
    let mut rows: Vec<(&str, String)> = vec![
        ("Strategy", r.strategy.clone()),
        ("Symbols", r.symbols.join(", ")),
        (
            "Period",
            format!("{} → {} ({} bars)", r.start, r.end, r.bars),
        ),
        ("Fill model", r.fill_model.clone()),
        ("Commission", r.commission.clone()),
        ("Slippage", format!("{} bps", r.slippage_bps)),
        (
            "Shorting",
            if r.allow_short {
                "allowed"
            } else {
                "not allowed"
            }
            .into(),
        ),
        (
            "Rules",
            if r.rules.is_empty() {
                "none".into()
            } else {
                r.rules.join(", ")
            },
        ),
        ("Status", r.status.clone()),
        ("Periods per year", format!("{}", r.periods_per_year)),
        ("", String::new()),
        ("Initial cash", money(r.initial_cash)),
        ("Final equity", money(r.final_equity)),
        ("Total return", pct(Some(r.total_return_pct))),
        ("Buy & hold return", pct(Some(r.buy_and_hold_return_pct))),
        ("CAGR", pct(r.cagr_pct)),
        ("Volatility (ann.)", pct(r.volatility_ann_pct)),
        ("Sharpe", num(r.sharpe, 4)),
        ("Sortino", num(r.sortino, 4)),
        ("Calmar", num(r.calmar, 4)),
        ("Max drawdown", pct(Some(r.max_drawdown_pct))),
        (
            "Max drawdown period",
            match (&r.max_drawdown_start, &r.max_drawdown_end) {
                (Some(s), Some(e)) => format!(
                    "{s} → {e}, recovered {}",
                    r.max_drawdown_recovery.as_deref().unwrap_or("never")
                ),
                _ => "none".into(),
            },
        ),
        ("Exposure", pct(Some(r.exposure_pct))),
        ("Commissions", money(r.commissions)),
        ("", String::new()),
        ("Closed trades", r.closed_trades.to_string()),
        ("Open trades", r.open_trades.to_string()),
        ("Win rate", pct(r.win_rate_pct)),
        ("Profit factor", num(r.profit_factor, 3)),
        (
            "Expectancy",
            r.expectancy.map(money).unwrap_or_else(|| "n/a".into()),
        ),
        ("Avg trade", pct(r.avg_trade_pct)),
        (
            "Best / worst trade",
            format!("{} / {}", pct(r.best_trade_pct), pct(r.worst_trade_pct)),
        ),
        (
            "Avg / max duration",
            format!(
                "{} / {}",
                r.avg_trade_duration.as_deref().unwrap_or("n/a"),
                r.max_trade_duration.as_deref().unwrap_or("n/a")
            ),
        ),
        (
            "Max consec. wins / losses",
            format!("{} / {}", r.max_consecutive_wins, r.max_consecutive_losses),
        ),
        (
            "Fills",
            format!("{} (slippage paid {})", r.fills, money(r.slippage)),
        ),
    ];
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
            rows.push((label, counts(map)));
        }
    }
    for p in &outcome.open_positions {
        rows.push((
            "Open position",
            format!(
                "{} {} @ {} (mark {})",
                p.symbol,
                p.qty,
                p.avg_price.get().round_dp(4),
                p.mark
            ),
        ));
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        if k.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{k:<width$}  {v}");
        }
    }
    out
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

/// Runs side by side: metrics, then the snapshot fields that differ.
pub fn comparison_table(c: &tradelab_runner::Comparison) -> String {
    let cell = |v: &serde_json::Value| match v {
        serde_json::Value::Number(n) => n
            .as_f64()
            .map(|x| {
                if x.fract() == 0.0 && x.abs() < 1e15 {
                    format!("{x:.0}")
                } else {
                    format!("{x:.4}")
                }
            })
            .unwrap_or_else(|| n.to_string()),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "n/a".into(),
        other => other.to_string(),
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec![String::new()];
    head.extend(c.runs.iter().cloned());
    rows.push(head);
    let mut status = vec!["status".to_string()];
    status.extend(c.statuses.iter().cloned());
    rows.push(status);
    for (name, values) in &c.metrics {
        let mut r = vec![name.clone()];
        r.extend(values.iter().map(cell));
        rows.push(r);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|k| {
            rows.iter()
                .map(|r| r[k].chars().count())
                .max()
                .unwrap_or(0)
                .min(48)
        })
        .collect();
    let mut out = String::new();
    for r in &rows {
        for (k, v) in r.iter().enumerate() {
            let w = widths[k];
            let shown: String = v.chars().take(48).collect();
            if k == 0 {
                let _ = write!(out, "{shown:<w$}");
            } else {
                let _ = write!(out, "  {shown:>w$}");
            }
        }
        out.push('\n');
    }
    if c.differences.is_empty() {
        out.push_str("\nsnapshots: identical\n");
    } else {
        out.push_str("\nsnapshot differences:\n");
        for (field, values) in &c.differences {
            let vals: Vec<String> = values.iter().map(cell).collect();
            let _ = writeln!(out, "  {field}: {}", vals.join("  |  "));
        }
    }
    out
}
