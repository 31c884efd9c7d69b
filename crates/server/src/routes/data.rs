//! Market data: the series a user sees, bars over a range, and uploads of bar or tick
//! CSV files (validated as `tradelab data import` does, idempotent like it).

use super::Paging;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::params;
use crate::state::AppState;
use crate::views::rfc3339;
use axum::Json;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tradelab_core::BarSeries;
use tradelab_data::{CsvOptions, Session, TickOptions};
use tradelab_store::{ImportMode, PageRequest, SeriesCursor, SeriesInfo};

/// A stored series as listed.
#[derive(Serialize)]
pub struct SeriesView {
    pub symbol: String,
    pub timeframe: String,
    pub bars: i64,
    pub first: String,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    /// `SYMBOL@TIMEFRAME` of the last series of the previous page.
    pub after: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Serialize)]
pub struct SeriesPage {
    pub items: Vec<SeriesView>,
    pub next_after: Option<String>,
}

/// `GET /api/v1/data/series`: the series the caller sees (shared and their own).
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarsQuery {
    pub symbol: String,
    pub timeframe: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<usize>,
}

/// Bars per answer at most.
pub const MAX_BARS: usize = 10_000;

#[derive(Serialize)]
pub struct BarView {
    pub t: String,
    pub o: f64,
    pub h: f64,
    pub l: f64,
    pub c: f64,
    pub v: f64,
}

#[derive(Serialize)]
pub struct BarsPage {
    pub symbol: String,
    pub timeframe: String,
    pub bars: Vec<BarView>,
    /// Pass as `from` for the next bars, when there are more.
    pub next_from: Option<String>,
}

/// `GET /api/v1/data/bars?symbol=&timeframe=&from=&to=&limit=`: bars in time order,
/// at most `limit` (default 1000, at most 10,000) from `from` on.
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

/// What an upload did for one series.
#[derive(Serialize)]
pub struct ImportedView {
    pub symbol: String,
    pub timeframe: String,
    pub inserted: u64,
    pub unchanged: u64,
    pub conflicting: u64,
    pub replaced: u64,
}

#[derive(Serialize)]
pub struct UploadAnswer {
    pub file: String,
    pub rows_read: usize,
    pub skipped_rows: usize,
    pub series: Vec<ImportedView>,
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
}

async fn read_form(mut form: Multipart) -> ApiResult<UploadForm> {
    let mut out = UploadForm::default();
    let bad =
        |e: axum::extract::multipart::MultipartError| ApiError::new(e.status(), e.body_text());
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or("upload.csv").to_string();
                let bytes = field.bytes().await.map_err(bad)?;
                out.file = Some((file_name, bytes.to_vec()));
            }
            "kind" | "symbol" | "timeframe" | "replace" | "session" => {
                let text = field.text().await.map_err(bad)?;
                match name.as_str() {
                    "kind" => out.kind = Some(text),
                    "symbol" => out.symbol = Some(text),
                    "timeframe" => out.timeframe = Some(text),
                    "session" => out.session = Some(text),
                    _ => {
                        out.replace = match text.trim() {
                            "true" | "1" => true,
                            "false" | "0" | "" => false,
                            other => {
                                return Err(ApiError::invalid(
                                    "replace",
                                    format!("replace is true or false, not {other:?}"),
                                ));
                            }
                        }
                    }
                }
            }
            other => {
                return Err(ApiError::invalid(
                    other,
                    format!(
                        "unknown form field {other:?}; the fields are file, kind (bars or \
                         ticks), symbol, timeframe, session, replace"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// `POST /api/v1/data/upload` (multipart): a bar CSV, or a tick CSV (`kind=ticks`,
/// aggregated to `timeframe` bars, every tick unless `session=regular` or another
/// session names which to keep), imported
/// into the caller's private bars. Bad rows are refused naming the file and line.
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
    let mut imported = Vec::with_capacity(series.len());
    for s in &series {
        let r = state
            .store
            .bars()
            .import_series_as(&caller.user, s, tf, mode)
            .await?;
        imported.push(ImportedView {
            symbol: s.symbol().to_string(),
            timeframe: tf.to_string(),
            inserted: r.inserted,
            unchanged: r.unchanged,
            conflicting: r.conflicting,
            replaced: r.replaced,
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
