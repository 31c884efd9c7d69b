//! API keys: long-lived credentials a user makes for programs calling the HTTP
//! service.
//!
//! The server makes the key, shows it once and keeps only its hash here (64 hex
//! digits) and its first characters (the prefix, shown in listings so a user can tell
//! keys apart). A key is revoked, never deleted: listings keep showing it.

use crate::db::{RowExt, now, with_pool};
use crate::error::{Result, StoreError, is_foreign_key_violation, is_unique_violation};
use crate::page::{Page, PageRequest};
use crate::sessions::secret_hash;
use crate::users::{User, joined_user_cols};
use crate::{ApiKeyId, Store, UserId};
use tradelab_core::Timestamp;

/// Most characters of a key's name.
pub const MAX_API_KEY_NAME_CHARS: usize = 100;
/// Most characters of a key's prefix (its start, shown in listings; e.g. `tl_3fa9c2`).
pub const MAX_API_KEY_PREFIX_CHARS: usize = 24;

/// A stored API key. Never holds the key or its hash.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub owner: UserId,
    /// What the owner calls it (trimmed, 1 to [`MAX_API_KEY_NAME_CHARS`] characters;
    /// not unique).
    pub name: String,
    /// The key's first characters, shown in listings.
    pub prefix: String,
    pub created_at: Timestamp,
    /// When a request last used it ([`ApiKeys::touch`]); `None` before the first.
    pub last_used_at: Option<Timestamp>,
    /// When its owner revoked it; a revoked key authenticates no one.
    pub revoked_at: Option<Timestamp>,
}

/// The API key repository: `store.api_keys()`.
pub struct ApiKeys<'a> {
    pub(crate) store: &'a Store,
}

/// API key columns named `k_…`, so they can sit next to a user's in a join; `$t` is
/// the table's alias with its dot (`"k."`), or `""`.
macro_rules! cols {
    ($t:literal) => {
        concat!(
            $t,
            "id AS k_id, ",
            $t,
            "owner_id AS k_owner_id, ",
            $t,
            "name AS k_name, ",
            $t,
            "prefix AS k_prefix, ",
            $t,
            "created_at_ns AS k_created_at_ns, ",
            $t,
            "last_used_at_ns AS k_last_used_at_ns, ",
            $t,
            "revoked_at_ns AS k_revoked_at_ns"
        )
    };
}

fn from_row(row: &impl RowExt) -> Result<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId(row.i64("k_id")?),
        owner: UserId(row.i64("k_owner_id")?),
        name: row.text("k_name")?,
        prefix: row.text("k_prefix")?,
        created_at: row.ts("k_created_at_ns")?,
        last_used_at: row.opt_ts("k_last_used_at_ns")?,
        revoked_at: row.opt_ts("k_revoked_at_ns")?,
    })
}

/// The name trimmed, or why it is refused.
fn checked_name(name: &str) -> Result<&str> {
    let name = name.trim();
    let chars = name.chars().count();
    let problem = if chars == 0 {
        "is empty".to_string()
    } else if chars > MAX_API_KEY_NAME_CHARS {
        format!("is {chars} characters long, more than {MAX_API_KEY_NAME_CHARS}")
    } else if name.chars().any(char::is_control) {
        "contains a control character".to_string()
    } else {
        return Ok(name);
    };
    Err(StoreError::invalid("api key name", problem))
}

/// The prefix, or why it is refused: 1 to [`MAX_API_KEY_PREFIX_CHARS`] printable ASCII
/// characters (no spaces).
fn checked_prefix(prefix: &str) -> Result<&str> {
    let problem = if prefix.is_empty() {
        "is empty".to_string()
    } else if prefix.chars().count() > MAX_API_KEY_PREFIX_CHARS {
        format!(
            "is {} characters long, more than {MAX_API_KEY_PREFIX_CHARS}: keep only the \
             key's first characters",
            prefix.chars().count()
        )
    } else if !prefix.bytes().all(|b| b.is_ascii_graphic()) {
        "may hold printable ASCII characters only (no spaces)".to_string()
    } else {
        return Ok(prefix);
    };
    Err(StoreError::invalid("api key prefix", problem))
}

