//! `runs events`: a run's audit trail (decisions, orders, fills, run events) merged in
//! time order, numbered, paged, and shown as sentences or as JSON.
//!
//! An entry's number (`seq`) is its position in the whole merged trail, 1 first,
//! whatever `--kind` shows: `--after SEQ` continues where a page ended.

use crate::display::{self, amount, json_text, percent, price};
use crate::run_view::TradeView;
use anyhow::Result;
use serde_json::{Map, Value, json};
use tradelab_core::{Symbol, Timestamp};
use tradelab_store::{Audit, RunId, UserId};

/// One entry of the merged trail.
pub struct Entry {
    /// Position in the whole trail, from 1.
    pub seq: usize,
    pub ts: Timestamp,
    /// `decision`, `order`, `fill`, `risk`, `trade_closed`, `run_finished`, …
    pub kind: String,
    /// What happened, in words.
    pub text: String,
    /// The stored row as JSON (times as RFC 3339).
    pub detail: Value,
}

/// Which part of the trail to show.
pub struct Page<'a> {
    pub kind: Option<&'a str>,
    /// Only entries after this `seq`.
    pub after: usize,
    /// At most this many; `None` for all.
    pub limit: Option<usize>,
}

/// A page of the trail: its entries and how many more match after it.
pub struct Shown {
    pub entries: Vec<Entry>,
    /// Entries of the kind asked for after the page's last one.
    pub more: usize,
}

/// Integer values under `ts` or `*_ts` keys (epoch nanoseconds) become RFC 3339.
fn times_to_rfc3339(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if (k == "ts" || k.ends_with("_ts"))
                    && let Some(n) = val.as_i64()
                {
                    *val = display::json_time(Timestamp::from_nanos(n));
                    continue;
                }
                times_to_rfc3339(val);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(times_to_rfc3339),
        _ => {}
    }
}

fn get_str<'a>(d: &'a Value, k: &str) -> &'a str {
    d.get(k).and_then(Value::as_str).unwrap_or("?")
}

fn get_pct(d: &Value, k: &str) -> String {
    percent(d.get(k).and_then(Value::as_f64))
}

fn get_price(d: &Value, k: &str) -> String {
    d.get(k)
        .and_then(Value::as_f64)
        .and_then(display::float_decimal)
        .map_or_else(|| display::NA.into(), price)
}

/// A risk event in words.
fn risk_text(d: &Value) -> String {
    let rule = get_str(d, "rule");
    match d.get("risk_event").and_then(Value::as_str) {
        Some("auto_exit") => format!(
            "{rule}: closed {} at level {} ({})",
            get_str(d, "symbol"),
            get_price(d, "level"),
            get_str(d, "exit").replace('_', " ")
        ),
        Some("halted") => format!(
            "{rule}: drawdown {} reached the limit {}; positions closed, run halted",
            get_pct(d, "drawdown_pct"),
            get_pct(d, "limit_pct")
        ),
        Some("circuit_breaker_tripped") => format!(
            "{rule}: loss of the day {} reached the limit {}; entries blocked until the next session",
            get_pct(d, "loss_pct"),
            get_pct(d, "limit_pct")
        ),
        Some("circuit_breaker_reset") => format!("{rule}: new session, entries allowed again"),
        Some("flatten") => format!(
            "{rule}: every position closed at {} (local time)",
            get_str(d, "local_time")
        ),
        Some("kill_switch") => {
            if d.get("flatten").and_then(Value::as_bool) == Some(true) {
                "stopped on request; positions closed".into()
            } else {
                "stopped on request; positions left open".into()
            }
        }
        _ => json_text(d),
    }
}

/// A closed trade in words.
fn trade_text(d: &Value) -> String {
    let t = TradeView::from_detail(d);
    let at = |ts: Option<Timestamp>, p: Option<rust_decimal::Decimal>| {
        format!(
            "{} @ {}",
            ts.map_or(display::NA.into(), display::bar_time),
            p.map_or(display::NA.into(), price)
        )
    };
    format!(
        "{} {} {}: {} → {}, P&L {} ({}), commissions {}",
        t.symbol,
        if t.qty.is_sign_negative() {
            "short"
        } else {
            "long"
        },
        display::decimal(t.qty.abs(), None),
        at(t.entry, t.entry_price),
        at(t.exit, t.exit_price),
        t.pnl.map_or(display::NA.into(), amount),
        percent(t.return_pct),
        t.commissions.map_or(display::NA.into(), amount)
    )
}

