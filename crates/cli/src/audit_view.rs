//! `runs events`: a run's audit trail (decisions, order events, fills, run events)
//! read from the store a page at a time, and shown as sentences or as JSON.
//!
//! An entry's number (`seq`) is the stored row's: ascending in run order, the same
//! whatever the filters show, and `--after SEQ` continues where a page ended.

use crate::display::{self, amount, json_text, percent, price};
use crate::run_view::TradeView;
use anyhow::Result;
use serde_json::{Map, Value, json};
use tradelab_core::{Symbol, Timestamp};
use tradelab_store::{Audit, AuditEvent, EventFilter, MAX_PAGE_LIMIT, PageRequest, RunId, UserId};

/// One entry of the trail, ready to show.
pub struct Entry {
    /// The stored row's number.
    pub seq: i64,
    pub ts: Timestamp,
    /// `decision`, `order`, `fill`, `risk`, `trade_closed`, `run_finished`, …
    pub kind: String,
    /// What happened, in words.
    pub text: String,
    /// The stored row as JSON (times as RFC 3339).
    pub detail: Value,
}

/// Entries read from the store and the cursor of the page after them.
pub struct Shown {
    pub entries: Vec<Entry>,
    /// The `--after` of the next page; `None` when the trail (as filtered) ends here.
    pub next_after: Option<i64>,
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

/// A decider call that said something: its reasoning, what it ordered or withdrew,
/// and the model's usage when the trace has it.
fn decided_text(d: &Value) -> String {
    let count = |k: &str| d.get(k).and_then(Value::as_u64).unwrap_or(0);
    let mut text = match (count("orders"), count("cancels")) {
        (0, 0) => "hold".to_string(),
        (o, 0) => format!("{o} order(s)"),
        (0, c) => format!("{c} cancel(s)"),
        (o, c) => format!("{o} order(s), {c} cancel(s)"),
    };
    if let Some(reasoning) = d.get("reasoning").and_then(Value::as_str) {
        text.push_str(": ");
        text.push_str(reasoning);
    }
    if let Some(usage) = d.pointer("/trace/usage") {
        let tokens = |k: &str| usage.get(k).and_then(Value::as_u64).unwrap_or(0);
        text.push_str(&format!(
            " ({} prompt + {} completion tokens",
            tokens("prompt_tokens"),
            tokens("completion_tokens")
        ));
        if let Some(cost) = usage.get("cost_usd").and_then(Value::as_f64) {
            text.push_str(&format!(", ${cost:.4}"));
        }
        text.push(')');
    }
    text
}

/// A command applied to the run, in words.
fn command_text(d: &Value) -> String {
    match d.get("command").and_then(Value::as_str) {
        Some("stop") if d.get("flatten").and_then(Value::as_bool) == Some(true) => {
            "command: stop, positions closed".into()
        }
        Some("stop") => "command: stop, positions left open".into(),
        Some("flatten") => "command: flatten every position".into(),
        Some("pause") => "command: pause".into(),
        Some("resume") => "command: resume".into(),
        _ => json_text(d),
    }
}

/// A learner's note on its model in words: its guardrail's pause or resume (the
/// detail says why), or a snapshot of its state.
fn model_text(d: &Value) -> String {
    match get_str(d, "model") {
        "snapshot" => {
            // Trails written before snapshot events carried their version have none.
            let version = d
                .get("version")
                .and_then(Value::as_u64)
                .map_or(String::new(), |v| format!(" as version {v}"));
            format!(
                "learner snapshot saved after {} bars ({} bytes){version}",
                d.get("bars").and_then(Value::as_u64).unwrap_or(0),
                d.get("size").and_then(Value::as_u64).unwrap_or(0)
            )
        }
        _ => get_str(d, "detail").to_string(),
    }
}

/// An event row (`risk`, `trade_closed`, `run_finished`, …) in words.
fn event_text(kind: &str, d: &Value) -> String {
    match kind {
        "risk" => risk_text(d),
        "trade_closed" => trade_text(d),
        "run_finished" => finished_text(d),
        "decided" => decided_text(d),
        "decider_failed" => {
            let then = if d.get("continued").and_then(Value::as_bool) == Some(true) {
                "the step counts as a hold"
            } else {
                "the run stops"
            };
            format!("the decider failed: {}; {then}", get_str(d, "message"))
        }
        "command" => command_text(d),
        "model" => model_text(d),
        _ => {
            let mut v = d.clone();
            times_to_rfc3339(&mut v);
            json_text(&v)
        }
    }
}

/// Up to `limit` entries (`None`: all) of `run` that `filter` keeps, after the row
/// `after`, read a store page (at most [`MAX_PAGE_LIMIT`] rows) at a time; `each`
/// receives every page's entries as they arrive. Returns the next page's cursor.
pub async fn read(
    audit: &Audit<'_>,
    owner: UserId,
    run: RunId,
    filter: &EventFilter,
    after: Option<i64>,
    limit: Option<usize>,
    mut each: impl FnMut(Vec<Entry>) -> Result<()>,
) -> Result<Option<i64>> {
    let mut cursor = after;
    let mut left = limit;
    loop {
        let want = left.map_or(MAX_PAGE_LIMIT, |n| {
            u32::try_from(n).unwrap_or(u32::MAX).min(MAX_PAGE_LIMIT)
        });
        if want == 0 {
            return Ok(cursor);
        }
        let page = audit
            .page(
                owner,
                run,
                filter,
                PageRequest {
                    limit: want,
                    after: cursor,
                },
            )
            .await?;
        let n = page.items.len();
        let entries = page
            .items
            .into_iter()
            .map(entry)
            .collect::<Result<Vec<_>>>()?;
        each(entries)?;
        left = left.map(|l| l.saturating_sub(n));
        match page.next_after {
            None => return Ok(None),
            Some(next) => cursor = Some(next),
        }
    }
}

/// A stored row as an entry: its words and its JSON detail.
fn entry(e: AuditEvent) -> Result<Entry> {
    let (seq, ts, kind) = (e.seq(), e.ts(), e.kind().to_string());
    let (text, detail) = match e {
        AuditEvent::Decision(d) => {
            let sym = d.symbol.as_ref().map_or("", Symbol::as_str);
            let text = format!("{sym} {} — {}", d.action, d.reasoning);
            let detail = json!({
                "symbol": d.symbol.as_ref().map(Symbol::as_str),
                "action": d.action,
                "quantity": d.quantity.map(|q| q.get().to_string()),
                "reasoning": d.reasoning,
                "inputs": d.inputs,
            });
            (text, detail)
        }
        AuditEvent::Order(o) => {
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
            strip_row_keys(&mut detail);
            (text, detail)
        }
        AuditEvent::Fill(f) => {
            let f = f.fill;
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
            strip_row_keys(&mut detail);
            (text, detail)
        }
        AuditEvent::Event(e) => {
            let text = event_text(&e.kind, &e.detail);
            let mut detail = e.detail;
            strip_row_keys(&mut detail);
            times_to_rfc3339(&mut detail);
            (text, detail)
        }
    };
    Ok(Entry {
        seq,
        ts,
        kind,
        text,
        detail,
    })
}

/// The entry's own time and number are given once, as `time` and `seq`; copies
/// inside the detail go.
fn strip_row_keys(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("ts");
        o.remove("seq");
    }
}

