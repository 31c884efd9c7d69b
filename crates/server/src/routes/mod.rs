//! The routes of the API under `/api/v1`, and which need who.

pub mod account;
pub mod body;
pub mod health;
pub mod keys;
// Models, structured rules, templates and strategies (issue 17).
pub mod catalog;
pub mod model_views;
pub mod models;
pub mod rules;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

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
    Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(health::metrics))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::around,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .with_state(state)
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
