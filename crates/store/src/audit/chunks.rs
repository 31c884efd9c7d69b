//! The audit chunks of schema versions 4–5: decisions, orders, fills and run events
//! stored as one `audit_chunks` row per kind and appended batch, holding the batch's
//! rows as a versioned blob. Version 6 converts them into rows of `run_events`
//! ([`super::convert`]) and drops the table; this decoder is the conversion's reader,
//! and the encoder (tests only) writes the chunks a version-5 database holds.
//!
//! Layout of `data` (little-endian; "varint" is unsigned LEB128, "zigzag" a signed
//! varint, "text" a varint byte length then UTF-8, "json" a text of compact JSON,
//! "decimal" a scale byte then the zigzag mantissa, "opt X" a 0/1 byte then X):
//!
//!   byte 0   format version (AUDIT_FORMAT_V1)
//!   varint S, then S texts: the chunk's symbol table (records name symbols by index)
//!   then `n` records of the chunk's kind:
//!     decision: seq zigzag | ts_ns i64 | opt symbol varint | action text
//!               | opt quantity decimal | reasoning text | inputs json
//!     order:    opt order_id zigzag | opt client_order_id text | ts_ns i64
//!               | symbol varint | side u8 (0 buy, 1 sell)
//!               | order type u8 (0 market, 1 limit + price decimal, 2 stop + price decimal)
//!               | opt qty decimal | sizing json | status u8 (index in OrderStatus::ALL)
//!               | opt reject_rule text | opt reject_reason text
//!     fill:     order_id varint | ts_ns i64 | symbol varint | side u8 | qty decimal
//!               | price decimal | commission decimal | slippage decimal
//!     event:    seq zigzag | ts_ns i64 | kind text | detail json
//!
//! Row columns: `first_key`/`last_key` are the seq range (decisions, events), the
//! order id range (orders; null when no row has an id) or the time range (fills);
//! `n` counts records and `n_rows` what they add to the run's counts (an order
//! appended again updates its stored row and adds nothing).

#[cfg(test)]
use super::codec::Writer;
use super::codec::{DecodeResult, Reader};
use super::{AuditEvent, DecisionRow, EventRow, FillRow, OrderRow, OrderStatus};
use crate::db::RowExt;
use crate::error::{Result, StoreError};
use tradelab_core::{Fill, OrderId, OrderType};

/// Version byte of the layout described above.
pub(super) const AUDIT_FORMAT_V1: u8 = 1;

/// Which rows a chunk holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Decision,
    Order,
    Fill,
    Event,
}

impl Kind {
    /// The stored `kind` column.
    #[cfg(test)]
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Kind::Decision => "decision",
            Kind::Order => "order",
            Kind::Fill => "fill",
            Kind::Event => "event",
        }
    }

    /// What a decoding error names.
    fn what(self) -> &'static str {
        match self {
            Kind::Decision => "decision chunk",
            Kind::Order => "order chunk",
            Kind::Fill => "fill chunk",
            Kind::Event => "event chunk",
        }
    }
}

#[cfg(test)]
pub(super) const INSERT_CHUNK: &str = "INSERT INTO audit_chunks \
    (run_id, kind, first_key, last_key, n, n_rows, data) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// Every chunk of run `$1`, in append order.
pub(super) const SELECT_RUN_CHUNKS: &str =
    "SELECT id, kind, n, data FROM audit_chunks WHERE run_id = $1 ORDER BY id";

/// A chunk to insert.
#[cfg(test)]
pub(super) struct NewChunk {
    pub(super) kind: Kind,
    pub(super) first_key: Option<i64>,
    pub(super) last_key: Option<i64>,
    pub(super) n: i64,
    pub(super) n_rows: i64,
    pub(super) data: Vec<u8>,
}

#[cfg(test)]
fn encode<T>(
    kind: Kind,
    rows: &[T],
    bytes_per_row: usize,
    write: impl Fn(&mut Writer, &T) -> DecodeResult<()>,
) -> Result<Vec<u8>> {
    let mut w = Writer::new(AUDIT_FORMAT_V1, rows.len() * bytes_per_row);
    for row in rows {
        write(&mut w, row)
            .map_err(|e| StoreError::invalid(kind.what(), format!("cannot encode: {e}")))?;
    }
    Ok(w.finish())
}

