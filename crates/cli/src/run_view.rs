//! Stored runs as tables and as `--output json`: the list, one run, its closed trades,
//! and several runs side by side.

use crate::display::{self, NA, amount, json_text, one_line, percent};
use crate::llm_report::CutoffCheck;
use crate::settings_view::{
    execution_json, execution_text, rule_json, rule_lines, strategy_json, strategy_text,
};
use crate::store_ctx::Ctx;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use tradelab_core::{Symbol, Timestamp};
use tradelab_engine::DeciderRegistry;
use tradelab_runner::{Comparison, ExecutionSettings};
use tradelab_store::{AuditCounts, Run};

fn symbols(r: &Run) -> String {
    r.symbols
        .iter()
        .map(Symbol::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

fn opt_time(ts: Option<Timestamp>) -> Value {
    ts.map_or(Value::Null, display::json_time)
}

fn summary_f64(r: &Run, key: &str) -> Option<f64> {
    r.summary.as_ref()?.get(key)?.as_f64()
}

/// The exact final equity of a finished run (from its summary's exact text).
fn final_equity(r: &Run) -> Option<Decimal> {
    let s = r.summary.as_ref()?;
    s.get("final_equity_exact")
        .and_then(Value::as_str)
        .and_then(|t| t.parse().ok())
        .or_else(|| {
            s.get("final_equity")?
                .as_f64()
                .and_then(display::float_decimal)
        })
}

/// One run as JSON: identity, status, times (RFC 3339), snapshot, summary.
pub fn run_json(r: &Run, deciders: &DeciderRegistry) -> Value {
    let exec = ExecutionSettings::from_json(&r.snapshot.fill_model).unwrap_or_default();
    json!({
        "id": r.id.0,
        "run": Ctx::label(r),
        "model": r.snapshot.model_name,
        "model_id": r.model.0,
        "number": r.number,
        "status": r.status.to_string(),
        "status_reason": r.status_reason,
        "replay_of": r.parent.map(|p| p.0),
        "mode": r.mode.to_string(),
        "source": r.source.to_string(),
        "symbols": r.symbols.iter().map(Symbol::as_str).collect::<Vec<_>>(),
        "period_start": opt_time(r.period_start),
        "period_end": opt_time(r.period_end),
        "session": r.session,
        "created_at": display::json_time(r.created_at),
        "started_at": opt_time(r.started_at),
        "ended_at": opt_time(r.ended_at),
        "last_event_at": opt_time(r.last_event_at),
        "snapshot": {
            "model": r.snapshot.model_name,
            "strategy": strategy_json(&r.snapshot.decider, deciders),
            "decider": r.snapshot.decider,
            "initial_cash": r.snapshot.initial_cash.get().to_string(),
            "allowed_symbols": r.snapshot.allowed_symbols.iter().map(Symbol::as_str).collect::<Vec<_>>(),
            "execution": execution_json(&exec),
            "rules": r.snapshot.rules.iter().map(rule_json).collect::<Vec<_>>(),
            "instructions": r.snapshot.instructions,
            "data_fingerprint": r.snapshot.data_fingerprint,
            "warm_start": r.snapshot.warm_start,
            "live_feed": r.snapshot.live_feed,
        },
        "summary": r.summary,
    })
}

/// `runs list`: one row per run.
pub fn list_table(runs: &[Run]) -> String {
    if runs.is_empty() {
        return "no runs yet; start one with `tradelab runs start MODEL --data FILE`\n".into();
    }
    let mut out = format!(
        "{:>5}  {:<20} {:<11} {:<16} {:>12} {:>12}  created (UTC)\n",
        "id", "run", "status", "symbols", "return", "final equity"
    );
    for r in runs {
        let parent = r
            .parent
            .map_or(String::new(), |p| format!("  replay of run {p}"));
        out.push_str(&format!(
            "{:>5}  {:<20} {:<11} {:<16} {:>12} {:>12}  {:<20}{}\n",
            r.id.0,
            Ctx::label(r),
            r.status.to_string(),
            one_line(&symbols(r), 16),
            summary_f64(r, "total_return_pct").map_or_else(String::new, |v| percent(Some(v))),
            final_equity(r).map_or_else(String::new, amount),
            display::instant(r.created_at),
            parent
        ));
    }
    out
}

/// `runs list --output json`: an array of runs (without their snapshots).
pub fn list_json(runs: &[Run]) -> Value {
    Value::Array(
        runs.iter()
            .map(|r| {
                json!({
                    "id": r.id.0,
                    "run": Ctx::label(r),
                    "model": r.snapshot.model_name,
                    "status": r.status.to_string(),
                    "status_reason": r.status_reason,
                    "replay_of": r.parent.map(|p| p.0),
                    "symbols": r.symbols.iter().map(Symbol::as_str).collect::<Vec<_>>(),
                    "total_return_pct": summary_f64(r, "total_return_pct"),
                    "final_equity": final_equity(r).map(|d| d.to_string()),
                    "created_at": display::json_time(r.created_at),
                    "ended_at": opt_time(r.ended_at),
                })
            })
            .collect(),
    )
}

/// The audit trail's size in words: `9 decisions, 16 orders, …`.
pub fn counts_text(c: &AuditCounts) -> String {
    format!(
        "{} decisions, {} orders, {} fills, {} equity points, {} events",
        display::count(c.decisions),
        display::count(c.orders),
        display::count(c.fills),
        display::count(c.equity),
        display::count(c.events)
    )
}

/// `runs show`: status, snapshot and headline metrics of one run; an LLM run's
/// period against its model's knowledge cutoff when `cutoff` is given.
pub fn show_table(
    r: &Run,
    counts: &AuditCounts,
    cutoff: Option<&CutoffCheck>,
    deciders: &DeciderRegistry,
) -> String {
    let exec = ExecutionSettings::from_json(&r.snapshot.fill_model).unwrap_or_default();
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |k: &str, v: String| rows.push((k.to_string(), v));
    row("Run", format!("{} (id {})", Ctx::label(r), r.id));
    row(
        "Status",
        match &r.status_reason {
            Some(why) => format!("{} — {why}", r.status),
            None => r.status.to_string(),
        },
    );
    if let Some(p) = r.parent {
        row("Replay of", format!("run {p}"));
    }
    if let Some(w) = r.snapshot.warm_start {
        row(
            "Warm start",
            format!("from run {}, snapshot version {}", w.run, w.version),
        );
    }
    if r.source == tradelab_store::RunSource::Live {
        let feed = match &r.snapshot.live_feed {
            Some(f) if f.feed == "replay" => format!(
                "live (paper trading): stored bars replayed at {}x",
                f.speed.unwrap_or(60.0)
            ),
            Some(f) => format!(
                "live (paper trading): market data from {}",
                f.provider
                    .as_deref()
                    .unwrap_or("the chain of its symbols' class")
            ),
            None => "live (paper trading)".into(),
        };
        row("Feed", feed);
    }
    row("Symbols", symbols(r));
    row(
        "Period",
        match (r.period_start, r.period_end) {
            (None, None) => "all stored bars".into(),
            (s, e) => format!(
                "{} → {}",
                s.map_or("first bar".into(), display::bar_time),
                e.map_or("last bar".into(), display::bar_time)
            ),
        },
    );
    if let Some(tf) = &exec.timeframe {
        row("Timeframe", tf.clone());
    }
    row("Created", display::instant(r.created_at));
    if let Some(t) = r.started_at {
        row("Started", display::instant(t));
    }
    if let Some(t) = r.ended_at {
        let took = r.started_at.map_or(String::new(), |s| {
            format!(" (took {})", display::duration(t.nanos() - s.nanos()))
        });
        row("Ended", format!("{}{took}", display::instant(t)));
    }
    row("", String::new());
    row("Strategy", strategy_text(&r.snapshot.decider, deciders));
    let llm = crate::llm_view::settings(&r.snapshot.decider);
    for (k, v) in llm.as_ref().map(crate::llm_view::rows).unwrap_or_default() {
        row(&k, v);
    }
    if let Some(c) = cutoff {
        row("Before cutoff", c.cutoff_note.clone());
    }
    row("Initial cash", amount(r.snapshot.initial_cash.get()));
    row("Execution", execution_text(&exec));
    row(
        "Data",
        r.snapshot
            .data_fingerprint
            .clone()
            .unwrap_or_else(|| "not recorded".into()),
    );
    row("Audit trail", counts_text(counts));
    if r.snapshot.rules.is_empty() {
        row("Rules", "none".into());
    } else {
        row(
            "Rules",
            format!("{} (state, what it does)", r.snapshot.rules.len()),
        );
    }
    let mut out = display::rows(&rows);
    for line in rule_lines(&r.snapshot.rules) {
        out.push_str(&line);
        out.push('\n');
    }
    if r.summary.is_some() {
        let mut rows: Vec<(String, String)> = vec![(String::new(), String::new())];
        let mut row = |k: &str, v: String| rows.push((k.to_string(), v));
        row("Final equity", final_equity(r).map_or(NA.into(), amount));
        row("Total return", percent(summary_f64(r, "total_return_pct")));
        row("Sharpe", display::number(summary_f64(r, "sharpe"), 4));
        row("Max drawdown", percent(summary_f64(r, "max_drawdown_pct")));
        for (label, key) in [
            ("Closed trades", "closed_trades"),
            ("Open trades", "open_trades"),
        ] {
            let n = r
                .summary
                .as_ref()
                .and_then(|s| s.get(key))
                .and_then(Value::as_i64);
            row(label, n.map_or(NA.into(), display::count));
        }
        if let Some(usage) = model_usage(r) {
            let tokens = usage.prompt_tokens + usage.completion_tokens;
            row(
                "Model tokens",
                format!(
                    "{} ({} prompt, {} completion) over {} decisions",
                    display::count(tokens),
                    display::count(usage.prompt_tokens),
                    display::count(usage.completion_tokens),
                    display::count(usage.decisions as u64),
                ),
            );
            row(
                "Model cost",
                usage.cost_usd.map_or_else(
                    || "unknown (the model's price is not in the price table)".into(),
                    |c| format!("{c:.4} USD"),
                ),
            );
        }
        out.push_str(&display::rows(&rows));
    }
    out
}

/// The tokens and cost of the run's model calls, from its report.
fn model_usage(r: &Run) -> Option<tradelab_engine::report::ModelUsage> {
    let usage = r.summary.as_ref()?.get("model_usage")?;
    serde_json::from_value(usage.clone()).ok()
}

/// `runs show --output json`: the run with its audit counts; an LLM run's `llm`
/// object holds its settings and, as `backtest`'s does, its days before the cutoff.
pub fn show_json(
    r: &Run,
    counts: &AuditCounts,
    cutoff: Option<&CutoffCheck>,
    deciders: &DeciderRegistry,
) -> Value {
    let mut v = run_json(r, deciders);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "audit".into(),
            serde_json::to_value(counts).unwrap_or_default(),
        );
        if let Some(llm) = crate::llm_view::settings(&r.snapshot.decider) {
            let mut json = crate::llm_view::json(&llm);
            if let (Some(c), Some(llm)) = (cutoff, json.as_object_mut()) {
                llm.insert("days".into(), c.days.into());
                llm.insert("days_before_cutoff".into(), c.days_before_cutoff.into());
                llm.insert("cutoff_note".into(), c.cutoff_note.clone().into());
            }
            o.insert("llm".into(), json);
        }
    }
    v
}