impl ApiKeys<'_> {
    /// Stores a new key of `owner`: its name (trimmed, 1 to
    /// [`MAX_API_KEY_NAME_CHARS`] characters; several keys may share one), its
    /// `prefix` (the key's first characters, e.g. `tl_3fa9c2`, at most
    /// [`MAX_API_KEY_PREFIX_CHARS`]) and the hash of the key (64 hex digits). An
    /// unknown owner is [`StoreError::NotFound`]; a hash already stored is
    /// [`StoreError::Duplicate`]; a bad name, prefix or hash is
    /// [`StoreError::InvalidData`].
    pub async fn create(
        &self,
        owner: UserId,
        name: &str,
        prefix: &str,
        key_hash: &str,
    ) -> Result<ApiKey> {
        let name = checked_name(name)?;
        let prefix = checked_prefix(prefix)?;
        let hash = secret_hash("api key hash", key_hash)?;
        let sql = concat!(
            "INSERT INTO api_keys (owner_id, name, prefix, key_hash, created_at_ns) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
            cols!("")
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(owner.0)
                .bind(name)
                .bind(prefix)
                .bind(&hash)
                .bind(now().nanos())
                .fetch_one(p)
                .await
                .map_err(|e| {
                    if is_foreign_key_violation(&e) {
                        StoreError::not_found("user", owner)
                    } else if is_unique_violation(&e) {
                        StoreError::Duplicate { what: "api key", name: "with this hash".into() }
                    } else {
                        StoreError::Database(e)
                    }
                })?;
            from_row(&row)
        })
    }

    /// A page of the owner's keys, revoked ones included, oldest first; `page.after`
    /// is the id of the last key of the previous page. Only the owner's keys: another
    /// owner's id as the cursor shows none of theirs.
    pub async fn list(
        &self,
        owner: UserId,
        page: PageRequest<ApiKeyId>,
    ) -> Result<Page<ApiKey, ApiKeyId>> {
        let limit = page.fetch_limit()?;
        let sql = concat!(
            "SELECT ",
            cols!(""),
            " FROM api_keys WHERE owner_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        );
        let after = page.after.map_or(i64::MIN, |k| k.0);
        let keys: Vec<ApiKey> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(owner.0).bind(after).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(keys, page.limit, |k| k.id))
    }

    /// Revokes the owner's key and returns it. Another owner's key, or an id that does
    /// not exist, is [`StoreError::NotFound`] (the same error: ids of others' keys are
    /// not revealed). Revoking a revoked key changes nothing and returns it, with the
    /// time of its first revocation.
    pub async fn revoke(&self, owner: UserId, id: ApiKeyId) -> Result<ApiKey> {
        let sql = concat!(
            "UPDATE api_keys SET revoked_at_ns = COALESCE(revoked_at_ns, $3) \
             WHERE id = $1 AND owner_id = $2 RETURNING ",
            cols!("")
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(owner.0)
                .bind(now().nanos())
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("api key", id))
        })
    }

    /// The unrevoked key with this hash and its owner, if the owner is not disabled.
    /// `None` otherwise, whichever the reason, and for a hash that is not 64 hex
    /// digits.
    pub async fn find_active(&self, key_hash: &str) -> Result<Option<(ApiKey, User)>> {
        let Ok(hash) = secret_hash("api key hash", key_hash) else {
            return Ok(None);
        };
        let sql = concat!(
            "SELECT ",
            cols!("k."),
            ", ",
            joined_user_cols!(),
            " FROM api_keys k JOIN users u ON u.id = k.owner_id \
             WHERE k.key_hash = $1 AND k.revoked_at_ns IS NULL AND u.disabled_at_ns IS NULL"
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(&hash).fetch_optional(p).await?;
            row.map(|r| Ok((from_row(&r)?, crate::users::from_row(&r)?))).transpose()
        })
    }

    /// Records that a request used the key at `now` (never moving `last_used_at`
    /// back). An unknown id is no error: there is nothing to touch.
    pub async fn touch(&self, id: ApiKeyId, now: Timestamp) -> Result<()> {
        with_pool!(self.store, p => {
            sqlx::query(
                "UPDATE api_keys SET last_used_at_ns = $2 \
                 WHERE id = $1 AND (last_used_at_ns IS NULL OR last_used_at_ns < $2)",
            )
            .bind(id.0)
            .bind(now.nanos())
            .execute(p)
            .await?;
        });
        Ok(())
    }
}
