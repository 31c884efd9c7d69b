//! Reading a run's trail: the typed lists, the counts, and keyset pages.
//!
//! Every query names the owner: `run_id = $1` holds only while the run belongs to
//! one of `$2`'s models, so another owner's run reads as an empty trail, which the
//! readers then report as [`StoreError::NotFound`] (the same as a missing run).

use super::equity::decode_equity;
use super::table::{DECISION, FILL, ORDER, event_from_row};
use super::{
    Audit, AuditCounts, AuditEvent, DecisionRow, EquityRow, EventFilter, EventRow, OrderRow,
    OrderStatus,
};
use crate::db::Backend;
use crate::db::{RowExt, with_pool};
use crate::error::{Result, StoreError};
use crate::page::{Page, PageRequest};
use crate::{RunId, UserId};
use std::collections::HashMap;
use tradelab_core::Fill;

/// `SELECT` of the row columns of run `$1`, owned by `$2`, followed by `$rest`.
macro_rules! select_owned {
    (@from $from:expr, $($rest:expr),*) => {
        concat!(
            "SELECT seq, ts_ns, kind, symbol, order_id, side, qty, price, action, status, \
             rule, reason, payload FROM ", $from, " WHERE run_id = $1 AND EXISTS (SELECT 1 \
             FROM runs r JOIN models m ON m.id = r.model_id WHERE r.id = $1 AND m.owner_id = $2)",
            $($rest),*
        )
    };
    ($($rest:expr),*) => {
        select_owned!(@from "run_events", $($rest),*)
    };
}

const DECISIONS: &str = select_owned!(" AND kind = 'decision' ORDER BY seq");
const ORDERS_AND_FILLS: &str = select_owned!(" AND kind IN ('order', 'fill') ORDER BY seq");
const FILLS: &str = select_owned!(" AND kind = 'fill' ORDER BY seq");
const EVENTS: &str = select_owned!(" AND kind NOT IN ('decision', 'order', 'fill') ORDER BY seq");

/// Page queries: rows with `$3 <= seq <= $4`, at most `$5`, in seq order, of one
/// kind and/or one symbol (`$6`). A page of a kind common in trails (decision, order,
/// fill, trade_closed) or of a symbol walks the key in seq order; a kind rare in
/// trails is bound last (`$6` or `$7`) among the rows that the `run_events_rare`
/// index holds, whose condition the query repeats so that both databases use it.
macro_rules! page_sql {
    (@from $from:expr, $kind:expr) => {
        select_owned!(@from $from, " AND seq >= $3 AND seq <= $4", $kind, " ORDER BY seq LIMIT $5")
    };
    ($($kind:expr)?) => {
        select_owned!(" AND seq >= $3 AND seq <= $4", $($kind,)? " ORDER BY seq LIMIT $5")
    };
}
/// The condition of the `run_events_rare` index.
macro_rules! rare {
    () => {
        " AND kind NOT IN ('decision', 'order', 'fill', 'trade_closed')"
    };
}
const PAGE: &str = page_sql!();
const PAGE_SYMBOL: &str = page_sql!(" AND symbol = $6");
const PAGE_COMMON: &str = page_sql!(" AND kind = $6");
const PAGE_COMMON_SYMBOL: &str = page_sql!(" AND kind = $7 AND symbol = $6");
const PAGE_RARE: &str = page_sql!(concat!(rare!(), " AND kind = $6"));
const PAGE_RARE_SYMBOL: &str = page_sql!(concat!(rare!(), " AND kind = $7 AND symbol = $6"));
/// SQLite's planner does not see that a bound kind of a query that repeats the
/// index's condition may use the index: it is named.
macro_rules! sqlite_rare {
    () => {
        "run_events INDEXED BY run_events_rare"
    };
}
const SQLITE_PAGE_RARE: &str = page_sql!(@from sqlite_rare!(), concat!(rare!(), " AND kind = $6"));
const SQLITE_PAGE_RARE_SYMBOL: &str = page_sql!(
    @from sqlite_rare!(),
    concat!(rare!(), " AND kind = $7 AND symbol = $6")
);

/// The kind of a closed trade's row.
const TRADE_CLOSED: &str = "trade_closed";
/// Kinds common in trails: their pages walk the key.
const COMMON_KINDS: [&str; 4] = [DECISION, ORDER, FILL, TRADE_CLOSED];

