//! Market data: the series a user sees, bars over a range, and uploads of bar or tick
//! CSV files (validated as `tradelab data import` does, idempotent like it).

use super::Paging;
use super::query::Query;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::params;
use crate::state::AppState;
use crate::views::rfc3339;
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tradelab_core::BarSeries;
use tradelab_data::{CsvOptions, Session, TickOptions};
use tradelab_store::{ImportMode, PageRequest, SeriesCursor, SeriesInfo};

/// A stored series as listed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SeriesView {
    pub symbol: String,
    pub timeframe: String,
    pub bars: i64,
    /// The first bar's time (RFC 3339 UTC).
    pub first: String,
    /// The last bar's time (RFC 3339 UTC).
    pub last: String,
    /// `private` (the caller's upload) or `shared`.
    pub access: &'static str,
}

impl From<&SeriesInfo> for SeriesView {
    fn from(s: &SeriesInfo) -> Self {
        SeriesView {
            symbol: s.symbol.to_string(),
            timeframe: s.timeframe.to_string(),
            bars: s.bars,
            first: rfc3339(s.first),
            last: rfc3339(s.last),
            access: if s.owner.is_some() {
                "private"
            } else {
                "shared"
            },
        }
    }
}

/// Paging of the series list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// `SYMBOL@TIMEFRAME` of the last series of the previous page.
    pub after: Option<String>,
    /// Series per page: 1 to 1000, default 50.
    pub limit: Option<u32>,
}

/// A page of series.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SeriesPage {
    pub items: Vec<SeriesView>,
    /// `SYMBOL@TIMEFRAME`: pass as `after` for the next page; `null` on the last page.
    pub next_after: Option<String>,
}

/// `GET /api/v1/data/series`: the series the caller sees (shared and their own).
#[utoipa::path(
    get,
    path = "/api/v1/data/series",
    tag = "data",
    params(SeriesQuery),
    responses(
        (status = 200, description = "A page of series", body = SeriesPage),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn series(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<SeriesQuery>,
) -> ApiResult<Json<SeriesPage>> {
    let limit = Paging {
        after: None,
        limit: q.limit,
    }
    .limit()?;
    let after = q
        .after
        .as_deref()
        .map(|a| {
            a.parse::<SeriesCursor>()
                .map_err(|e| ApiError::invalid("after", format!("after {a:?}: {e}")))
        })
        .transpose()?;
    let page = state
        .store
        .bars()
        .list_series_for(caller.id(), PageRequest { limit, after })
        .await?;
    Ok(Json(SeriesPage {
        items: page.items.iter().map(SeriesView::from).collect(),
        next_after: page.next_after.map(|c| c.to_string()),
    }))
}

/// Which bars: a symbol's series of a timeframe, over an optional period.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BarsQuery {
    pub symbol: String,
    /// `1m`, `5m`, `1h`, `1d`, …
    pub timeframe: String,
    /// A date (`2024-01-31`) or an RFC 3339 time.
    pub from: Option<String>,
    /// A date (its whole day) or an RFC 3339 time.
    pub to: Option<String>,
    /// Bars at most: 1 to 10,000, default 1000.
    pub limit: Option<usize>,
}

/// Bars per answer at most.
pub const MAX_BARS: usize = 10_000;

/// A bar: time (RFC 3339 UTC), open, high, low, close, volume.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BarView {
    pub t: String,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    pub v: f64,
}

/// Bars of a series in time order.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BarsPage {
    pub symbol: String,
    pub timeframe: String,
    pub bars: Vec<BarView>,
    /// Pass as `from` for the next bars, when there are more.
    pub next_from: Option<String>,
}

