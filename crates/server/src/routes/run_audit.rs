//! A run's audit trail over HTTP: the events (cursor-paged by seq, filtered by kind,
//! symbol and time), decisions, orders (in Alpaca's words), fills, closed trades and
//! the equity curve (downsampled on request). The same row views feed the live
//! stream.

use super::parse_id;
use super::query::Query;
use super::runs::{not_found_as, owned_run};
pub use super::trail_views::{
    DecisionView, FillView, OrderView, decision_view, entry_json, fill_view, order_view,
    times_to_rfc3339, trade_json,
};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::state::AppState;
use crate::views::{PageView, rfc3339};
use axum::Json;
use axum::extract::{Path, State};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use tradelab_core::Symbol;
use tradelab_store::{AuditEvent, EquityRow, EventFilter, OrderRow, PageRequest, RunId, UserId};

/// `?kind=&symbol=&from=&to=&after=&limit=`.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Kinds, comma-separated (`decision,order,fill,risk,trade_closed,…`).
    pub kind: Option<String>,
    pub symbol: Option<String>,
    /// A date (`2024-01-31`) or an RFC 3339 time.
    pub from: Option<String>,
    /// A date (its whole day) or an RFC 3339 time.
    pub to: Option<String>,
    /// The seq of the last row of the previous page.
    pub after: Option<i64>,
    /// Rows per page: 1 to 1000, default 50.
    pub limit: Option<u32>,
}