/// A chunk of `rows` (non-empty) keyed by `keys`' range.
#[cfg(test)]
fn chunk<T>(
    kind: Kind,
    rows: &[T],
    keys: impl Iterator<Item = i64>,
    bytes_per_row: usize,
    write: impl Fn(&mut Writer, &T) -> DecodeResult<()>,
) -> Result<NewChunk> {
    let (mut first, mut last) = (None::<i64>, None::<i64>);
    for k in keys {
        first = Some(first.map_or(k, |f| f.min(k)));
        last = Some(last.map_or(k, |l| l.max(k)));
    }
    Ok(NewChunk {
        kind,
        first_key: first,
        last_key: last,
        n: rows.len() as i64,
        n_rows: rows.len() as i64,
        data: encode(kind, rows, bytes_per_row, write)?,
    })
}

#[cfg(test)]
pub(super) fn decision_chunk<J: serde::Serialize>(rows: &[DecisionRow<J>]) -> Result<NewChunk> {
    chunk(
        Kind::Decision,
        rows,
        rows.iter().map(|r| r.seq),
        160,
        |w, r| {
            w.zigzag(r.seq.into());
            w.ts(r.ts);
            w.opt_symbol(r.symbol.as_ref());
            w.str(&r.action);
            w.opt_decimal(r.quantity.map(|q| q.get()));
            w.str(&r.reasoning);
            w.json(&r.inputs)
        },
    )
}

#[cfg(test)]
pub(super) fn order_chunk(rows: &[OrderRow]) -> Result<NewChunk> {
    let ids = rows.iter().filter_map(|r| r.order_id);
    chunk(Kind::Order, rows, ids, 48, |w, r| {
        match r.order_id {
            None => w.u8(0),
            Some(id) => {
                w.u8(1);
                w.zigzag(id.into());
            }
        }
        w.opt_str(r.client_order_id.as_deref());
        w.ts(r.ts);
        w.symbol(&r.symbol);
        w.side(r.side);
        match r.order_type {
            OrderType::Market => w.u8(0),
            OrderType::Limit(p) => {
                w.u8(1);
                w.decimal(p.get());
            }
            OrderType::Stop(p) => {
                w.u8(2);
                w.decimal(p.get());
            }
        }
        w.opt_decimal(r.qty.map(|q| q.get()));
        w.json(&r.sizing)?;
        let status = OrderStatus::ALL.iter().position(|s| *s == r.status);
        w.u8(status.unwrap_or(0) as u8);
        w.opt_str(r.reject_rule.as_deref());
        w.opt_str(r.reject_reason.as_deref());
        Ok(())
    })
}

#[cfg(test)]
pub(super) fn fill_chunk(rows: &[Fill]) -> Result<NewChunk> {
    chunk(
        Kind::Fill,
        rows,
        rows.iter().map(|f| f.ts.nanos()),
        32,
        |w, f| {
            w.varint(f.order_id.0.into());
            w.ts(f.ts);
            w.symbol(&f.symbol);
            w.side(f.side);
            w.decimal(f.qty.get());
            w.decimal(f.price.get());
            w.decimal(f.commission.get());
            w.decimal(f.slippage.get());
            Ok(())
        },
    )
}

#[cfg(test)]
pub(super) fn event_chunk<J: serde::Serialize>(rows: &[EventRow<J>]) -> Result<NewChunk> {
    chunk(
        Kind::Event,
        rows,
        rows.iter().map(|r| r.seq),
        200,
        |w, r| {
            w.zigzag(r.seq.into());
            w.ts(r.ts);
            w.str(&r.kind);
            w.json(&r.detail)
        },
    )
}

fn read_decision(r: &mut Reader<'_>) -> DecodeResult<DecisionRow> {
    Ok(DecisionRow {
        seq: r.i64()?,
        ts: r.ts()?,
        symbol: r.opt_symbol()?,
        action: r.string()?,
        quantity: r.opt_decimal()?.map(Into::into),
        reasoning: r.string()?,
        inputs: r.json()?,
    })
}