/// The page query for `kind` (any when `None`), with or without a symbol, and
/// whether it binds the kind.
fn page_query(kind: Option<&str>, symbol: bool, backend: Backend) -> (&'static str, bool) {
    let sqlite = backend == Backend::Sqlite;
    match (kind, symbol) {
        (None, false) => (PAGE, false),
        (None, true) => (PAGE_SYMBOL, false),
        (Some(k), false) if COMMON_KINDS.contains(&k) => (PAGE_COMMON, true),
        (Some(k), true) if COMMON_KINDS.contains(&k) => (PAGE_COMMON_SYMBOL, true),
        (Some(_), false) if sqlite => (SQLITE_PAGE_RARE, true),
        (Some(_), true) if sqlite => (SQLITE_PAGE_RARE_SYMBOL, true),
        (Some(_), false) => (PAGE_RARE, true),
        (Some(_), true) => (PAGE_RARE_SYMBOL, true),
    }
}

/// The smallest `x` in the run's seq range with `ts(x) $cmp $2`, where `ts(x)` is the
/// time of the first row at or after seq `x` (the run's last seq + 1 when none is):
/// a binary search over the primary key in one statement (the bounds are separate
/// subqueries: SQLite finds `MIN` or `MAX` alone by the key, both at once by a scan). A trail is in time order
/// (see [`Audit::append`]), so `ts(x)` grows with `x` and the rows of a period are
/// a range of seqs: no time index is needed (nor written).
macro_rules! seq_search {
    ($cmp:literal) => {
        concat!(
            "WITH RECURSIVE s (lo, hi) AS ( \
               SELECT (SELECT MIN(seq) FROM run_events WHERE run_id = $1), \
                      (SELECT MAX(seq) FROM run_events WHERE run_id = $1) + 1 \
               UNION ALL \
               SELECT CASE WHEN ", seq_search!(@mid), " ", $cmp, " $2 \
                      THEN s.lo ELSE s.lo + (s.hi - s.lo) / 2 + 1 END, \
                      CASE WHEN ", seq_search!(@mid), " ", $cmp, " $2 \
                      THEN s.lo + (s.hi - s.lo) / 2 ELSE s.hi END \
               FROM s WHERE s.lo < s.hi) \
             SELECT lo FROM s WHERE lo >= hi"
        )
    };
    (@mid) => {
        "(SELECT ts_ns FROM run_events WHERE run_id = $1 \
          AND seq >= s.lo + (s.hi - s.lo) / 2 ORDER BY seq LIMIT 1)"
    };
}

/// The seq from which rows are at or after time `$2` (no row is when it is past the
/// run's last seq).
const FROM_SEQ: &str = seq_search!(">=");
/// The seq from which rows are after time `$2`: rows before it are at or before `$2`.
const AFTER_SEQ: &str = seq_search!(">");

const COUNTS: &str = "SELECT \
    (SELECT COUNT(*) FROM run_events WHERE run_id = $1 AND kind = 'decision') AS decisions, \
    (SELECT COUNT(DISTINCT order_id) + COUNT(*) - COUNT(order_id) FROM run_events \
     WHERE run_id = $1 AND kind = 'order') AS orders, \
    (SELECT COUNT(*) FROM run_events WHERE run_id = $1 AND kind = 'order') AS order_rows, \
    (SELECT COUNT(*) FROM run_events WHERE run_id = $1 AND kind = 'fill') AS fills, \
    (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM equity_chunks WHERE run_id = $1) AS equity, \
    (SELECT COUNT(*) FROM run_events WHERE run_id = $1) AS all_rows \
    WHERE EXISTS (SELECT 1 FROM runs r JOIN models m ON m.id = r.model_id \
                  WHERE r.id = $1 AND m.owner_id = $2)";

/// Folds an order's later event into its state: the latest status wins, and a
/// quantity, rule or reason it does not carry keeps the earlier one.
fn merge_order(into: &mut OrderRow, later: &OrderRow) {
    into.status = later.status;
    into.qty = later.qty.or(into.qty);
    into.reject_rule = later.reject_rule.clone().or(into.reject_rule.take());
    into.reject_reason = later.reject_reason.clone().or(into.reject_reason.take());
    if into.client_order_id.is_none() {
        into.client_order_id = later.client_order_id.clone();
    }
}

/// Each order's latest state, in placement order, from its events and fills in seq
/// order. A fill makes its order filled with the fill's units; a fill of an order
/// without events is not an order of the list.
fn fold_orders(rows: Vec<AuditEvent>) -> Vec<OrderRow> {
    let mut out: Vec<OrderRow> = Vec::new();
    let mut at: HashMap<i64, usize> = HashMap::new();
    for row in rows {
        match row {
            AuditEvent::Order(o) => match o.order_id.and_then(|id| at.get(&id).copied()) {
                Some(i) => merge_order(&mut out[i], &o),
                None => {
                    if let Some(id) = o.order_id {
                        at.insert(id, out.len());
                    }
                    out.push(o);
                }
            },
            AuditEvent::Fill(f) => {
                let id = i64::try_from(f.fill.order_id.0).ok();
                if let Some(i) = id.and_then(|id| at.get(&id).copied()) {
                    out[i].status = OrderStatus::Filled;
                    out[i].qty = Some(f.fill.qty);
                }
            }
            AuditEvent::Decision(_) | AuditEvent::Event(_) => {}
        }
    }
    out
}