/// The entries as lines `seq  time  kind  what happened`.
pub fn table(entries: &[Entry]) -> String {
    let width = entries
        .iter()
        .map(|e| e.seq.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!(
            "{:>width$}  {:<20}  {:<12}  {}\n",
            e.seq,
            display::bar_time(e.ts),
            e.kind,
            e.text
        ));
    }
    out
}

/// The line after a table that stops before the trail's end: how to get the next page.
pub fn next_page_hint(command: &str, next_after: i64) -> String {
    format!("… more: `{command} --after {next_after}` for the next page, --all for everything\n")
}

/// The page as JSON: `{"run", "items": [{seq, time, kind, text, detail}],
/// "next_after"}`; `next_after` is the `--after` of the next page (null at the end).
pub fn json(shown: &Shown, run: &str) -> Value {
    let items: Vec<Value> = shown
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
    json!({ "run": run, "items": items, "next_after": shown.next_after })
}

#[cfg(test)]
mod new_kinds_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decider_calls_commands_and_failures_read_as_words() {
        let hold = json!({"event": "decided", "orders": 0, "cancels": 0,
            "reasoning": "RSI 55 is neutral",
            "trace": {"usage": {"prompt_tokens": 812, "completion_tokens": 40, "cost_usd": 0.0021}}});
        assert_eq!(
            event_text("decided", &hold),
            "hold: RSI 55 is neutral (812 prompt + 40 completion tokens, $0.0021)"
        );
        let stop = json!({"command": "stop", "flatten": true});
        assert_eq!(
            event_text("command", &stop),
            "command: stop, positions closed"
        );
        let failed = json!({"message": "model call timed out after 60 s", "continued": true});
        assert_eq!(
            event_text("decider_failed", &failed),
            "the decider failed: model call timed out after 60 s; the step counts as a hold"
        );
    }
}
