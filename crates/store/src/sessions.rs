//! Login sessions of the HTTP service: a browser cookie or a bearer token.
//!
//! The server makes the token, gives it to the client and keeps only its hash here
//! (HMAC-SHA256, 64 hex digits): a copy of the database logs no one in. A session is
//! live until it expires, is revoked (logout deletes it) or its user is disabled.

use crate::db::{RowExt, now, text_enum, with_pool};
use crate::error::{Result, StoreError, is_foreign_key_violation, is_unique_violation};
use crate::users::{User, joined_user_cols};
use crate::{SessionId, Store, UserId};
use tradelab_core::Timestamp;

text_enum!(
    /// How the client presents a session's token.
    SessionKind {
        /// A browser cookie (the web UI).
        Cookie => "cookie",
        /// An `Authorization: Bearer` header (scripts that logged in).
        Bearer => "bearer",
    }
);

/// A stored login session. Never holds the token or its hash.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Session {
    pub id: SessionId,
    pub user: UserId,
    pub kind: SessionKind,
    pub created_at: Timestamp,
    /// The session is expired at this instant and later.
    pub expires_at: Timestamp,
    /// When a request last used it ([`Sessions::touch`]); its creation until then.
    pub last_used_at: Timestamp,
}

/// The session repository: `store.sessions()`.
pub struct Sessions<'a> {
    pub(crate) store: &'a Store,
}

/// Session columns named `s_…`, so they can sit next to a user's in a join; `$t` is
/// the table's alias with its dot (`"s."`), or `""`.
macro_rules! cols {
    ($t:literal) => {
        concat!(
            $t,
            "id AS s_id, ",
            $t,
            "user_id AS s_user_id, ",
            $t,
            "kind AS s_kind, ",
            $t,
            "created_at_ns AS s_created_at_ns, ",
            $t,
            "expires_at_ns AS s_expires_at_ns, ",
            $t,
            "last_used_at_ns AS s_last_used_at_ns"
        )
    };
}

fn from_row(row: &impl RowExt) -> Result<Session> {
    Ok(Session {
        id: SessionId(row.i64("s_id")?),
        user: UserId(row.i64("s_user_id")?),
        kind: row.parse("s_kind")?,
        created_at: row.ts("s_created_at_ns")?,
        expires_at: row.ts("s_expires_at_ns")?,
        last_used_at: row.ts("s_last_used_at_ns")?,
    })
}

/// Deletes every session of user `$1` (also run by [`crate::Users::set_disabled`]).
pub(crate) const REVOKE_ALL_SQL: &str = "DELETE FROM sessions WHERE user_id = $1";

/// Length of a stored secret hash: HMAC-SHA256 (or SHA-256) in hex.
pub(crate) const SECRET_HASH_LEN: usize = 64;

/// Checks the hash of a token or key the server computed and returns it lower-cased:
/// exactly [`SECRET_HASH_LEN`] hex digits, so a raw token passed by mistake is refused
/// instead of stored. The error never quotes the input (it may be the secret).
pub(crate) fn secret_hash(what: &'static str, hash: &str) -> Result<String> {
    if hash.len() != SECRET_HASH_LEN || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::invalid(
            what,
            format!(
                "must be the {SECRET_HASH_LEN} hex digits of its HMAC-SHA256, not {} \
                 characters of other text; the store keeps hashes, never secrets",
                hash.chars().count()
            ),
        ));
    }
    Ok(hash.to_ascii_lowercase())
}

impl Sessions<'_> {
    /// Stores a new session of `user` for the token whose hash is `token_hash`, live
    /// until `expires_at`. An unknown user is [`StoreError::NotFound`]; a hash already
    /// stored is [`StoreError::Duplicate`]; a hash that is not 64 hex digits is
    /// [`StoreError::InvalidData`]. A session of a disabled user can be stored but
    /// [`Sessions::find_active`] never returns it.
    pub async fn create(
        &self,
        user: UserId,
        token_hash: &str,
        kind: SessionKind,
        expires_at: Timestamp,
    ) -> Result<Session> {
        let hash = secret_hash("session token hash", token_hash)?;
        let sql = concat!(
            "INSERT INTO sessions (user_id, token_hash, kind, created_at_ns, \
             expires_at_ns, last_used_at_ns) VALUES ($1, $2, $3, $4, $5, $4) RETURNING ",
            cols!("")
        );
        let t = now().nanos();
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(user.0)
                .bind(&hash)
                .bind(kind.as_str())
                .bind(t)
                .bind(expires_at.nanos())
                .fetch_one(p)
                .await
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::not_found("user", user)
                    } else if is_unique_violation(&e) {
                        StoreError::Duplicate { what: "session", name: "with this token hash".into() }
                    } else {
                        StoreError::Database(e)
                    }
                })?;
            from_row(&row)
        })
    }

    /// The live session with this token hash and its user: not expired at `now`
    /// (`expires_at` later than `now`), not revoked, its user not disabled. `None`
    /// otherwise, whichever the reason, and for a hash that is not 64 hex digits.
    pub async fn find_active(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(Session, User)>> {
        let Ok(hash) = secret_hash("session token hash", token_hash) else {
            return Ok(None);
        };
        let sql = concat!(
            "SELECT ",
            cols!("s."),
            ", ",
            joined_user_cols!(),
            " FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at_ns > $2 AND u.disabled_at_ns IS NULL"
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(&hash)
                .bind(now.nanos())
                .fetch_optional(p)
                .await?;
            row.map(|r| Ok((from_row(&r)?, crate::users::from_row(&r)?))).transpose()
        })
    }

    /// Records that a request used the session at `now` (never moving `last_used_at`
    /// back). A session deleted meanwhile (a logout in another tab) is no error:
    /// there is nothing left to touch.
    pub async fn touch(&self, id: SessionId, now: Timestamp) -> Result<()> {
        with_pool!(self.store, p => {
            sqlx::query("UPDATE sessions SET last_used_at_ns = $2 WHERE id = $1 AND last_used_at_ns < $2")
                .bind(id.0)
                .bind(now.nanos())
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Logout: deletes the session with this token hash if it is one of `user`'s.
    /// Returns whether one was; another user's session is left alone (and `false`).
    pub async fn revoke(&self, user: UserId, token_hash: &str) -> Result<bool> {
        let Ok(hash) = secret_hash("session token hash", token_hash) else {
            return Ok(false);
        };
        let deleted = with_pool!(self.store, p => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1 AND user_id = $2")
                .bind(&hash)
                .bind(user.0)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// Logs the user out everywhere: deletes all of `user`'s sessions and returns how
    /// many there were.
    pub async fn revoke_all(&self, user: UserId) -> Result<u64> {
        Ok(with_pool!(self.store, p => {
            sqlx::query(REVOKE_ALL_SQL).bind(user.0).execute(p).await?.rows_affected()
        }))
    }

    /// Housekeeping: deletes the sessions expired at `now` (those
    /// [`Sessions::find_active`] no longer returns) and returns how many.
    pub async fn purge_expired(&self, now: Timestamp) -> Result<u64> {
        Ok(with_pool!(self.store, p => {
            sqlx::query("DELETE FROM sessions WHERE expires_at_ns <= $1")
                .bind(now.nanos())
                .execute(p)
                .await?
                .rows_affected()
        }))
    }
}
