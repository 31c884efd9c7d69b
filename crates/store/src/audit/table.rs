//! The `run_events` table: how each kind of row maps onto its columns, the bulk
//! insert of a batch's rows on each backend ([`RowsIo`]), and rows read back into
//! [`AuditEvent`]s.
//!
//! Columns by kind (every row has `run_id`, `seq`, `ts_ns`, `time`, `kind`, `payload`):
//!
//! | kind       | symbol | order_id | side | qty          | price       | action | status | rule | reason     | payload |
//! |------------|--------|----------|------|--------------|-------------|--------|--------|------|------------|---------|
//! | `decision` | opt    |          |      | opt quantity |             | yes    |        |      | reasoning  | the decider's inputs |
//! | `order`    | yes    | opt      | yes  | opt units    | limit/stop  |        | yes    | opt  | opt reason | `{"order_type", "sizing", "client_order_id"?}` |
//! | `fill`     | yes    | yes      | yes  | units        | fill price  |        |        |      |            | `{"commission", "slippage"}` |
//! | any other  | opt    |          |      |              |             |        |        |      |            | the event's detail |
//!
//! Quantities and prices are exact decimal text, as everywhere in the ledger.

use super::{AuditEvent, DecisionRow, EventRow, FillRow, OrderRow, OrderStatus};
use crate::db::RowExt;
use crate::error::{Result, StoreError};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use tradelab_core::{Fill, Money, OrderId, OrderType, Side, Sizing, Timestamp};

/// `kind` of a decision row.
pub(crate) const DECISION: &str = "decision";
/// `kind` of an order event row.
pub(crate) const ORDER: &str = "order";
/// `kind` of a fill row.
pub(crate) const FILL: &str = "fill";

/// One row to insert, its values encoded as the columns store them.
pub(crate) struct NewRow<'a> {
    pub(crate) seq: i64,
    pub(crate) ts_ns: i64,
    pub(crate) kind: &'a str,
    pub(crate) symbol: Option<&'a str>,
    pub(crate) order_id: Option<i64>,
    pub(crate) side: Option<&'static str>,
    pub(crate) qty: Option<String>,
    pub(crate) price: Option<String>,
    pub(crate) action: Option<&'a str>,
    pub(crate) status: Option<&'static str>,
    pub(crate) rule: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) payload: Cow<'a, str>,
}

/// The JSON payload of an order row: what its columns do not hold.
#[derive(Serialize, Deserialize)]
struct OrderPayload<'a> {
    /// `market`, `limit` or `stop` (the price is the `price` column).
    order_type: Cow<'a, str>,
    sizing: Sizing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_order_id: Option<Cow<'a, str>>,
}

/// The JSON payload of a fill row.
#[derive(Serialize, Deserialize)]
struct FillPayload {
    commission: Money,
    slippage: Money,
}

