//! API keys: made (shown once), listed, revoked.

use super::body::Body;
use super::query::Query;
use super::{Paging, parse_id};
use crate::auth::Caller;
use crate::auth::token::{API_KEY_PREFIX, SHOWN_KEY_CHARS, new_token};
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::state::AppState;
use crate::views::{ApiKeyView, PageView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tradelab_store::ApiKeyId;

/// A new API key's name (1 to 100 characters).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
}

/// A new API key, with the key itself.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The key itself: shown this once, stored only as a hash.
    pub secret: String,
}

/// `POST /api/v1/keys`: a new API key for the caller (201; the key is in `secret`).
#[utoipa::path(
    post,
    path = "/api/v1/keys",
    tag = "keys",
    request_body = NewKey,
    responses(
        (status = 201, description = "The new key; `secret` is shown this once", body = CreatedKey),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(req): Body<NewKey>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "name",
            "an API key's name needs 1 to 100 characters",
        ));
    }
    let secret = new_token(API_KEY_PREFIX);
    let prefix: String = secret.chars().take(SHOWN_KEY_CHARS).collect();
    let key = state
        .store
        .api_keys()
        .create(
            caller.id(),
            name,
            &prefix,
            &state.signer.token_hash(&secret),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            key: ApiKeyView::from(&key),
            secret,
        }),
    ))
}

/// `GET /api/v1/keys`: the caller's keys (revoked ones too), oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/keys",
    tag = "keys",
    params(Paging),
    responses(
        (status = 200, description = "A page of the caller's keys", body = PageView<ApiKeyView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageView<ApiKeyView>>> {
    let page = state
        .store
        .api_keys()
        .list(caller.id(), paging.request(ApiKeyId)?)
        .await?;
    Ok(Json(PageView {
        items: page.items.iter().map(ApiKeyView::from).collect(),
        next_after: page.next_after.map(|k| k.0),
    }))
}

/// `DELETE /api/v1/keys/{id}`: revokes one of the caller's keys (404 for anyone
/// else's).
#[utoipa::path(
    delete,
    path = "/api/v1/keys/{id}",
    tag = "keys",
    params(("id" = i64, Path, description = "The key's id", minimum = 1)),
    responses(
        (status = 200, description = "The revoked key", body = ApiKeyView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKeyView>> {
    let id = ApiKeyId(parse_id("key", &id)?);
    let key = state
        .store
        .api_keys()
        .revoke(caller.id(), id)
        .await
        .map_err(|e| match e {
            tradelab_store::StoreError::NotFound { .. } => ApiError::not_found("API key", id.0),
            other => other.into(),
        })?;
    Ok(Json(ApiKeyView::from(&key)))
}