/// A closed trade read from a `trade_closed` event.
pub struct TradeView {
    pub symbol: String,
    pub qty: Decimal,
    pub entry: Option<Timestamp>,
    pub exit: Option<Timestamp>,
    pub entry_price: Option<Decimal>,
    pub exit_price: Option<Decimal>,
    pub pnl: Option<Decimal>,
    pub commissions: Option<Decimal>,
    pub return_pct: Option<f64>,
}

impl TradeView {
    /// Reads the trade a `trade_closed` event's detail describes.
    pub fn from_detail(d: &Value) -> TradeView {
        let dec = |k: &str| -> Option<Decimal> {
            match d.get(k)? {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_f64().and_then(display::float_decimal),
                _ => None,
            }
        };
        let ts = |k: &str| d.get(k)?.as_i64().map(Timestamp::from_nanos);
        TradeView {
            symbol: d
                .get("symbol")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            qty: dec("qty").unwrap_or_default(),
            entry: ts("entry_ts"),
            exit: ts("exit_ts"),
            entry_price: dec("entry_price"),
            exit_price: dec("exit_price"),
            pnl: dec("pnl"),
            commissions: dec("commissions"),
            return_pct: d.get("return_pct").and_then(Value::as_f64),
        }
    }

    fn side(&self) -> &'static str {
        if self.qty.is_sign_negative() {
            "short"
        } else {
            "long"
        }
    }

    /// As JSON: RFC 3339 times, exact decimals as strings.
    pub fn json(&self) -> Value {
        let s = |d: Option<Decimal>| d.map(|d| d.normalize().to_string());
        json!({
            "symbol": self.symbol,
            "side": self.side(),
            "qty": self.qty.abs().normalize().to_string(),
            "entry_time": opt_time(self.entry),
            "exit_time": opt_time(self.exit),
            "entry_price": s(self.entry_price),
            "exit_price": s(self.exit_price),
            "pnl": s(self.pnl),
            "commissions": s(self.commissions),
            "return_pct": self.return_pct,
        })
    }
}

