//! The routes of the API under `/api/v1`, and which need who.

pub mod account;
pub mod admin;
pub mod bars_delete;
pub mod body;
pub mod calendar;
pub mod catalog;
pub mod data;
pub mod docs;
pub mod health;
pub mod keys;
pub mod leaderboard;
pub mod live_runs;
pub mod model_views;
pub mod models;
pub mod news;
pub mod positions;
pub mod providers;
pub mod query;
pub mod repeat;
pub mod rules;
pub mod rules_check;
pub mod run_audit;
pub mod run_compare;
pub mod runs;
pub mod snapshots;
pub mod stream;
pub mod trail_views;
pub mod ui;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use serde::Deserialize;
use tradelab_store::PageRequest;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route the server serves, each from its handler's `#[utoipa::path]` (method,
/// path, parameters, answers): the router and the OpenAPI document in one list, so
/// neither can have a route the other lacks. Uploads take bodies of up to
/// `max_upload_bytes`.
pub fn api(max_upload_bytes: usize) -> OpenApiRouter<AppState> {
    // Uploads have their own, larger body limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(data::upload))
        .routes(routes!(news::upload))
        .layer(DefaultBodyLimit::max(max_upload_bytes));
    OpenApiRouter::with_openapi(crate::openapi::ApiDoc::openapi())
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(docs::openapi_json))
        .routes(routes!(docs::page))
        .routes(routes!(docs::script))
        .routes(routes!(account::register))
        .routes(routes!(account::login))
        .routes(routes!(account::logout))
        .routes(routes!(account::me))
        .routes(routes!(keys::list, keys::create))
        .routes(routes!(keys::revoke))
        // Market data: series, bars, uploads.
        .routes(routes!(data::series))
        .routes(routes!(providers::providers))
        .routes(routes!(data::bars, bars_delete::delete))
        .routes(routes!(news::list))
        .merge(uploads)
        .routes(routes!(leaderboard::leaderboard))
        .routes(routes!(calendar::calendar))
        // Admin: accounts, settings, stats, emergency stop, the admin log.
        .routes(routes!(admin::users))
        .routes(routes!(admin::change_user))
        .routes(routes!(admin::settings))
        .routes(routes!(admin::put_setting))
        .routes(routes!(admin::stats))
        .routes(routes!(admin::emergency_stop))
        .routes(routes!(admin::resume))
        .routes(routes!(admin::log))
        // Runs (issue 17): start (once or repeated), list, detail, trail, stop, replay,
        // compare, spread, stream.
        .routes(routes!(runs::start))
        .routes(routes!(runs::list))
        .routes(routes!(run_compare::compare_runs))
        .routes(routes!(run_compare::spread))
        .routes(routes!(runs::get))
        .routes(routes!(run_audit::events))
        .routes(routes!(run_audit::decisions))
        .routes(routes!(run_audit::orders))
        .routes(routes!(run_audit::fills))
        .routes(routes!(run_audit::trades))
        .routes(routes!(run_audit::equity))
        .routes(routes!(snapshots::snapshots))
        .routes(routes!(positions::positions_of_run))
        .routes(routes!(runs::stop))
        .routes(routes!(runs::replay))
        .routes(routes!(live_runs::resume))
        .routes(routes!(stream::stream))
        // Models, structured rules, rules files checked, templates and strategies.
        .routes(routes!(models::list, models::create))
        .routes(routes!(models::show, models::update, models::delete))
        .routes(routes!(rules::list, rules::add))
        .routes(routes!(rules::update, rules::delete))
        .routes(routes!(rules::apply_template))
        .routes(routes!(rules_check::check))
        .routes(routes!(catalog::list_templates))
        .routes(routes!(catalog::show_template))
        .routes(routes!(catalog::strategies))
}

/// The whole application: the API, `/metrics`, the API docs, the middleware around
/// them.
pub fn router(state: AppState) -> Router {
    let (routes, _doc) = api(state.config.max_upload_bytes).split_for_parts();
    let app = routes
        .fallback(ui::fallback)
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
#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// The last id of the previous page (its `next_after`).
    pub after: Option<i64>,
    /// Items per page: 1 to 1000, default 50.
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
