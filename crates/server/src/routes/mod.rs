//! The routes of the API under `/api/v1`, and which need who.

pub mod account;
pub mod admin;
pub mod body;
pub mod catalog;
pub mod data;
pub mod health;
pub mod keys;
pub mod leaderboard;
pub mod model_views;
pub mod models;
pub mod rules;
pub mod run_audit;
pub mod runs;
pub mod stream;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde::Deserialize;
use tradelab_store::PageRequest;

/// The whole application: the API, `/metrics`, the middleware around them.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/auth/register", post(account::register))
        .route("/auth/login", post(account::login))
        .route("/auth/logout", post(account::logout))
        .route("/auth/me", get(account::me))
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{id}", axum::routing::delete(keys::revoke))
        // Market data: series, bars, uploads (with their own body limit).
        .route("/data/series", get(data::series))
        .route("/data/bars", get(data::bars))
        .route(
            "/data/upload",
            post(data::upload).layer(DefaultBodyLimit::max(state.config.max_upload_bytes)),
        )
        .route("/leaderboard", get(leaderboard::leaderboard))
        // Admin: accounts, settings, stats, emergency stop, the admin log.
        .route("/admin/users", get(admin::users))
        .route(
            "/admin/users/{id}",
            axum::routing::patch(admin::change_user),
        )
        .route("/admin/settings", get(admin::settings))
        .route(
            "/admin/settings/{key}",
            axum::routing::put(admin::put_setting),
        )
        .route("/admin/stats", get(admin::stats))
        .route("/admin/emergency-stop", post(admin::emergency_stop))
        .route("/admin/resume", post(admin::resume))
        .route("/admin/log", get(admin::log))
        // Runs (issue 17): start, list, detail, trail, stop, replay, compare, stream.
        .route("/models/{id}/runs", post(runs::start))
        .route("/runs", get(runs::list))
        .route("/runs/compare", get(runs::compare_runs))
        .route("/runs/{id}", get(runs::get))
        .route("/runs/{id}/events", get(run_audit::events))
        .route("/runs/{id}/decisions", get(run_audit::decisions))
        .route("/runs/{id}/orders", get(run_audit::orders))
        .route("/runs/{id}/fills", get(run_audit::fills))
        .route("/runs/{id}/trades", get(run_audit::trades))
        .route("/runs/{id}/equity", get(run_audit::equity))
        .route("/runs/{id}/stop", post(runs::stop))
        .route("/runs/{id}/replay", post(runs::replay))
        .route("/runs/{id}/stream", get(stream::stream))
        // Models, structured rules, templates and strategies (issue 17).
        .route("/models", get(models::list).post(models::create))
        .route(
            "/models/{id}",
            get(models::show)
                .patch(models::update)
                .delete(models::delete),
        )
        .route("/models/{id}/rules", get(rules::list).post(rules::add))
        .route(
            "/models/{id}/rules/{rule_id}",
            axum::routing::patch(rules::update).delete(rules::delete),
        )
        .route("/models/{id}/templates/{name}", post(rules::apply_template))
        .route("/templates", get(catalog::list_templates))
        .route("/strategies", get(catalog::strategies));
    let app = Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(health::metrics))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::around,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes));
    let app = match crate::middleware::cors(&state.config.cors_origins) {
        Some(cors) => app.layer(cors),
        None => app,
    };
    app.with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        format!("no route {}", uri.path()),
    )
}

/// A numeric id from a path; anything else is a 400 naming the parameter.
pub fn parse_id(what: &str, text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::bad_request(format!("{what} id {text:?} is not a positive whole number"))
                .with_field(format!("{what}_id"))
        })
}

/// Paging of a list: `after` (the last id of the previous page) and `limit`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

impl Paging {
    /// The page size asked for (default 50, at most 1000).
    pub fn limit(&self) -> Result<u32, ApiError> {
        let limit = self.limit.unwrap_or(tradelab_store::DEFAULT_PAGE_LIMIT);
        if limit == 0 || limit > tradelab_store::MAX_PAGE_LIMIT {
            return Err(ApiError::invalid(
                "limit",
                format!(
                    "limit must be 1 to {}, not {limit}",
                    tradelab_store::MAX_PAGE_LIMIT
                ),
            ));
        }
        Ok(limit)
    }

    /// The store's page request, ids made by `key`.
    pub fn request<K>(&self, key: impl Fn(i64) -> K) -> Result<PageRequest<K>, ApiError> {
        Ok(PageRequest {
            after: self.after.map(key),
            limit: self.limit()?,
        })
    }
}
