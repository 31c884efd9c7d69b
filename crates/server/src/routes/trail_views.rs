//! How the rows of a run's trail look in answers and in the live stream: orders in
//! Alpaca's words, fills, decisions with their reasoning, closed trades, and any row
//! with its kind and time. Money, prices and quantities as decimal strings, times as
//! RFC 3339 UTC.

use crate::views::rfc3339;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};
use tradelab_core::{OrderType, Symbol, Timestamp};
use tradelab_store::{AuditEvent, DecisionRow, FillRow, OrderRow, OrderStatus};

/// Integer values under `ts` or `*_ts` keys (epoch nanoseconds) become RFC 3339 text
/// under `time` or `*_time`, as the API gives times.
pub fn times_to_rfc3339(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let is_time = k == "ts" || k.ends_with("_ts");
                if is_time && let Some(n) = map.get(&k).and_then(Value::as_i64) {
                    map.remove(&k);
                    let name = format!("{}time", k.trim_end_matches("ts"));
                    map.insert(name, Value::String(rfc3339(Timestamp::from_nanos(n))));
                } else if let Some(inner) = map.get_mut(&k) {
                    times_to_rfc3339(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(times_to_rfc3339),
        _ => {}
    }
}

/// An order status in Alpaca's words.
fn alpaca_status(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Accepted => "new",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled => "canceled",
        OrderStatus::Rejected => "rejected",
    }
}

/// An order in its latest state, with Alpaca's field names and statuses.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct OrderView {
    /// The seq of the order's placement in the run's trail.
    pub seq: i64,
    /// The engine's order id; `null` for an intent refused before it got one.
    pub id: Option<i64>,
    pub client_order_id: Option<String>,
    /// When it was placed (or refused).
    pub created_at: String,
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// `market`, `limit` or `stop`.
    #[serde(rename = "type")]
    pub order_type: &'static str,
    pub limit_price: Option<String>,
    pub stop_price: Option<String>,
    /// Units, once resolved.
    pub qty: Option<String>,
    /// How the decider sized it: `{"kind": "shares" | "cash", "value": "…"}`,
    /// `{"kind": "all_in"}` or `{"kind": "close_position"}`.
    #[schema(value_type = Object)]
    pub sizing: Value,
    pub filled_qty: String,
    pub filled_avg_price: Option<String>,
    /// `new`, `filled`, `canceled` or `rejected`.
    pub status: &'static str,
    /// The rule that refused it (its kind).
    pub reject_rule: Option<String>,
    /// Why it was refused or cancelled.
    pub reject_reason: Option<String>,
}

/// An order as Alpaca names its fields; `filled` is its (units, average price).
pub fn order_view(o: &OrderRow, filled: Option<(Decimal, Decimal)>) -> OrderView {
    let (kind, limit, stop) = match o.order_type {
        OrderType::Market => ("market", None, None),
        OrderType::Limit(p) => ("limit", Some(p.get().to_string()), None),
        OrderType::Stop(p) => ("stop", None, Some(p.get().to_string())),
    };
    OrderView {
        seq: o.seq,
        id: o.order_id,
        client_order_id: o.client_order_id.clone(),
        created_at: rfc3339(o.ts),
        symbol: o.symbol.as_str().to_string(),
        side: o.side.to_string(),
        order_type: kind,
        limit_price: limit,
        stop_price: stop,
        qty: o.qty.map(|q| q.get().to_string()),
        sizing: serde_json::to_value(o.sizing).unwrap_or(Value::Null),
        filled_qty: filled.map_or_else(|| "0".to_string(), |(q, _)| q.normalize().to_string()),
        filled_avg_price: filled.map(|(_, p)| p.normalize().to_string()),
        status: alpaca_status(o.status),
        reject_rule: o.reject_rule.clone(),
        reject_reason: o.reject_reason.clone(),
    }
}

/// A fill.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct FillView {
    pub seq: i64,
    pub order_id: u64,
    pub time: String,
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Units filled (positive).
    pub qty: String,
    /// Execution price, slippage included.
    pub price: String,
    pub commission: String,
    /// Cost of slippage versus the unslipped price.
    pub slippage: String,
}

/// A fill with its number.
pub fn fill_view(f: &FillRow) -> FillView {
    let x = &f.fill;
    FillView {
        seq: f.seq,
        order_id: x.order_id.0,
        time: rfc3339(x.ts),
        symbol: x.symbol.as_str().to_string(),
        side: x.side.to_string(),
        qty: x.qty.get().to_string(),
        price: x.price.get().to_string(),
        commission: x.commission.get().to_string(),
        slippage: x.slippage.get().to_string(),
    }
}

/// A decision of the decider, with its reasoning and what it saw.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct DecisionView {
    pub seq: i64,
    pub time: String,
    pub symbol: Option<String>,
    /// `buy`, `sell`, `hold`, `close`, …
    pub action: String,
    pub quantity: Option<String>,
    pub reasoning: String,
    /// The context the decider saw (indicators, prompt excerpt, tool results).
    #[schema(value_type = Option<Object>)]
    pub inputs: Value,
}

/// A decision with its reasoning and inputs.
pub fn decision_view(d: &DecisionRow) -> DecisionView {
    let mut inputs = d.inputs.clone();
    times_to_rfc3339(&mut inputs);
    DecisionView {
        seq: d.seq,
        time: rfc3339(d.ts),
        symbol: d.symbol.as_ref().map(|s| s.as_str().to_string()),
        action: d.action.clone(),
        quantity: d.quantity.map(|q| q.get().to_string()),
        reasoning: d.reasoning.clone(),
        inputs,
    }
}

/// A value as JSON (views of plain fields always serialize).
fn to_json(v: impl Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A closed trade from its `trade_closed` detail: times as RFC 3339, side named.
pub fn trade_json(seq: i64, detail: &Value) -> Value {
    let mut d = detail.clone();
    let short = d
        .get("qty")
        .and_then(|q| {
            q.as_str()
                .map(str::to_string)
                .or_else(|| Some(q.to_string()))
        })
        .is_some_and(|q| q.starts_with('-'));
    times_to_rfc3339(&mut d);
    if let Some(o) = d.as_object_mut() {
        o.insert("seq".into(), json!(seq));
        o.insert("side".into(), json!(if short { "short" } else { "long" }));
    }
    d
}

/// Any row of the trail as `{seq, time, kind, symbol, …}`.
pub fn entry_json(e: &AuditEvent) -> Value {
    let mut v = match e {
        AuditEvent::Decision(d) => to_json(decision_view(d)),
        AuditEvent::Order(o) => to_json(order_view(o, None)),
        AuditEvent::Fill(f) => to_json(fill_view(f)),
        AuditEvent::Event(ev) => {
            let mut detail = ev.detail.clone();
            times_to_rfc3339(&mut detail);
            if let Some(o) = detail.as_object_mut() {
                o.remove("seq");
                o.remove("time");
            }
            json!({
                "seq": ev.seq,
                "symbol": ev.symbol.as_ref().map(Symbol::as_str),
                "detail": detail,
            })
        }
    };
    if let Some(o) = v.as_object_mut() {
        o.insert("kind".into(), json!(e.kind()));
        o.insert("time".into(), json!(rfc3339(e.ts())));
    }
    v
}
