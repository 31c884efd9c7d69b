//! News for the LLM agent's point-in-time `search_news` tool: uploads (CSV or JSONL,
//! as `tradelab data import-news`) and the caller's items, newest first.

use super::query::Query;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::params;
use crate::state::AppState;
use crate::views::{PageView, rfc3339};
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tradelab_store::{NewsId, PageRequest};

/// A stored news item.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewsView {
    pub id: i64,
    pub published: String,
    pub symbols: Vec<String>,
    pub headline: String,
    pub body: String,
    pub source: String,
}

/// What an upload stored.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewsUploadAnswer {
    pub file: String,
    pub items: usize,
    pub inserted: u64,
    pub unchanged: u64,
}

/// The news upload form.
#[derive(utoipa::ToSchema)]
pub struct NewsUploadFields {
    /// The news file: CSV (`timestamp,symbols,headline,body,source`) or JSONL.
    #[schema(format = Binary)]
    pub file: String,
}

/// Upload a news file (CSV or JSONL) for the caller.
///
/// Items already stored are left as they are; a malformed file stores nothing.
#[utoipa::path(
    post,
    path = "/api/v1/news/upload",
    tag = "news",
    request_body(content = NewsUploadFields, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "What was read and stored", body = NewsUploadAnswer),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    mut form: Multipart,
) -> ApiResult<(StatusCode, Json<NewsUploadAnswer>)> {
    let bad =
        |e: axum::extract::multipart::MultipartError| ApiError::new(e.status(), e.body_text());
    let mut file = None;
    let mut refused = None;
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().unwrap_or("news.csv").to_string();
        let bytes = field.bytes().await.map_err(bad)?;
        if name == "file" {
            file = Some((file_name, bytes));
        } else if refused.is_none() {
            refused = Some(ApiError::invalid(
                name.clone(),
                format!("unknown form field {name:?}; the form has one field, file"),
            ));
        }
    }
    if let Some(problem) = refused {
        return Err(problem);
    }
    let (name, bytes) =
        file.ok_or_else(|| ApiError::invalid("file", "the form has no file field"))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::invalid("file", format!("{name}: not UTF-8 text")))?;
    let items = tradelab_data::parse_news_file(&name, text)
        .map_err(|e| ApiError::invalid("file", format!("{name}: {e}; nothing was imported")))?;
    let r = state.store.news().import(caller.id(), &items).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewsUploadAnswer {
            file: name,
            items: items.len(),
            inserted: r.inserted,
            unchanged: r.unchanged,
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NewsQuery {
    /// Only items about this symbol.
    pub symbol: Option<String>,
    /// The last id of the previous page.
    pub after: Option<i64>,
    /// Items per page: 1 to 1000, default 50.
    pub limit: Option<u32>,
}

/// The caller's news items, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/news",
    tag = "news",
    params(NewsQuery),
    responses(
        (status = 200, description = "A page of news items", body = PageView<NewsView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<NewsQuery>,
) -> ApiResult<Json<PageView<NewsView>>> {
    let symbol = q
        .symbol
        .as_deref()
        .map(|s| params::symbol("symbol", s))
        .transpose()?;
    let limit = super::Paging {
        after: None,
        limit: q.limit,
    }
    .limit()?;
    let page = state
        .store
        .news()
        .list(
            caller.id(),
            symbol.as_ref(),
            PageRequest {
                limit,
                after: q.after.map(NewsId),
            },
        )
        .await?;
    Ok(Json(PageView {
        items: page
            .items
            .iter()
            .map(|n| NewsView {
                id: n.id.0,
                published: rfc3339(n.item.published),
                symbols: n.item.symbols.iter().map(ToString::to_string).collect(),
                headline: n.item.headline.clone(),
                body: n.item.body.clone(),
                source: n.item.source.clone(),
            })
            .collect(),
        next_after: page.next_after.map(|n| n.0),
    }))
}
