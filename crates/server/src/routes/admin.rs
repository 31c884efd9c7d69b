//! Admin routes: accounts, global settings, system stats, the emergency stop, and the
//! log of what admins did. Every change is recorded with who and when.

use super::Paging;
use super::body::Body;
use super::parse_id;
use super::query::Query;
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::routes::account::REGISTRATION_SETTING;
use crate::state::AppState;
use crate::views::{PageView, UserView, rfc3339};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tradelab_store::{AdminActionId, Role, UserId};

/// Settings an admin may set, and the type each takes.
const KNOWN_SETTINGS: &[(&str, &str)] = &[(REGISTRATION_SETTING, "boolean")];

async fn record(
    state: &AppState,
    admin: &Admin,
    action: &str,
    target: Option<&str>,
    detail: Value,
) -> ApiResult<()> {
    state
        .store
        .admin_log()
        .record(admin.0.id(), action, target, &detail)
        .await?;
    tracing::info!(admin = admin.0.id().0, action, target, "admin action");
    Ok(())
}

/// `GET /api/v1/admin/users`: every account, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    tag = "admin",
    params(Paging),
    responses(
        (status = 200, description = "A page of accounts", body = PageView<UserView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn users(
    State(state): State<AppState>,
    _admin: Admin,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageView<UserView>>> {
    let page = state.store.users().list(paging.request(UserId)?).await?;
    Ok(Json(PageView {
        items: page.items.iter().map(UserView::from).collect(),
        next_after: page.next_after.map(|u| u.0),
    }))
}

/// What to change of an account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// `user` or `admin`.
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// `PATCH /api/v1/admin/users/{id}`: role and/or disabled. An admin cannot demote or
/// disable themselves (someone must remain able to undo it).
#[utoipa::path(
    patch,
    path = "/api/v1/admin/users/{id}",
    tag = "admin",
    params(("id" = i64, Path, description = "The account's id", minimum = 1)),
    request_body = UserChange,
    responses(
        (status = 200, description = "The changed account", body = UserView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn change_user(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    Body(change): Body<UserChange>,
) -> ApiResult<Json<UserView>> {
    let id = UserId(parse_id("user", &id)?);
    let role = match change.role.as_deref() {
        None => None,
        Some("admin") => Some(Role::Admin),
        Some("user") => Some(Role::User),
        Some(other) => {
            return Err(ApiError::invalid(
                "role",
                format!("role {other:?} is neither \"admin\" nor \"user\""),
            ));
        }
    };
    if id == admin.0.id() && (role == Some(Role::User) || change.disabled == Some(true)) {
        return Err(ApiError::conflict(
            "an admin cannot demote or disable their own account; another admin can",
        ));
    }
    state.store.users().get(id).await?;
    let mut user = None;
    if let Some(role) = role {
        user = Some(state.store.users().set_role(id, role).await?);
    }
    if let Some(disabled) = change.disabled {
        user = Some(state.store.users().set_disabled(id, disabled).await?);
    }
    let user = match user {
        Some(u) => u,
        None => state.store.users().get(id).await?,
    };
    record(
        &state,
        &admin,
        "user.change",
        Some(&user.email),
        json!({"role": change.role, "disabled": change.disabled}),
    )
    .await?;
    Ok(Json(UserView::from(&user)))
}

/// A global setting and its value.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SettingView {
    pub key: String,
    /// The value (every setting so far takes `true` or `false`).
    #[schema(value_type = bool)]
    pub value: Value,
}

/// `GET /api/v1/admin/settings`: the global settings, with their defaults when unset.
#[utoipa::path(
    get,
    path = "/api/v1/admin/settings",
    tag = "admin",
    responses(
        (status = 200, description = "Every known setting", body = Vec<SettingView>),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
    )
)]
pub async fn settings(
    State(state): State<AppState>,
    _admin: Admin,
) -> ApiResult<Json<Vec<SettingView>>> {
    let mut out = Vec::new();
    for (key, _) in KNOWN_SETTINGS {
        let value = state.store.settings().get(key).await?;
        let value = match (*key, value) {
            (_, Some(v)) => v,
            (REGISTRATION_SETTING, None) => Value::Bool(true),
            (_, None) => Value::Null,
        };
        out.push(SettingView {
            key: key.to_string(),
            value,
        });
    }
    Ok(Json(out))
}

/// A setting's new value.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingValue {
    /// The new value (every setting so far takes `true` or `false`).
    #[schema(value_type = bool)]
    pub value: Value,
}

/// `PUT /api/v1/admin/settings/{key}`: sets a known setting (its type checked).
#[utoipa::path(
    put,
    path = "/api/v1/admin/settings/{key}",
    tag = "admin",
    params(("key" = String, Path, description = "The setting, e.g. `registration_open`")),
    request_body = SettingValue,
    responses(
        (status = 200, description = "The setting as stored", body = SettingView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn put_setting(
    State(state): State<AppState>,
    admin: Admin,
    Path(key): Path<String>,
    Body(body): Body<SettingValue>,
) -> ApiResult<Json<SettingView>> {
    let Some((_, kind)) = KNOWN_SETTINGS.iter().find(|(k, _)| *k == key) else {
        let known: Vec<&str> = KNOWN_SETTINGS.iter().map(|(k, _)| *k).collect();
        return Err(ApiError::not_found("setting", &key)
            .with_field("key")
            .with_detail_suffix(&format!("; the settings are: {}", known.join(", "))));
    };
    if *kind == "boolean" && !body.value.is_boolean() {
        return Err(ApiError::invalid(
            "value",
            format!("setting {key} takes true or false, not {}", body.value),
        ));
    }
    state.store.settings().set(&key, &body.value).await?;
    record(
        &state,
        &admin,
        "setting.put",
        Some(&key),
        json!({"value": body.value}),
    )
    .await?;
    Ok(Json(SettingView {
        key,
        value: body.value,
    }))
}

/// System figures: accounts, models, runs by status, the queue, the store.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub users: i64,
    pub models: i64,
    pub runs_by_status: std::collections::BTreeMap<String, i64>,
    /// The store's size on disk, when the database tells.
    pub store_bytes: Option<u64>,
    pub queue_depth: usize,
    pub running: usize,
    pub emergency_stop: bool,
    pub database: String,
}

/// `GET /api/v1/admin/stats`: accounts, models, runs by status, the queue and the
/// store's size.
#[utoipa::path(
    get,
    path = "/api/v1/admin/stats",
    tag = "admin",
    responses(
        (status = 200, description = "System figures", body = Stats),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
    )
)]
pub async fn stats(State(state): State<AppState>, _admin: Admin) -> ApiResult<Json<Stats>> {
    let s = state.store.stats().await?;
    Ok(Json(Stats {
        users: s.users,
        models: s.models,
        runs_by_status: s.runs_by_status,
        store_bytes: s.store_bytes,
        queue_depth: state.queue.depth(),
        running: state.queue.running(),
        emergency_stop: state.queue.emergency_stopped(),
        database: state.store.backend().to_string(),
    }))
}