/// `runs trades`: one row per closed trade, then the count.
pub fn trades_table(trades: &[TradeView]) -> String {
    let mut out = format!(
        "{:<8} {:<5} {:>10} {:<20} {:<20} {:>12} {:>12} {:>14} {:>10}\n",
        "symbol", "side", "qty", "entry", "exit", "entry price", "exit price", "P&L", "return"
    );
    let opt = |d: Option<Decimal>, f: fn(Decimal) -> String| d.map_or(NA.into(), f);
    let time = |t: Option<Timestamp>| t.map_or(NA.into(), display::bar_time);
    for t in trades {
        out.push_str(&format!(
            "{:<8} {:<5} {:>10} {:<20} {:<20} {:>12} {:>12} {:>14} {:>10}\n",
            t.symbol,
            t.side(),
            display::decimal(t.qty.abs(), None),
            time(t.entry),
            time(t.exit),
            opt(t.entry_price, display::price),
            opt(t.exit_price, display::price),
            opt(t.pnl, amount),
            percent(t.return_pct)
        ));
    }
    out.push_str(&format!(
        "{} closed trade{}\n",
        display::count(trades.len() as u64),
        if trades.len() == 1 { "" } else { "s" }
    ));
    out
}

/// A compared metric's label and how its values read.
fn metric(key: &str) -> (String, fn(&Value) -> String) {
    fn pct(v: &Value) -> String {
        percent(v.as_f64())
    }
    fn money(v: &Value) -> String {
        v.as_f64().map_or(NA.into(), display::amount_f64)
    }
    fn ratio(v: &Value) -> String {
        display::number(v.as_f64(), 3)
    }
    fn int(v: &Value) -> String {
        v.as_i64().map_or(NA.into(), display::count)
    }
    let label = match key {
        "final_equity" => "Final equity",
        "total_return_pct" => "Total return",
        "cagr_pct" => "CAGR",
        "sharpe" => "Sharpe",
        "sortino" => "Sortino",
        "calmar" => "Calmar",
        "max_drawdown_pct" => "Max drawdown",
        "volatility_ann_pct" => "Volatility (ann.)",
        "closed_trades" => "Closed trades",
        "open_trades" => "Open trades",
        "win_rate_pct" => "Win rate",
        "profit_factor" => "Profit factor",
        "expectancy" => "Expectancy",
        "exposure_pct" => "Exposure",
        "commissions" => "Commissions",
        "buy_and_hold_return_pct" => "Buy & hold return",
        "fills" => "Fills",
        other => return (display::label(other), json_text),
    };
    let f: fn(&Value) -> String = if key.ends_with("_pct") {
        pct
    } else if matches!(key, "final_equity" | "expectancy" | "commissions") {
        money
    } else if matches!(key, "closed_trades" | "open_trades" | "fills") {
        int
    } else {
        ratio
    };
    (label.to_string(), f)
}

