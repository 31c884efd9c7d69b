//! API keys: made (shown once), listed, revoked.

use super::body::Body;
use super::{Paging, parse_id};
use crate::auth::Caller;
use crate::auth::token::{API_KEY_PREFIX, SHOWN_KEY_CHARS, new_token};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::views::{ApiKeyView, PageView};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tradelab_store::ApiKeyId;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub name: String,
}

#[derive(Serialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The key itself: shown this once, stored only as a hash.
    pub secret: String,
}

/// `POST /api/v1/keys`: a new API key for the caller (201; the key is in `secret`).
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
