//! What the API answers with: the store's records in the API's conventions (times as
//! RFC 3339 UTC text, money and quantities as decimal strings, never secrets).

use serde::Serialize;
use tradelab_core::Timestamp;
use tradelab_store::{ApiKey, User};

/// A time as RFC 3339 UTC text.
pub fn rfc3339(ts: Timestamp) -> String {
    ts.to_jiff().to_string()
}

/// A user account as the API shows it.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// `user` or `admin`.
    pub role: String,
    pub disabled: bool,
    /// RFC 3339 UTC.
    pub created_at: String,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.0,
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().to_string(),
            disabled: u.disabled,
            created_at: rfc3339(u.created_at),
        }
    }
}

/// An API key as listed (its prefix, never the key or its hash).
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&ApiKey> for ApiKeyView {
    fn from(k: &ApiKey) -> Self {
        ApiKeyView {
            id: k.id.0,
            name: k.name.clone(),
            prefix: k.prefix.clone(),
            created_at: rfc3339(k.created_at),
            last_used_at: k.last_used_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
        }
    }
}

/// A page of a list: its items and the cursor of the next page, if any.
#[derive(Serialize, Debug, utoipa::ToSchema)]
pub struct PageView<T: Serialize> {
    pub items: Vec<T>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next_after: Option<i64>,
}