/// A snapshot field's path as a label: `decider.params.fast` → `strategy parameter
/// fast`, `rules[stop_loss]` → `rule stop_loss`.
fn field_label(path: &str) -> String {
    if let Some(p) = path.strip_prefix("decider.params.") {
        format!("strategy parameter {p}")
    } else if path == "decider.kind" {
        "strategy".into()
    } else if let Some(rule) = path
        .strip_prefix("rules[")
        .and_then(|p| p.strip_suffix(']'))
    {
        format!("rule {rule}")
    } else if let Some(p) = path.strip_prefix("fill_model.") {
        format!("execution {}", p.replace('.', " "))
    } else {
        path.replace(['_', '.'], " ")
    }
}

/// Columns of text, the first left-aligned, the others right-aligned (numbers) or
/// left-aligned (text); no trailing blanks.
fn columns(rows: &[Vec<String>], numbers: bool) -> String {
    let n = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..n)
        .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        for (k, v) in r.iter().enumerate() {
            let w = widths[k];
            if k == 0 {
                out.push_str(&format!("{v:<w$}"));
            } else if numbers {
                out.push_str(&format!("  {v:>w$}"));
            } else {
                out.push_str(&format!("  {v:<w$}"));
            }
        }
        let end = out.trim_end_matches(' ').len();
        out.truncate(end);
        out.push('\n');
    }
    out
}