fn side_text(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// JSON text of `v`, naming `what` when it cannot be encoded.
fn json_text<T: Serialize + ?Sized>(what: &'static str, v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|e| StoreError::invalid(what, format!("cannot encode as JSON: {e}")))
}

impl<'a> NewRow<'a> {
    fn base(seq: i64, ts: Timestamp, kind: &'a str, payload: Cow<'a, str>) -> Self {
        NewRow {
            seq,
            ts_ns: ts.nanos(),
            kind,
            symbol: None,
            order_id: None,
            side: None,
            qty: None,
            price: None,
            action: None,
            status: None,
            rule: None,
            reason: None,
            payload,
        }
    }

    pub(crate) fn decision<J: Serialize>(d: &'a DecisionRow<J>) -> Result<Self> {
        let payload = json_text("decision inputs", &d.inputs)?;
        Ok(NewRow {
            symbol: d.symbol.as_ref().map(|s| s.as_str()),
            qty: d.quantity.map(|q| q.get().to_string()),
            action: Some(&d.action),
            reason: Some(&d.reasoning),
            ..NewRow::base(d.seq, d.ts, DECISION, Cow::Owned(payload))
        })
    }

    pub(crate) fn order(o: &'a OrderRow) -> Result<Self> {
        let (order_type, price) = match o.order_type {
            OrderType::Market => ("market", None),
            OrderType::Limit(p) => ("limit", Some(p.get().to_string())),
            OrderType::Stop(p) => ("stop", Some(p.get().to_string())),
        };
        let payload = OrderPayload {
            order_type: Cow::Borrowed(order_type),
            sizing: o.sizing,
            client_order_id: o.client_order_id.as_deref().map(Cow::Borrowed),
        };
        Ok(NewRow {
            symbol: Some(o.symbol.as_str()),
            order_id: o.order_id,
            side: Some(side_text(o.side)),
            qty: o.qty.map(|q| q.get().to_string()),
            price,
            status: Some(o.status.as_str()),
            rule: o.reject_rule.as_deref(),
            reason: o.reject_reason.as_deref(),
            ..NewRow::base(
                o.seq,
                o.ts,
                ORDER,
                Cow::Owned(json_text("order", &payload)?),
            )
        })
    }

    pub(crate) fn fill(f: &'a FillRow) -> Result<Self> {
        let fill = &f.fill;
        let id = i64::try_from(fill.order_id.0).map_err(|_| {
            StoreError::invalid("order id", format!("{} is too large", fill.order_id))
        })?;
        let payload = FillPayload {
            commission: fill.commission,
            slippage: fill.slippage,
        };
        Ok(NewRow {
            symbol: Some(fill.symbol.as_str()),
            order_id: Some(id),
            side: Some(side_text(fill.side)),
            qty: Some(fill.qty.get().to_string()),
            price: Some(fill.price.get().to_string()),
            ..NewRow::base(
                f.seq,
                fill.ts,
                FILL,
                Cow::Owned(json_text("fill", &payload)?),
            )
        })
    }

    pub(crate) fn event<J: Serialize>(e: &'a EventRow<J>) -> Result<Self> {
        if e.kind.is_empty() || super::RESERVED_KINDS.contains(&e.kind.as_str()) {
            return Err(StoreError::invalid(
                "run event kind",
                format!(
                    "{:?} at seq {} is empty or the kind of another row ({})",
                    e.kind,
                    e.seq,
                    super::RESERVED_KINDS.join(", ")
                ),
            ));
        }
        let payload = json_text("event detail", &e.detail)?;
        Ok(NewRow {
            symbol: e.symbol.as_ref().map(|s| s.as_str()),
            ..NewRow::base(e.seq, e.ts, &e.kind, Cow::Owned(payload))
        })
    }
}

/// Inserting rows into `run_events` on one backend's connection (in a transaction).
pub(crate) trait RowsIo {
    /// Inserts `rows` of run `run` in bulk.
    fn insert_rows(
        &mut self,
        run: i64,
        rows: &[NewRow<'_>],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

impl RowsIo for sqlx::SqliteConnection {
    async fn insert_rows(&mut self, run: i64, rows: &[NewRow<'_>]) -> Result<(), sqlx::Error> {
        super::sqlite_bulk::insert_rows(self, run, rows).await
    }
}

/// PostgreSQL receives a batch's rows by `COPY … FROM STDIN` in text format (the
/// server's fastest way in: no statement to parse per row, no arrays to unpack).
const PG_COPY: &str = "COPY run_events (run_id, seq, ts_ns, time, kind, symbol, order_id, \
     side, qty, price, action, status, rule, reason, payload) FROM STDIN";

/// Bytes of COPY data sent at a time.
const PG_COPY_CHUNK: usize = 1 << 20;

/// Appends `text` as a COPY text-format value: backslash, tab, newline and carriage
/// return escaped.
fn copy_text(buf: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            _ => buf.push(b),
        }
    }
}

fn copy_opt(buf: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => copy_text(buf, t),
        None => buf.extend_from_slice(b"\\N"),
    }
}

fn copy_int(buf: &mut Vec<u8>, v: Option<i64>) {
    match v {
        Some(v) => buf.extend_from_slice(v.to_string().as_bytes()),
        None => buf.extend_from_slice(b"\\N"),
    }
}

/// One row as a line of COPY text.
fn copy_row(buf: &mut Vec<u8>, run: i64, r: &NewRow<'_>) {
    copy_int(buf, Some(run));
    buf.push(b'\t');
    copy_int(buf, Some(r.seq));
    buf.push(b'\t');
    copy_int(buf, Some(r.ts_ns));
    buf.push(b'\t');
    copy_text(buf, &rfc3339(r.ts_ns));
    for text in [Some(r.kind), r.symbol] {
        buf.push(b'\t');
        copy_opt(buf, text);
    }
    buf.push(b'\t');
    copy_int(buf, r.order_id);
    for text in [
        r.side,
        r.qty.as_deref(),
        r.price.as_deref(),
        r.action,
        r.status,
        r.rule,
        r.reason,
        Some(r.payload.as_ref()),
    ] {
        buf.push(b'\t');
        copy_opt(buf, text);
    }
    buf.push(b'\n');
}

impl RowsIo for sqlx::PgConnection {
    async fn insert_rows(&mut self, run: i64, rows: &[NewRow<'_>]) -> Result<(), sqlx::Error> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut copy = self.copy_in_raw(PG_COPY).await?;
        let mut buf = Vec::with_capacity(PG_COPY_CHUNK + 4096);
        for r in rows {
            copy_row(&mut buf, run, r);
            if buf.len() >= PG_COPY_CHUNK {
                copy.send(buf.as_slice()).await?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_slice()).await?;
        }
        copy.finish().await?;
        Ok(())
    }
}

/// The `time` column: `ts_ns` in RFC 3339, UTC, with the fraction of a second only
/// when there is one (`2019-01-02T14:30:00Z`, `2019-01-02T14:30:00.25Z`). SQLite
/// computes the same text from `ts_ns` (a generated column); PostgreSQL stores it.
pub(crate) fn rfc3339(ts_ns: i64) -> String {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let frac = ts_ns.rem_euclid(1_000_000_000);
    let at = jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let mut text = at.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    if frac != 0 {
        let digits = format!("{frac:09}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text.push('Z');
    text
}

fn parse_side(text: &str) -> Result<Side> {
    match text {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(StoreError::invalid(
            "side",
            format!("stored side {other:?}"),
        )),
    }
}

/// A column a row of `kind` must have, else [`StoreError::InvalidData`] naming the row.
fn required<T>(value: Option<T>, col: &'static str, kind: &str, seq: i64) -> Result<T> {
    value.ok_or_else(|| StoreError::invalid(col, format!("missing on the {kind} row at seq {seq}")))
}

/// A row (`seq, ts_ns, kind, symbol, order_id, side, qty, price, action, status, rule,
/// reason, payload`) read back into its kind's type.
pub(super) fn event_from_row(row: &impl RowExt) -> Result<AuditEvent> {
    let seq = row.i64("seq")?;
    let ts = row.ts("ts_ns")?;
    let kind = row.text("kind")?;
    Ok(match kind.as_str() {
        DECISION => AuditEvent::Decision(DecisionRow {
            seq,
            ts,
            symbol: row.opt_parse("symbol")?,
            action: required(row.opt_text("action")?, "action", &kind, seq)?,
            quantity: row.opt_parse("qty")?,
            reasoning: required(row.opt_text("reason")?, "reason", &kind, seq)?,
            inputs: row.json("payload")?,
        }),
        ORDER => {
            let payload: OrderPayload<'_> = row.json_as("payload")?;
            let price = || -> Result<_> { required(row.opt_parse("price")?, "price", &kind, seq) };
            let order_type = match payload.order_type.as_ref() {
                "market" => OrderType::Market,
                "limit" => OrderType::Limit(price()?),
                "stop" => OrderType::Stop(price()?),
                other => {
                    return Err(StoreError::invalid(
                        "order_type",
                        format!("stored type {other:?} at seq {seq}"),
                    ));
                }
            };
            let status: OrderStatus = required(row.opt_parse("status")?, "status", &kind, seq)?;
            AuditEvent::Order(OrderRow {
                seq,
                order_id: row.opt_i64("order_id")?,
                client_order_id: payload.client_order_id.map(Cow::into_owned),
                ts,
                symbol: required(row.opt_parse("symbol")?, "symbol", &kind, seq)?,
                side: parse_side(&required(row.opt_text("side")?, "side", &kind, seq)?)?,
                order_type,
                qty: row.opt_parse("qty")?,
                sizing: payload.sizing,
                status,
                reject_rule: row.opt_text("rule")?,
                reject_reason: row.opt_text("reason")?,
            })
        }
        FILL => {
            let payload: FillPayload = row.json_as("payload")?;
            let id = required(row.opt_i64("order_id")?, "order_id", &kind, seq)?;
            let id = u64::try_from(id)
                .map_err(|_| StoreError::invalid("order_id", format!("stored id {id}")))?;
            AuditEvent::Fill(FillRow {
                seq,
                fill: Fill {
                    order_id: OrderId(id),
                    ts,
                    symbol: required(row.opt_parse("symbol")?, "symbol", &kind, seq)?,
                    side: parse_side(&required(row.opt_text("side")?, "side", &kind, seq)?)?,
                    qty: required(row.opt_parse("qty")?, "qty", &kind, seq)?,
                    price: required(row.opt_parse("price")?, "price", &kind, seq)?,
                    commission: payload.commission,
                    slippage: payload.slippage,
                },
            })
        }
        _ => AuditEvent::Event(EventRow {
            seq,
            ts,
            symbol: row.opt_parse("symbol")?,
            kind,
            detail: row.json("payload")?,
        }),
    })
}
