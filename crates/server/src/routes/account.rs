//! Register, log in, log out, who am I.

use super::body::Body;
use crate::auth::token::{SESSION_PREFIX, new_token};
use crate::auth::{CSRF_COOKIE, Caller, Credential, SESSION_COOKIE, password};
use crate::error::{ApiError, ApiResult};
use crate::openapi as doc;
use crate::state::AppState;
use crate::views::{UserView, rfc3339};
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use tradelab_store::{NewUser, Role, SessionKind};

/// The global setting that closes registration when `false`.
pub const REGISTRATION_SETTING: &str = "registration_open";

/// Whether new accounts may register (open unless an admin closed it).
pub async fn registration_open(state: &AppState) -> ApiResult<bool> {
    let value = state.store.settings().get(REGISTRATION_SETTING).await?;
    Ok(value.and_then(|v| v.as_bool()).unwrap_or(true))
}

/// A new account: an e-mail, a password (at least 12 characters) and, if wanted, the
/// name shown (default: the e-mail's local part).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `POST /api/v1/auth/register`: a new `user` account (201), while registration is
/// open.
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    security(()),
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The new account", body = UserView),
        (status = 400, response = doc::BadRequest),
        (status = 403, response = doc::Forbidden),
        (status = 409, response = doc::Conflict),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    Body(req): Body<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    if !registration_open(&state).await? {
        return Err(ApiError::forbidden(
            "registration is closed on this server; ask an admin for an account",
        ));
    }
    let email = tradelab_store::normalize_email(&req.email)
        .map_err(|e| ApiError::invalid("email", e.to_string()))?;
    password::check_new(&req.password).map_err(|m| ApiError::invalid("password", m))?;
    let hash = password::hash(req.password)
        .await
        .map_err(ApiError::internal)?;
    let display_name = req
        .display_name
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
    if display_name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "display_name",
            "a display name may have at most 100 characters",
        ));
    }
    let user = state
        .store
        .users()
        .create(&NewUser {
            email,
            password_hash: hash,
            role: Role::User,
            display_name,
        })
        .await
        .map_err(|e| match e {
            tradelab_store::StoreError::Duplicate { .. } => {
                ApiError::conflict("an account with this e-mail exists").with_field("email")
            }
            other => other.into(),
        })?;
    tracing::info!(user = user.id.0, "registered");
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// An e-mail and its password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// `true`: answer with a bearer token for programs instead of a session cookie.
    #[serde(default)]
    pub token: bool,
}

/// A signed-in account and how to prove it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginAnswer {
    pub user: UserView,
    /// The bearer token (only when asked for one; shown once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The CSRF token to send in `x-csrf-token` with a cookie session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// When the session ends (RFC 3339 UTC).
    pub expires_at: String,
}

/// The same answer for an unknown account, a wrong password and a disabled account.
fn bad_login() -> ApiError {
    ApiError::unauthorized("the e-mail or the password is wrong")
}

/// `POST /api/v1/auth/login`: a session cookie (with its CSRF token), or a bearer
/// token when `token` is true. Failures are limited per account and per address.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in: a bearer token, or session and CSRF cookies", body = LoginAnswer,
            headers(("Set-Cookie" = String, description = "The session (HttpOnly) and CSRF cookies, unless a token was asked for"))),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 415, response = doc::UnsupportedMediaType),
        (status = 422, response = doc::Unprocessable),
        (status = 429, response = doc::TooManyRequests),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Response> {
    let email = req.email.trim().to_lowercase();
    let by_account = format!("account:{email}");
    let by_address = format!("address:{}", peer.ip());
    for key in [&by_account, &by_address] {
        if let Some(secs) = state.logins.blocked_for(key) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many failed logins; try again in {secs} s"),
            )
            .retry_after(secs));
        }
    }
    let user = state.store.users().find_by_email(&email).await?;
    let ok = match &user {
        Some(u) if !u.disabled => password::verify(req.password, u.password_hash.clone()).await,
        _ => {
            // Spend the time a check takes, so a missing account is not faster.
            let _ = password::verify(req.password, DUMMY_HASH.to_string()).await;
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        state.logins.failed(&by_account);
        state.logins.failed(&by_address);
        tracing::info!(%email, "failed login");
        return Err(bad_login());
    };
    state.logins.succeeded(&by_account);
    let token = new_token(SESSION_PREFIX);
    let expires = crate::now().nanos()
        + i64::try_from(state.config.session_ttl().as_nanos()).unwrap_or(i64::MAX / 2);
    let expires = tradelab_core::Timestamp::from_nanos(expires);
    let kind = if req.token {
        SessionKind::Bearer
    } else {
        SessionKind::Cookie
    };
    state
        .store
        .sessions()
        .create(user.id, &state.signer.token_hash(&token), kind, expires)
        .await?;
    tracing::info!(user = user.id.0, "logged in");
    if req.token {
        return Ok(Json(LoginAnswer {
            user: UserView::from(&user),
            token: Some(token),
            csrf_token: None,
            expires_at: rfc3339(expires),
        })
        .into_response());
    }
    let csrf = state.signer.csrf_for(&token);
    let max_age = time::Duration::seconds(
        i64::try_from(state.config.session_ttl().as_secs()).unwrap_or(i64::MAX),
    );
    let session = Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(max_age)
        .build();
    let csrf_cookie = Cookie::build((CSRF_COOKIE, csrf.clone()))
        .http_only(false)
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(max_age)
        .build();
    let jar = jar.add(session).add(csrf_cookie);
    Ok((
        jar,
        Json(LoginAnswer {
            user: UserView::from(&user),
            token: None,
            csrf_token: Some(csrf),
            expires_at: rfc3339(expires),
        }),
    )
        .into_response())
}

/// An argon2id hash of a random password, checked against when the account does not
/// exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3bFPD0tZ5bA7O0mJ0aKj5mTCtB6+6vNgvmbsdu0kQhA";

/// `POST /api/v1/auth/logout`: ends the session (cookie or bearer token) it is sent
/// with (204). An API key is revoked through `/keys`, not here.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    responses(
        (status = 204, description = "The session ended; its cookies are cleared"),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    jar: CookieJar,
) -> ApiResult<Response> {
    match &caller.credential {
        Credential::Cookie { token } | Credential::Bearer { token } => {
            state
                .store
                .sessions()
                .revoke(caller.id(), &state.signer.token_hash(token))
                .await?;
        }
        Credential::ApiKey { .. } => {
            return Err(ApiError::bad_request(
                "an API key does not log in or out: revoke it with DELETE /api/v1/keys/{id}",
            ));
        }
    }
    let jar = jar
        .remove(Cookie::build(SESSION_COOKIE).path("/"))
        .remove(Cookie::build(CSRF_COOKIE).path("/"));
    Ok((StatusCode::NO_CONTENT, jar).into_response())
}

/// `GET /api/v1/auth/me`: the caller's account.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    responses(
        (status = 200, description = "The caller's account", body = UserView),
        (status = 401, response = doc::Unauthorized),
    )
)]
pub async fn me(caller: Caller) -> Json<UserView> {
    Json(UserView::from(&caller.user))
}