/// A row of another kind than the query selected: the stored `kind` is damaged.
fn wrong_kind(seq: i64, kind: &str, wanted: &str) -> StoreError {
    StoreError::invalid(
        "audit row",
        format!("row at seq {seq} is a {kind} row, not a {wanted} row"),
    )
}

impl Audit<'_> {
    /// [`StoreError::NotFound`] unless `run` is a run of one of `owner`'s models.
    pub(super) async fn check_owner(&self, owner: UserId, run: RunId) -> Result<()> {
        let owned: Option<i64> = with_pool!(self.store, p => {
            sqlx::query_scalar(crate::runs::OWNED_RUN_SQL)
                .bind(run.0)
                .bind(owner.0)
                .fetch_optional(p)
                .await?
        });
        owned
            .map(|_| ())
            .ok_or_else(|| StoreError::not_found("run", run))
    }

    /// The rows `sql` (binding the run as `$1` and the owner as `$2`) selects; none
    /// is [`StoreError::NotFound`] when the run is not `owner`'s.
    async fn owned_rows(
        &self,
        owner: UserId,
        run: RunId,
        sql: &'static str,
    ) -> Result<Vec<AuditEvent>> {
        let rows = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(run.0).bind(owner.0).fetch_all(p).await?;
            rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?
        });
        if rows.is_empty() {
            self.check_owner(owner, run).await?;
        }
        Ok(rows)
    }

    /// A run's decisions, by `seq`. The readers take the run's owner: another
    /// owner's run is [`StoreError::NotFound`], as a missing one.
    #[tracing::instrument(name = "store.audit.decisions", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn decisions(&self, owner: UserId, run: RunId) -> Result<Vec<DecisionRow>> {
        let rows = self.owned_rows(owner, run, DECISIONS).await?;
        rows.into_iter()
            .map(|r| match r {
                AuditEvent::Decision(d) => Ok(d),
                other => Err(wrong_kind(other.seq(), other.kind(), DECISION)),
            })
            .collect()
    }

    /// A run's orders in placement order, each in its latest state (see
    /// [`OrderRow`]): the status of its last event, filled once it has a fill.
    #[tracing::instrument(name = "store.audit.orders", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn orders(&self, owner: UserId, run: RunId) -> Result<Vec<OrderRow>> {
        let rows = self.owned_rows(owner, run, ORDERS_AND_FILLS).await?;
        Ok(fold_orders(rows))
    }

    /// A run's fills, in execution order.
    #[tracing::instrument(name = "store.audit.fills", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn fills(&self, owner: UserId, run: RunId) -> Result<Vec<Fill>> {
        let rows = self.owned_rows(owner, run, FILLS).await?;
        rows.into_iter()
            .map(|r| match r {
                AuditEvent::Fill(f) => Ok(f.fill),
                other => Err(wrong_kind(other.seq(), other.kind(), FILL)),
            })
            .collect()
    }

    /// A run's events (every row but decisions, orders and fills), by `seq`.
    #[tracing::instrument(name = "store.audit.events", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn events(&self, owner: UserId, run: RunId) -> Result<Vec<EventRow>> {
        let rows = self.owned_rows(owner, run, EVENTS).await?;
        rows.into_iter()
            .map(|r| match r {
                AuditEvent::Event(e) => Ok(e),
                other => Err(wrong_kind(other.seq(), other.kind(), "run event")),
            })
            .collect()
    }

    /// A run's equity curve, by time.
    #[tracing::instrument(name = "store.audit.equity", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn equity(&self, owner: UserId, run: RunId) -> Result<Vec<EquityRow>> {
        self.check_owner(owner, run).await?;
        let mut points = Vec::new();
        with_pool!(self.store, p => {
            let rows = sqlx::query(
                "SELECT first_ts_ns, last_ts_ns, n, data FROM equity_chunks \
                 WHERE run_id = $1 ORDER BY first_ts_ns",
            )
            .bind(run.0)
            .fetch_all(p)
            .await?;
            for r in &rows {
                decode_equity(r, run.0, &mut points)?;
            }
        });
        // Batches appended out of time order leave overlapping chunks.
        if !points.windows(2).all(|w| w[0].ts < w[1].ts) {
            points.sort_by_key(|p| p.ts);
        }
        Ok(points)
    }

    /// How many rows of each kind a run has.
    #[tracing::instrument(name = "store.audit.counts", skip(self), fields(user = owner.0, run = run.0))]
    pub async fn counts(&self, owner: UserId, run: RunId) -> Result<AuditCounts> {
        let row = with_pool!(self.store, p => {
            let row = sqlx::query(COUNTS).bind(run.0).bind(owner.0).fetch_optional(p).await?;
            row.map(|row| -> Result<AuditCounts> {
                let (decisions, orders, fills) =
                    (row.i64("decisions")?, row.i64("orders")?, row.i64("fills")?);
                Ok(AuditCounts {
                    decisions,
                    orders,
                    fills,
                    equity: row.i64("equity")?,
                    // Order events, not orders: the rows of no other kind.
                    events: row.i64("all_rows")? - decisions - fills - row.i64("order_rows")?,
                })
            })
            .transpose()?
        });
        row.ok_or_else(|| StoreError::not_found("run", run))
    }

    /// Every row of `owner`'s run `run` that `filter` keeps, in seq order, read a page
    /// of `page_rows` at a time (for a kind of row a run has few of, such as a
    /// decider's `decided` rows; a whole 1M-bar trail is better paged).
    pub async fn all(
        &self,
        owner: UserId,
        run: RunId,
        filter: &EventFilter,
        page_rows: u32,
    ) -> Result<Vec<AuditEvent>> {
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .page(
                    owner,
                    run,
                    filter,
                    PageRequest {
                        limit: page_rows,
                        after,
                    },
                )
                .await?;
            rows.extend(page.items);
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(rows),
            }
        }
    }

    /// One page of a run's trail in seq order: the rows `filter` keeps, at most
    /// `page.limit`, after the row `page.after`. `next_after` is the seq of the page's
    /// last row while more rows follow. A period narrows the run's key range; a kind
    /// rare in trails (risk, run_finished, …) reads its own index range; a common kind
    /// (decision, order, fill, trade_closed) or a symbol walks the key from the cursor,
    /// so a page reads its rows and those of other kinds or symbols between them:
    /// about the page whatever the run's length. Another owner's run is
    /// [`StoreError::NotFound`], as a missing one.
    #[tracing::instrument(name = "store.audit.page", skip(self, filter), fields(user = owner.0, run = run.0))]
    pub async fn page(
        &self,
        owner: UserId,
        run: RunId,
        filter: &EventFilter,
        page: PageRequest<i64>,
    ) -> Result<Page<AuditEvent, i64>> {
        let fetch = page.fetch_limit()?;
        let mut lo = page.after.map_or(i64::MIN, |a| a.saturating_add(1));
        let mut hi = i64::MAX;
        let symbol = filter.symbol.as_ref().map(|s| s.as_str());
        let mut kinds: Vec<&str> = filter.kinds.iter().map(String::as_str).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let backend = self.store.backend();
        let rows = with_pool!(self.store, p => {
            // A period is the seq range [first at or after `from`, first after `to`).
            if let Some(from) = filter.from {
                let x: Option<i64> = sqlx::query_scalar(FROM_SEQ)
                    .bind(run.0).bind(from.nanos()).fetch_optional(p).await?.flatten();
                lo = lo.max(x.unwrap_or(i64::MAX));
            }
            if let Some(to) = filter.to {
                let x: Option<i64> = sqlx::query_scalar(AFTER_SEQ)
                    .bind(run.0).bind(to.nanos()).fetch_optional(p).await?.flatten();
                hi = hi.min(x.map_or(i64::MIN, |x| x.saturating_sub(1)));
            }
            let mut rows = Vec::new();
            if lo <= hi {
                // One query per kind (each an index range in seq order), merged.
                let kinds: Vec<Option<&str>> = if kinds.is_empty() {
                    vec![None]
                } else {
                    kinds.iter().map(|k| Some(*k)).collect()
                };
                for kind in kinds {
                    let (sql, binds_kind) = page_query(kind, symbol.is_some(), backend);
                    let mut q = sqlx::query(sql)
                        .bind(run.0)
                        .bind(owner.0)
                        .bind(lo)
                        .bind(hi)
                        .bind(fetch);
                    if let Some(s) = symbol {
                        q = q.bind(s);
                    }
                    if binds_kind {
                        q = q.bind(kind.unwrap_or_default());
                    }
                    let fetched = q.fetch_all(p).await?;
                    for r in &fetched {
                        rows.push(event_from_row(r)?);
                    }
                }
            }
            rows
        });
        let mut rows = rows;
        if kinds.len() > 1 {
            rows.sort_by_key(AuditEvent::seq);
            rows.truncate(usize::try_from(fetch).unwrap_or(usize::MAX));
        }
        let page = Page::from_fetched(rows, page.limit, AuditEvent::seq);
        if page.items.is_empty() {
            self.check_owner(owner, run).await?;
        }
        Ok(page)
    }
}