/// `GET /api/v1/data/bars?symbol=&timeframe=&from=&to=&limit=`: bars in time order,
/// at most `limit` (default 1000, at most 10,000) from `from` on.
#[utoipa::path(
    get,
    path = "/api/v1/data/bars",
    tag = "data",
    params(BarsQuery),
    responses(
        (status = 200, description = "The bars", body = BarsPage),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn bars(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<BarsQuery>,
) -> ApiResult<Json<BarsPage>> {
    let symbol = params::symbol("symbol", &q.symbol)?;
    let tf = params::timeframe("timeframe", &q.timeframe)?;
    let (from, to) = params::period(q.from.as_deref(), q.to.as_deref())?;
    let limit = q.limit.unwrap_or(1000);
    if limit == 0 || limit > MAX_BARS {
        return Err(ApiError::invalid(
            "limit",
            format!("limit must be 1 to {MAX_BARS}, not {limit}"),
        ));
    }
    let series = state
        .store
        .bars()
        .load_series_for(caller.id(), &symbol, tf, from, to)
        .await?;
    let all = series.bars();
    let shown = &all[..all.len().min(limit)];
    Ok(Json(BarsPage {
        symbol: symbol.to_string(),
        timeframe: tf.to_string(),
        bars: shown
            .iter()
            .map(|b| BarView {
                t: rfc3339(b.ts()),
                o: b.open(),
                h: b.high(),
                l: b.low(),
                c: b.close(),
                v: b.volume(),
            })
            .collect(),
        next_from: all.get(limit).map(|b| rfc3339(b.ts())),
    }))
}

/// What an upload did for one series (bars inserted, the same as stored, different
/// from stored and kept, replaced).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportedView {
    pub symbol: String,
    pub timeframe: String,
    pub inserted: u64,
    pub unchanged: u64,
    pub conflicting: u64,
    pub replaced: u64,
    /// The symbol's lot step set by the upload, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_step: Option<String>,
}

/// What an upload read and stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UploadAnswer {
    pub file: String,
    pub rows_read: usize,
    pub skipped_rows: usize,
    pub series: Vec<ImportedView>,
}

/// The fields of an upload form (`multipart/form-data`), as documented.
#[derive(utoipa::ToSchema)]
pub struct UploadFields {
    /// The CSV file.
    #[schema(format = Binary)]
    pub file: String,
    /// `bars` (default) or `ticks`.
    pub kind: Option<String>,
    /// The symbol, when the file has no symbol column (required for ticks).
    pub symbol: Option<String>,
    /// The bars' timeframe (checked; detected when absent), or the timeframe to make
    /// of ticks (required for ticks).
    pub timeframe: Option<String>,
    /// Ticks only: which session's ticks to keep (`all` by default, `regular`, …).
    pub session: Option<String>,
    /// `true`: stored bars that differ are replaced (default: kept).
    pub replace: Option<bool>,
    /// The lot step of the file's symbols (e.g. `0.00001`): their runs trade in
    /// multiples of it unless the model sets its own.
    pub lot_step: Option<String>,
}

/// The fields of an upload form.
#[derive(Default)]
struct UploadForm {
    file: Option<(String, Vec<u8>)>,
    kind: Option<String>,
    symbol: Option<String>,
    timeframe: Option<String>,
    replace: bool,
    session: Option<String>,
    lot_step: Option<String>,
}

/// The upload form's fields. A field it refuses is reported after the rest of the form
/// was read, so the client's connection stays usable for its next request.
async fn read_form(mut form: Multipart) -> ApiResult<UploadForm> {
    let mut out = UploadForm::default();
    let mut refused: Option<ApiError> = None;
    let bad =
        |e: axum::extract::multipart::MultipartError| ApiError::new(e.status(), e.body_text());
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        if refused.is_some() {
            field.bytes().await.map_err(bad)?;
            continue;
        }
        match name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or("upload.csv").to_string();
                let bytes = field.bytes().await.map_err(bad)?;
                out.file = Some((file_name, bytes.to_vec()));
            }
            "kind" | "symbol" | "timeframe" | "session" | "lot_step" => {
                let text = field.text().await.map_err(bad)?;
                match name.as_str() {
                    "kind" => out.kind = Some(text),
                    "symbol" => out.symbol = Some(text),
                    "timeframe" => out.timeframe = Some(text),
                    "lot_step" => out.lot_step = Some(text),
                    _ => out.session = Some(text),
                }
            }
            "replace" => {
                let text = field.text().await.map_err(bad)?;
                match text.trim() {
                    "true" | "1" => out.replace = true,
                    "false" | "0" | "" => out.replace = false,
                    other => {
                        refused = Some(ApiError::invalid(
                            "replace",
                            format!("replace is true or false, not {other:?}"),
                        ));
                    }
                }
            }
            other => {
                refused = Some(ApiError::invalid(
                    other,
                    format!(
                        "unknown form field {other:?}; the fields are file, kind (bars or \
                         ticks), symbol, timeframe, session, replace, lot_step"
                    ),
                ));
                field.bytes().await.map_err(bad)?;
            }
        }
    }
    match refused {
        Some(problem) => Err(problem),
        None => Ok(out),
    }
}