/// The end of a run in words.
fn finished_text(d: &Value) -> String {
    let status = d.get("status");
    let name = status
        .and_then(|s| s.get("status"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    let reason = status
        .and_then(|s| s.get("reason"))
        .and_then(Value::as_str)
        .map_or(String::new(), |r| format!(" ({r})"));
    let money = |k: &str| {
        d.get(k)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .map_or_else(|| display::NA.into(), amount)
    };
    format!(
        "{name}{reason}; final equity {}, cash {}, {} open position(s)",
        money("final_equity"),
        money("cash"),
        d.get("open_positions").and_then(Value::as_i64).unwrap_or(0)
    )
}

/// An event row (`risk`, `trade_closed`, `run_finished`, …) in words.
fn event_text(kind: &str, d: &Value) -> String {
    match kind {
        "risk" => risk_text(d),
        "trade_closed" => trade_text(d),
        "run_finished" => finished_text(d),
        _ => {
            let mut v = d.clone();
            times_to_rfc3339(&mut v);
            json_text(&v)
        }
    }
}

/// The whole trail of `run`, merged by time (stable: decisions, orders, fills, events
/// at one instant keep that order) and numbered.
pub async fn trail(audit: &Audit<'_>, owner: UserId, run: RunId) -> Result<Vec<Entry>> {
    let mut all: Vec<(Timestamp, String, String, Value)> = Vec::new();
    for d in audit.decisions(owner, run).await? {
        let sym = d.symbol.as_ref().map_or("", Symbol::as_str);
        let text = format!("{sym} {} — {}", d.action, d.reasoning);
        let detail = json!({
            "symbol": d.symbol.as_ref().map(Symbol::as_str),
            "action": d.action,
            "quantity": d.quantity.map(|q| q.get().to_string()),
            "reasoning": d.reasoning,
            "inputs": d.inputs,
        });
        all.push((d.ts, "decision".into(), text, detail));
    }
    for o in audit.orders(owner, run).await? {
        let why = o
            .reject_reason
            .as_ref()
            .map(|x| format!(": {x}"))
            .unwrap_or_default();
        let text = format!(
            "#{} {} {} {} {}{why}",
            o.order_id.unwrap_or(0),
            o.status,
            o.side,
            o.symbol,
            o.sizing
        );
        let mut detail = serde_json::to_value(&o)?;
        strip_ts(&mut detail);
        all.push((o.ts, "order".into(), text, detail));
    }
    for f in audit.fills(owner, run).await? {
        let text = format!(
            "#{} {} {} {} @ {} (commission {})",
            f.order_id.0,
            f.side,
            display::decimal(f.qty.get(), None),
            f.symbol,
            price(f.price.get()),
            price(f.commission.get())
        );
        let mut detail = serde_json::to_value(&f)?;
        strip_ts(&mut detail);
        all.push((f.ts, "fill".into(), text, detail));
    }
    for e in audit.events(owner, run).await? {
        let text = event_text(&e.kind, &e.detail);
        let mut detail = e.detail.clone();
        strip_ts(&mut detail);
        times_to_rfc3339(&mut detail);
        all.push((e.ts, e.kind.clone(), text, detail));
    }
    all.sort_by_key(|e| e.0);
    Ok(all
        .into_iter()
        .enumerate()
        .map(|(k, (ts, kind, text, detail))| Entry {
            seq: k + 1,
            ts,
            kind,
            text,
            detail,
        })
        .collect())
}

/// The entry's own time is given once, as `time`; a copy inside the detail goes.
fn strip_ts(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("ts");
    }
}

/// The page `page` asks for.
pub fn page(trail: Vec<Entry>, page: &Page<'_>) -> Shown {
    let mut matching: Vec<Entry> = trail
        .into_iter()
        .filter(|e| e.seq > page.after && page.kind.is_none_or(|k| k == e.kind))
        .collect();
    let more = match page.limit {
        Some(n) if matching.len() > n => {
            let more = matching.len() - n;
            matching.truncate(n);
            more
        }
        _ => 0,
    };
    Shown {
        entries: matching,
        more,
    }
}

/// The page as lines `seq  time  kind  what happened`, with how to get the next page.
pub fn table(shown: &Shown, run: &str) -> String {
    let width = shown
        .entries
        .iter()
        .map(|e| e.seq.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    if shown.entries.is_empty() {
        out.push_str("no audit entries to show\n");
    }
    for e in &shown.entries {
        out.push_str(&format!(
            "{:>width$}  {:<20}  {:<12}  {}\n",
            e.seq,
            display::bar_time(e.ts),
            e.kind,
            e.text
        ));
    }
    if shown.more > 0 {
        let last = shown.entries.last().map_or(0, |e| e.seq);
        out.push_str(&format!(
            "… {} more: `tradelab runs events {run} --after {last}` for the next page, \
             --all for everything\n",
            display::count(shown.more as u64)
        ));
    }
    out
}

/// The page as JSON: `{"run", "events": [{seq, time, kind, text, detail}],
/// "more", "next_after"}`; `next_after` is the `--after` of the next page (null at
/// the end).
pub fn json(shown: &Shown, run: &str) -> Value {
    let events: Vec<Value> = shown
        .entries
        .iter()
        .map(|e| {
            let mut o = Map::new();
            o.insert("seq".into(), e.seq.into());
            o.insert("time".into(), display::json_time(e.ts));
            o.insert("kind".into(), e.kind.clone().into());
            o.insert("text".into(), e.text.clone().into());
            o.insert("detail".into(), e.detail.clone());
            Value::Object(o)
        })
        .collect();
    let next = (shown.more > 0)
        .then(|| shown.entries.last().map(|e| e.seq))
        .flatten();
    json!({ "run": run, "events": events, "more": shown.more, "next_after": next })
}
