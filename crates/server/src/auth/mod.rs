//! Who is calling: a browser session (cookie, with a CSRF token on every request that
//! changes something), a bearer session token, or an API key. Handlers take a
//! [`Caller`] (any signed-in user) or an [`Admin`]; without valid credentials the
//! answer is 401, and a user on an admin route gets 403.

pub mod limiter;
pub mod password;
pub mod secret;
pub mod token;

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum_extra::extract::CookieJar;
use token::{API_KEY_PREFIX, same_secret};
use tradelab_store::{Role, User, UserId};

/// The cookie holding a browser's session token (HttpOnly).
pub const SESSION_COOKIE: &str = "tradelab_session";
/// The cookie holding the CSRF token the page script echoes (readable by scripts).
pub const CSRF_COOKIE: &str = "tradelab_csrf";
/// The header a browser request that changes something carries the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How often a session's or key's last use is written: a busy client does not turn
/// every read into a write.
const TOUCH_EVERY_NANOS: i64 = 60 * 1_000_000_000;

/// Whether a last use at `last` (if any) is stale at `now`.
fn stale(last: Option<tradelab_core::Timestamp>, now: tradelab_core::Timestamp) -> bool {
    last.is_none_or(|t| now.nanos() - t.nanos() >= TOUCH_EVERY_NANOS)
}

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A browser session; `token` is the session token (for logout).
    Cookie { token: String },
    /// A bearer session token.
    Bearer { token: String },
    /// An API key.
    ApiKey { id: tradelab_store::ApiKeyId },
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    pub credential: Credential,
}

impl Caller {
    pub fn id(&self) -> UserId {
        self.user.id
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

/// A signed-in admin (403 for other users).
#[derive(Clone, Debug)]
pub struct Admin(pub Caller);

/// Whether a request method may change something (and so needs the CSRF token when
/// sent with a cookie).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The caller of a request, if its credentials are valid; `Ok(None)` when it has none.
pub async fn identify(
    headers: &HeaderMap,
    method: &Method,
    state: &AppState,
) -> Result<Option<Caller>, ApiError> {
    let now = crate::now();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let token = text
            .strip_prefix("Bearer ")
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?
            .trim();
        let hash = state.signer.token_hash(token);
        if token.starts_with(API_KEY_PREFIX) {
            let found = state.store.api_keys().find_active(&hash).await?;
            let (key, user) =
                found.ok_or_else(|| ApiError::unauthorized("the API key is unknown or revoked"))?;
            if stale(key.last_used_at, now) {
                state.store.api_keys().touch(key.id, now).await?;
            }
            return Ok(Some(Caller {
                user,
                credential: Credential::ApiKey { id: key.id },
            }));
        }
        let found = state.store.sessions().find_active(&hash, now).await?;
        let (session, user) = found
            .ok_or_else(|| ApiError::unauthorized("the token is unknown, expired or revoked"))?;
        if stale(Some(session.last_used_at), now) {
            state.store.sessions().touch(session.id, now).await?;
        }
        return Ok(Some(Caller {
            user,
            credential: Credential::Bearer {
                token: token.to_string(),
            },
        }));
    }
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let token = cookie.value().to_string();
    let hash = state.signer.token_hash(&token);
    let found = state.store.sessions().find_active(&hash, now).await?;
    let Some((session, user)) = found else {
        return Err(ApiError::unauthorized(
            "the session has expired or was ended: log in again",
        ));
    };
    if changes_state(method) {
        let expected = state.signer.csrf_for(&token);
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !same_secret(sent, &expected) {
            return Err(ApiError::forbidden(format!(
                "a request that changes something must carry the {CSRF_HEADER} header with \
                 the value of the {CSRF_COOKIE} cookie"
            )));
        }
    }
    if stale(Some(session.last_used_at), now) {
        state.store.sessions().touch(session.id, now).await?;
    }
    Ok(Some(Caller {
        user,
        credential: Credential::Cookie { token },
    }))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let caller = identify(&parts.headers, &parts.method, state)
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "sign in first: send `Authorization: Bearer <token or API key>` or log in \
                 for a session cookie",
                )
            })?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.is_admin() {
            return Err(ApiError::forbidden("this route is for admins"));
        }
        Ok(Admin(caller))
    }
}