/// Whether the emergency stop is on, and the runs it stopped.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EmergencyAnswer {
    pub emergency_stop: bool,
    /// Runs told to stop at their next step.
    pub stopped_runs: Vec<i64>,
}

/// `POST /api/v1/admin/emergency-stop`: every running run stops at its next step,
/// waiting runs are given up, new runs are refused until resumed.
#[utoipa::path(
    post,
    path = "/api/v1/admin/emergency-stop",
    tag = "admin",
    responses(
        (status = 200, description = "The stop is on", body = EmergencyAnswer),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
    )
)]
pub async fn emergency_stop(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<EmergencyAnswer>> {
    let stopped: Vec<i64> = state.queue.emergency_stop().iter().map(|r| r.0).collect();
    record(
        &state,
        &admin,
        "emergency.stop",
        None,
        json!({"stopped_runs": stopped}),
    )
    .await?;
    Ok(Json(EmergencyAnswer {
        emergency_stop: true,
        stopped_runs: stopped,
    }))
}

/// `POST /api/v1/admin/resume`: lifts the emergency stop.
#[utoipa::path(
    post,
    path = "/api/v1/admin/resume",
    tag = "admin",
    responses(
        (status = 200, description = "The stop is lifted", body = EmergencyAnswer),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
    )
)]
pub async fn resume(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<EmergencyAnswer>> {
    state.queue.resume();
    record(&state, &admin, "emergency.resume", None, json!({})).await?;
    Ok(Json(EmergencyAnswer {
        emergency_stop: false,
        stopped_runs: Vec::new(),
    }))
}

/// An admin action: who (their e-mail), what, on what, when.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ActionView {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    /// What changed (the action's own fields).
    #[schema(value_type = Object)]
    pub detail: Value,
    pub at: String,
}

/// `GET /api/v1/admin/log`: what admins did, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/log",
    tag = "admin",
    params(Paging),
    responses(
        (status = 200, description = "A page of admin actions", body = PageView<ActionView>),
        (status = 400, response = doc::BadInput),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn log(
    State(state): State<AppState>,
    _admin: Admin,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<PageView<ActionView>>> {
    let page = state
        .store
        .admin_log()
        .list(paging.request(AdminActionId)?)
        .await?;
    Ok(Json(PageView {
        items: page
            .items
            .iter()
            .map(|a| ActionView {
                id: a.id.0,
                actor: a.actor_email.clone(),
                action: a.action.clone(),
                target: a.target.clone(),
                detail: a.detail.clone(),
                at: rfc3339(a.at),
            })
            .collect(),
        next_after: page.next_after.map(|a| a.0),
    }))
}
