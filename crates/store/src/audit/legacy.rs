//! Readers of the audit row tables of schema versions 1–3 (`decisions`, `orders`,
//! `fills`, `run_events`, the last renamed `legacy_run_events` by version 6), for the
//! conversion of their rows into `run_events` ([`super::convert`]).

use super::{DecisionRow, EventRow, OrderRow};
use crate::db::RowExt;
use crate::error::{Result, StoreError};
use tradelab_core::{Fill, OrderId, OrderType, Side};

fn parse_side(col: &'static str, text: &str) -> Result<Side> {
    match text {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(StoreError::invalid(col, format!("stored side {other:?}"))),
    }
}

pub(super) fn decision_from_row(row: &impl RowExt) -> Result<DecisionRow> {
    Ok(DecisionRow {
        seq: row.i64("seq")?,
        ts: row.ts("ts_ns")?,
        symbol: row.opt_parse("symbol")?,
        action: row.text("action")?,
        quantity: row.opt_parse("quantity")?,
        reasoning: row.text("reasoning")?,
        inputs: row.json("inputs")?,
    })
}

pub(super) fn order_from_row(row: &impl RowExt) -> Result<OrderRow> {
    let order_type = match row.text("order_type")?.as_str() {
        "market" => OrderType::Market,
        "limit" => OrderType::Limit(
            row.opt_parse("limit_price")?
                .ok_or_else(|| StoreError::invalid("limit_price", "missing on a limit order"))?,
        ),
        "stop" => OrderType::Stop(
            row.opt_parse("stop_price")?
                .ok_or_else(|| StoreError::invalid("stop_price", "missing on a stop order"))?,
        ),
        other => {
            return Err(StoreError::invalid(
                "order_type",
                format!("stored type {other:?}"),
            ));
        }
    };
    Ok(OrderRow {
        // Numbered by the conversion.
        seq: 0,
        order_id: row.opt_i64("order_id")?,
        client_order_id: row.opt_text("client_order_id")?,
        ts: row.ts("ts_ns")?,
        symbol: row.parse("symbol")?,
        side: parse_side("side", &row.text("side")?)?,
        order_type,
        qty: row.opt_parse("qty")?,
        sizing: row.json_as("sizing")?,
        status: row.parse("status")?,
        reject_rule: row.opt_text("reject_rule")?,
        reject_reason: row.opt_text("reject_reason")?,
    })
}

pub(super) fn fill_from_row(row: &impl RowExt) -> Result<Fill> {
    let order_id = row.i64("order_id")?;
    Ok(Fill {
        order_id: OrderId(
            u64::try_from(order_id)
                .map_err(|_| StoreError::invalid("order_id", format!("stored id {order_id}")))?,
        ),
        ts: row.ts("ts_ns")?,
        symbol: row.parse("symbol")?,
        side: parse_side("side", &row.text("side")?)?,
        qty: row.parse("qty")?,
        price: row.parse("price")?,
        commission: row.parse("commission")?,
        slippage: row.parse("slippage")?,
    })
}

pub(super) fn event_from_row(row: &impl RowExt) -> Result<EventRow> {
    Ok(EventRow {
        seq: row.i64("seq")?,
        ts: row.ts("ts_ns")?,
        symbol: None,
        kind: row.text("kind")?,
        detail: row.json("detail")?,
    })
}