fn read_order(r: &mut Reader<'_>) -> DecodeResult<OrderRow> {
    let order_id = if r.flag()? { Some(r.i64()?) } else { None };
    let client_order_id = r.opt_string()?;
    let ts = r.ts()?;
    let symbol = r.symbol()?;
    let side = r.side()?;
    let order_type = match r.u8()? {
        0 => OrderType::Market,
        1 => OrderType::Limit(r.decimal()?.into()),
        2 => OrderType::Stop(r.decimal()?.into()),
        other => return Err(format!("order type byte {other}")),
    };
    let qty = r.opt_decimal()?.map(Into::into);
    let sizing = r.json_as()?;
    let status = r.u8()?;
    let status = *OrderStatus::ALL
        .get(usize::from(status))
        .ok_or_else(|| format!("order status byte {status}"))?;
    Ok(OrderRow {
        // Numbered by the conversion.
        seq: 0,
        order_id,
        client_order_id,
        ts,
        symbol,
        side,
        order_type,
        qty,
        sizing,
        status,
        reject_rule: r.opt_string()?,
        reject_reason: r.opt_string()?,
    })
}

fn read_fill(r: &mut Reader<'_>) -> DecodeResult<Fill> {
    let id = r.varint()?;
    let order_id = u64::try_from(id).map_err(|_| format!("order id {id} out of range"))?;
    Ok(Fill {
        order_id: OrderId(order_id),
        ts: r.ts()?,
        symbol: r.symbol()?,
        side: r.side()?,
        qty: r.decimal()?.into(),
        price: r.decimal()?.into(),
        commission: r.decimal()?.into(),
        slippage: r.decimal()?.into(),
    })
}

fn read_event(r: &mut Reader<'_>) -> DecodeResult<EventRow> {
    Ok(EventRow {
        seq: r.i64()?,
        ts: r.ts()?,
        symbol: None,
        kind: r.string()?,
        detail: r.json()?,
    })
}

/// Decodes and checks one stored chunk (`id`, `n`, `data` columns) of `kind`,
/// appending its records to `out`; a bad chunk is [`StoreError::InvalidData`] naming
/// the run and the chunk.
fn decode<T>(
    kind: Kind,
    run: i64,
    row: &impl RowExt,
    out: &mut Vec<T>,
    read: fn(&mut Reader<'_>) -> DecodeResult<T>,
) -> Result<()> {
    let id = row.i64("id")?;
    let n = row.i64("n")?;
    let data = row.bytes("data")?;
    let bad =
        |why: String| StoreError::invalid(kind.what(), format!("run {run}, chunk {id}: {why}"));
    let count = usize::try_from(n)
        .ok()
        .filter(|&c| c > 0 && c <= data.len())
        .ok_or_else(|| bad(format!("record count {n}")))?;
    let mut r = Reader::open(&data, AUDIT_FORMAT_V1).map_err(&bad)?;
    out.reserve(count);
    for i in 0..count {
        out.push(read(&mut r).map_err(|e| bad(format!("record {i}: {e}")))?);
    }
    if !r.at_end() {
        return Err(bad(format!("bytes left after {n} records")));
    }
    Ok(())
}

/// Decodes one stored chunk (`id`, `kind`, `n`, `data` columns) of run `run`,
/// appending its records to `out` with the numbers they were stored with (orders and
/// fills had none: 0).
pub(super) fn decode_chunk(run: i64, row: &impl RowExt, out: &mut Vec<AuditEvent>) -> Result<()> {
    let kind = row.text("kind")?;
    match kind.as_str() {
        "decision" => {
            let mut rows = Vec::new();
            decode(Kind::Decision, run, row, &mut rows, read_decision)?;
            out.extend(rows.into_iter().map(AuditEvent::Decision));
        }
        "order" => {
            let mut rows = Vec::new();
            decode(Kind::Order, run, row, &mut rows, read_order)?;
            out.extend(rows.into_iter().map(AuditEvent::Order));
        }
        "fill" => {
            let mut rows = Vec::new();
            decode(Kind::Fill, run, row, &mut rows, read_fill)?;
            out.extend(
                rows.into_iter()
                    .map(|fill| AuditEvent::Fill(FillRow { seq: 0, fill })),
            );
        }
        "event" => {
            let mut rows = Vec::new();
            decode(Kind::Event, run, row, &mut rows, read_event)?;
            out.extend(rows.into_iter().map(AuditEvent::Event));
        }
        other => {
            return Err(StoreError::invalid(
                "audit chunk",
                format!("run {run}: unknown kind {other:?}"),
            ));
        }
    }
    Ok(())
}