/// `runs compare`: metrics side by side with labels and units, each status with its
/// whole reason below, then the snapshot settings that differ.
pub fn compare_table(c: &Comparison, runs: &[Run]) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head = vec![String::new()];
    head.extend(c.runs.iter().cloned());
    rows.push(head);
    let mut status = vec!["Status".to_string()];
    status.extend(runs.iter().map(|r| r.status.to_string()));
    rows.push(status);
    for (key, values) in &c.metrics {
        let (label, f) = metric(key);
        let mut r = vec![label];
        if key == "final_equity" {
            r.extend(
                runs.iter()
                    .map(|run| final_equity(run).map_or(NA.into(), amount)),
            );
        } else {
            r.extend(values.iter().map(f));
        }
        rows.push(r);
    }
    let mut out = columns(&rows, true);
    let reasons: Vec<String> = runs
        .iter()
        .filter_map(|r| {
            r.status_reason
                .as_ref()
                .map(|why| format!("  {} {}: {why}\n", Ctx::label(r), r.status))
        })
        .collect();
    if !reasons.is_empty() {
        out.push_str("\nWhy:\n");
        out.extend(reasons);
    }
    if c.differences.is_empty() {
        out.push_str("\nSettings: identical\n");
    } else {
        out.push_str("\nSettings that differ:\n");
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut head = vec![String::new()];
        head.extend(c.runs.iter().cloned());
        rows.push(head);
        let by_rule = c.differences.iter().any(|(f, _)| f.starts_with("rules["));
        for (field, values) in &c.differences {
            // The rule list as a whole is shown rule by rule below it.
            if by_rule && field == "rules" {
                continue;
            }
            let mut r = vec![format!("  {}", field_label(field))];
            r.extend(values.iter().map(|v| one_line(&json_text(v), 40)));
            rows.push(r);
        }
        out.push_str(&columns(&rows, false));
    }
    out
}

/// `runs compare --output json`: `{"runs": [{run, id, status, status_reason,
/// created_at, ended_at, metrics: {…}}], "differences": {field: [value per run]}}`.
pub fn compare_json(c: &Comparison, runs: &[Run]) -> Value {
    let items: Vec<Value> = runs
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let metrics: Map<String, Value> = c
                .metrics
                .iter()
                .map(|(key, values)| (key.clone(), values.get(k).cloned().unwrap_or_default()))
                .collect();
            json!({
                "run": Ctx::label(r),
                "id": r.id.0,
                "status": r.status.to_string(),
                "status_reason": r.status_reason,
                "created_at": display::json_time(r.created_at),
                "ended_at": opt_time(r.ended_at),
                "metrics": metrics,
            })
        })
        .collect();
    let differences: Map<String, Value> = c
        .differences
        .iter()
        .map(|(k, v)| (k.clone(), Value::Array(v.clone())))
        .collect();
    json!({ "runs": items, "differences": differences })
}