/// `POST /api/v1/data/upload`: a bar CSV, or a tick CSV (`kind=ticks`, aggregated to
/// `timeframe` bars, every tick unless `session=regular` or another session names
/// which to keep), as a multipart form, imported into the caller's private bars (201).
///
/// Bad rows are refused naming the file and line.
#[utoipa::path(
    post,
    path = "/api/v1/data/upload",
    tag = "data",
    request_body(content = UploadFields, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "What was read and stored", body = UploadAnswer),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    form: Multipart,
) -> ApiResult<(StatusCode, Json<UploadAnswer>)> {
    let form = read_form(form).await?;
    let (name, bytes) = form
        .file
        .ok_or_else(|| ApiError::invalid("file", "the form has no file field"))?;
    let symbol = form
        .symbol
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| params::symbol("symbol", s))
        .transpose()?;
    let declared = form
        .timeframe
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|t| params::timeframe("timeframe", t))
        .transpose()?;
    let kind = form.kind.as_deref().unwrap_or("bars");
    let (series, rows_read, skipped, tf) = match kind {
        "bars" => {
            let opts = CsvOptions {
                symbol,
                ..CsvOptions::default()
            };
            let loaded = tradelab_data::parse_bars(&name, &bytes, &opts)
                .map_err(|e| ApiError::invalid("file", e.to_string()))?;
            let tf = match declared {
                Some(t) => {
                    tradelab_runner::check_timeframe(&name, &loaded.series, t, "timeframe")
                        .map_err(|m| ApiError::invalid("timeframe", m))?;
                    t
                }
                None => tradelab_runner::detect_timeframe(&loaded.series, "timeframe")
                    .map_err(|m| ApiError::invalid("timeframe", m))?,
            };
            (
                loaded.series,
                loaded.report.rows_read,
                loaded.report.skipped.len(),
                tf,
            )
        }
        "ticks" => {
            let tf = declared.ok_or_else(|| {
                ApiError::invalid(
                    "timeframe",
                    "ticks need the timeframe of the bars to make (1m, 5m, …)",
                )
            })?;
            let symbol = symbol
                .ok_or_else(|| ApiError::invalid("symbol", "ticks need the symbol they are of"))?;
            let session = match form.session.as_deref() {
                None => Session::All,
                Some(text) => text
                    .trim()
                    .parse::<Session>()
                    .map_err(|e| ApiError::invalid("session", format!("session {text:?}: {e}")))?,
            };
            let loaded =
                tradelab_data::parse_ticks_with_report(&name, &bytes, &TickOptions::default())
                    .map_err(|e| ApiError::invalid("file", e.to_string()))?;
            let bars = tradelab_data::aggregate_ticks(&loaded.ticks, tf, session)
                .into_iter()
                .map(|a| a.bar)
                .collect();
            let series = BarSeries::new(symbol, bars)
                .map_err(|e| ApiError::invalid("file", format!("{name}: {e}")))?;
            (
                vec![series],
                loaded.report.rows_read,
                loaded.report.skipped.len(),
                tf,
            )
        }
        other => {
            return Err(ApiError::invalid(
                "kind",
                format!("kind is bars or ticks, not {other:?}"),
            ));
        }
    };
    let mode = if form.replace {
        ImportMode::Replace
    } else {
        ImportMode::KeepExisting
    };
    // The step is checked before anything is stored.
    let steps = match form
        .lot_step
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => Vec::new(),
        Some(text) => series
            .iter()
            .map(|s| {
                tradelab_engine::parse_lot_step(&format!("{}={text}", s.symbol()))
                    .map_err(|e| ApiError::invalid("lot_step", e.to_string()))
            })
            .collect::<ApiResult<Vec<_>>>()?,
    };
    let mut imported = Vec::with_capacity(series.len());
    for (k, s) in series.iter().enumerate() {
        let r = state
            .store
            .bars()
            .import_series_as(&caller.user, s, tf, mode)
            .await?;
        let lot_step = match steps.get(k) {
            Some((symbol, step)) => {
                state
                    .store
                    .bars()
                    .set_lot_step_as(&caller.user, symbol, *step)
                    .await?;
                Some(step.to_string())
            }
            None => None,
        };
        imported.push(ImportedView {
            symbol: s.symbol().to_string(),
            timeframe: tf.to_string(),
            inserted: r.inserted,
            unchanged: r.unchanged,
            conflicting: r.conflicting,
            replaced: r.replaced,
            lot_step,
        });
    }
    Ok((
        StatusCode::CREATED,
        Json(UploadAnswer {
            file: name,
            rows_read,
            skipped_rows: skipped,
            series: imported,
        }),
    ))
}