impl EventsQuery {
    fn filter(&self) -> ApiResult<EventFilter> {
        Ok(EventFilter {
            kinds: self
                .kind
                .as_deref()
                .map(|k| {
                    k.split(',')
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            symbol: self
                .symbol
                .as_deref()
                .map(|s| Symbol::new(s).map_err(|e| ApiError::invalid("symbol", e.to_string())))
                .transpose()?,
            from: self
                .from
                .as_deref()
                .map(|t| crate::params::time_bound("from", t, false))
                .transpose()?,
            to: self
                .to
                .as_deref()
                .map(|t| crate::params::time_bound("to", t, true))
                .transpose()?,
        })
    }
}

/// A page request of `limit` rows after seq `after`.
fn page_request(after: Option<i64>, limit: Option<u32>) -> ApiResult<PageRequest<i64>> {
    super::Paging { after, limit }.request(|a| a)
}

/// One page of the owner's run's trail.
pub(crate) async fn page(
    state: &AppState,
    owner: UserId,
    run: RunId,
    filter: &EventFilter,
    page: PageRequest<i64>,
) -> ApiResult<tradelab_store::Page<AuditEvent, i64>> {
    state
        .store
        .audit()
        .page(owner, run, filter, page)
        .await
        .map_err(|e| not_found_as("run", run.0, e))
}

/// The run id of a path, checked to be the caller's.
pub(crate) async fn run_of(state: &AppState, caller: &Caller, id: &str) -> ApiResult<RunId> {
    let id = RunId(parse_id("run", id)?);
    owned_run(state, caller.id(), id).await?;
    Ok(id)
}

/// `GET /api/v1/runs/{id}/events`: a page of the run's trail in seq order.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/events",
    tag = "run trail",
    params(("id" = i64, Path, description = "The run's id", minimum = 1), EventsQuery),
    responses(
        (status = 200, description = "A page of rows, each with `seq`, `time`, `kind` and the kind's fields (a decision's, an order's, a fill's, or `symbol` and `detail`)", body = PageView<Value>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<PageView<Value>>> {
    let run = run_of(&state, &caller, &id).await?;
    let filter = q.filter()?;
    let p = page(
        &state,
        caller.id(),
        run,
        &filter,
        page_request(q.after, q.limit)?,
    )
    .await?;
    Ok(Json(PageView {
        items: p.items.iter().map(entry_json).collect(),
        next_after: p.next_after,
    }))
}

/// Paging of a trail list: `after` (a seq) and `limit`.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeqPaging {
    /// The seq of the last row of the previous page (its `next_after`).
    pub after: Option<i64>,
    /// Rows per page: 1 to 1000, default 50.
    pub limit: Option<u32>,
}

/// A page of rows of one kind, each as `view` shows it.
async fn kind_page<T: Serialize>(
    state: &AppState,
    caller: &Caller,
    id: &str,
    kind: &str,
    q: &SeqPaging,
    view: impl Fn(&AuditEvent) -> Option<T>,
) -> ApiResult<Json<PageView<T>>> {
    let run = run_of(state, caller, id).await?;
    let filter = EventFilter {
        kinds: vec![kind.to_string()],
        ..EventFilter::default()
    };
    let p = page(
        state,
        caller.id(),
        run,
        &filter,
        page_request(q.after, q.limit)?,
    )
    .await?;
    Ok(Json(PageView {
        items: p.items.iter().filter_map(view).collect(),
        next_after: p.next_after,
    }))
}

/// `GET /api/v1/runs/{id}/decisions`: the decider's decisions, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/decisions",
    tag = "run trail",
    params(("id" = i64, Path, description = "The run's id", minimum = 1), SeqPaging),
    responses(
        (status = 200, description = "A page of decisions", body = PageView<DecisionView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn decisions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<SeqPaging>,
) -> ApiResult<Json<PageView<DecisionView>>> {
    kind_page(&state, &caller, &id, "decision", &q, |e| match e {
        AuditEvent::Decision(d) => Some(decision_view(d)),
        _ => None,
    })
    .await
}

/// `GET /api/v1/runs/{id}/fills`: the fills, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/fills",
    tag = "run trail",
    params(("id" = i64, Path, description = "The run's id", minimum = 1), SeqPaging),
    responses(
        (status = 200, description = "A page of fills", body = PageView<FillView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn fills(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<SeqPaging>,
) -> ApiResult<Json<PageView<FillView>>> {
    kind_page(&state, &caller, &id, "fill", &q, |e| match e {
        AuditEvent::Fill(f) => Some(fill_view(f)),
        _ => None,
    })
    .await
}

/// `GET /api/v1/runs/{id}/trades`: the closed round trips, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/trades",
    tag = "run trail",
    params(("id" = i64, Path, description = "The run's id", minimum = 1), SeqPaging),
    responses(
        (status = 200, description = "A page of closed trades: the engine's trade record with `seq` and `side` (`long` or `short`), times as RFC 3339", body = PageView<Value>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn trades(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<SeqPaging>,
) -> ApiResult<Json<PageView<Value>>> {
    kind_page(&state, &caller, &id, "trade_closed", &q, |e| match e {
        AuditEvent::Event(ev) => Some(trade_json(ev.seq, &ev.detail)),
        _ => None,
    })
    .await
}

/// `GET /api/v1/runs/{id}/orders`: each order in its latest state (Alpaca's field
/// names and statuses), with its filled units and average price, by placement; paged
/// by the seq of the order's placement.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/orders",
    tag = "run trail",
    params(("id" = i64, Path, description = "The run's id", minimum = 1), SeqPaging),
    responses(
        (status = 200, description = "A page of orders", body = PageView<OrderView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn orders(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<SeqPaging>,
) -> ApiResult<Json<PageView<OrderView>>> {
    let run = run_of(&state, &caller, &id).await?;
    let req = page_request(q.after, q.limit)?;
    let audit = state.store.audit();
    let orders = audit
        .orders(caller.id(), run)
        .await
        .map_err(|e| not_found_as("run", run.0, e))?;
    let fills = audit
        .fills(caller.id(), run)
        .await
        .map_err(|e| not_found_as("run", run.0, e))?;
    // Units and notional filled per order id.
    let mut filled: HashMap<u64, (Decimal, Decimal)> = HashMap::new();
    for f in &fills {
        let e = filled.entry(f.order_id.0).or_default();
        e.0 += f.qty.get();
        e.1 += f.qty.get() * f.price.get();
    }
    let after = req.after.unwrap_or(i64::MIN);
    let limit = req.limit as usize;
    let mut items: Vec<&OrderRow> = orders.iter().filter(|o| o.seq > after).collect();
    let next_after = (items.len() > limit).then(|| items[limit - 1].seq);
    items.truncate(limit);
    Ok(Json(PageView {
        items: items
            .into_iter()
            .map(|o| {
                let f = o
                    .order_id
                    .and_then(|id| u64::try_from(id).ok())
                    .and_then(|id| filled.get(&id))
                    .filter(|(q, _)| !q.is_zero())
                    .map(|(q, notional)| (*q, (notional / q).round_dp(8)));
                order_view(o, f)
            })
            .collect(),
        next_after,
    }))
}

/// `?points=N`.
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EquityQuery {
    /// Points at most (2 or more): a longer curve keeps each bucket's lowest and
    /// highest points.
    pub points: Option<usize>,
}

/// An equity point as the API gives it (equity as decimal text).
#[derive(Serialize, Debug, Clone, PartialEq, utoipa::ToSchema)]
pub struct EquityPointView {
    pub time: String,
    pub equity: String,
    pub invested: bool,
}

/// The equity curve.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct EquityView {
    /// Points the stored curve has.
    pub total: usize,
    pub points: Vec<EquityPointView>,
}

/// At most `n` points of `curve`, in time order: the curve cut into `n / 2` buckets,
/// each kept as its lowest and highest points (so drawdowns and peaks survive), the
/// first and last points always kept. `n` of 2 or fewer keeps the ends.
pub fn downsample(curve: &[EquityRow], n: usize) -> Vec<EquityRow> {
    if curve.len() <= n {
        return curve.to_vec();
    }
    let n = n.max(2);
    let (first, last) = (curve[0], curve[curve.len() - 1]);
    let inner = &curve[1..curve.len() - 1];
    let buckets = (n - 2) / 2;
    let mut out = vec![first];
    if buckets > 0 {
        let size = inner.len().div_ceil(buckets);
        for chunk in inner.chunks(size.max(1)) {
            let lo = chunk
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.equity.total_cmp(&b.1.equity))
                .map(|(i, _)| i);
            let hi = chunk
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.equity.total_cmp(&b.1.equity))
                .map(|(i, _)| i);
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let (a, b) = (lo.min(hi), lo.max(hi));
                out.push(chunk[a]);
                if b != a {
                    out.push(chunk[b]);
                }
            }
        }
    }
    out.push(last);
    out
}

/// An equity value as decimal text (cents and below kept to 6 places).
pub fn equity_text(v: f64) -> String {
    Decimal::from_f64(v).map_or_else(|| v.to_string(), |d| d.round_dp(6).normalize().to_string())
}

/// `GET /api/v1/runs/{id}/equity?points=N`: the run's equity curve, downsampled to
/// about `N` points when it is longer.
#[utoipa::path(
    get,
    path = "/api/v1/runs/{id}/equity",
    tag = "run trail",
    params(("id" = i64, Path, description = "The run's id", minimum = 1), EquityQuery),
    responses(
        (status = 200, description = "The equity curve", body = EquityView),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn equity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<EquityQuery>,
) -> ApiResult<Json<EquityView>> {
    let run = run_of(&state, &caller, &id).await?;
    if q.points.is_some_and(|n| n < 2) {
        return Err(ApiError::invalid("points", "points must be at least 2"));
    }
    let curve = state
        .store
        .audit()
        .equity(caller.id(), run)
        .await
        .map_err(|e| not_found_as("run", run.0, e))?;
    let total = curve.len();
    let kept = match q.points {
        Some(n) => downsample(&curve, n),
        None => curve,
    };
    Ok(Json(EquityView {
        total,
        points: kept
            .iter()
            .map(|p| EquityPointView {
                time: rfc3339(p.ts),
                equity: equity_text(p.equity),
                invested: p.invested,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_core::Timestamp;

    fn curve(values: &[f64]) -> Vec<EquityRow> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| EquityRow {
                ts: Timestamp::from_secs(i as i64),
                equity: *v,
                invested: false,
            })
            .collect()
    }

    #[test]
    fn downsampling_keeps_the_ends_and_each_buckets_extremes() {
        let values: Vec<f64> = (0..1000).map(|i| 100.0 + (i % 10) as f64).collect();
        let mut c = curve(&values);
        c[500].equity = 1.0; // a deep dip must survive
        let kept = downsample(&c, 20);
        assert!(kept.len() <= 20, "{} points", kept.len());
        assert_eq!(kept.first().map(|p| p.ts), Some(c[0].ts));
        assert_eq!(kept.last().map(|p| p.ts), Some(c[999].ts));
        assert!(kept.iter().any(|p| p.equity == 1.0));
        assert!(kept.windows(2).all(|w| w[0].ts < w[1].ts));
    }

    #[test]
    fn a_short_curve_is_kept_whole() {
        let c = curve(&[1.0, 2.0, 3.0]);
        assert_eq!(downsample(&c, 10), c);
    }

    #[test]
    fn dates_and_times_parse_and_others_name_the_field() {
        let from = crate::params::time_bound("from", "2024-01-02", false).expect("date");
        let to = crate::params::time_bound("to", "2024-01-02", true).expect("date");
        assert!(to > from);
        crate::params::time_bound("from", "2024-01-02T10:00:00Z", false).expect("time");
        let e = crate::params::time_bound("to", "yesterday", true).expect_err("not a time");
        assert_eq!(e.field.as_deref(), Some("to"));
    }
}
