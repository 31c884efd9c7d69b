//! User accounts: created, listed, given a role, disabled by an admin.

use crate::db::{BeginWrite, RowExt, now, text_enum, with_pool};
use crate::error::{Result, StoreError, duplicate_or};
use crate::page::{Page, PageRequest};
use crate::{Store, UserId};
use tradelab_core::Timestamp;

text_enum!(
    /// What a user may do.
    Role {
        /// Manages users, global settings and the emergency stop.
        Admin => "admin",
        /// Owns models and runs.
        User => "user",
    }
);

/// A stored user account.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct User {
    pub id: UserId,
    /// Lower-cased, unique.
    pub email: String,
    /// A password hash (argon2id PHC string); never the password.
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub display_name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Disabled by an admin ([`Users::set_disabled`]): the account's sessions and API
    /// keys authenticate no one while it is.
    pub disabled: bool,
}

/// What a new account needs.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    pub display_name: String,
}

/// The user repository: `store.users()`.
pub struct Users<'a> {
    pub(crate) store: &'a Store,
}

macro_rules! cols {
    () => {
        "id, email, password_hash, role, display_name, created_at_ns, updated_at_ns, \
         disabled_at_ns"
    };
}

/// The columns [`from_row`] reads, of the `users` table aliased `u` in a join (the
/// other table's columns must not take these names).
macro_rules! joined_user_cols {
    () => {
        "u.id AS id, u.email AS email, u.password_hash AS password_hash, u.role AS role, \
         u.display_name AS display_name, u.created_at_ns AS created_at_ns, \
         u.updated_at_ns AS updated_at_ns, u.disabled_at_ns AS disabled_at_ns"
    };
}
pub(crate) use joined_user_cols;

/// A user from a row with the columns of `cols!` (or `joined_user_cols!`).
pub(crate) fn from_row(row: &impl RowExt) -> Result<User> {
    Ok(User {
        id: UserId(row.i64("id")?),
        email: row.text("email")?,
        password_hash: row.text("password_hash")?,
        role: row.parse("role")?,
        display_name: row.text("display_name")?,
        created_at: row.ts("created_at_ns")?,
        updated_at: row.ts("updated_at_ns")?,
        disabled: row.opt_i64("disabled_at_ns")?.is_some(),
    })
}

/// The account the CLI acts as when no `--user` is given: the one admin of a local
/// database (until accounts can be made admins explicitly).
pub const LOCAL_ADMIN_EMAIL: &str = "local@tradelab";

/// Longest e-mail address accepted (RFC 5321's limit on a path).
pub const MAX_EMAIL_LEN: usize = 254;

/// How much of a bad address a message quotes.
const ECHOED_CHARS: usize = 40;

/// The start of `text` for a message: at most [`ECHOED_CHARS`] characters, quoted and
/// escaped, with the full length when it was cut.
fn echo(text: &str) -> String {
    let count = text.chars().count();
    if count <= ECHOED_CHARS {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(ECHOED_CHARS).collect();
        format!("{head:?}… ({count} characters)")
    }
}

/// Checks an e-mail address and returns it trimmed and lower-cased: at most
/// [`MAX_EMAIL_LEN`] bytes, exactly one `@` with a non-empty local part before it and
/// a domain after it, no whitespace or control characters. The error names the
/// problem and quotes at most the first 40 characters of the input.
pub fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let bad = |problem: String| {
        StoreError::invalid(
            "email",
            format!("{} is not an e-mail address: {problem}", echo(email)),
        )
    };
    if e.is_empty() {
        return Err(bad("it is empty".into()));
    }
    if e.len() > MAX_EMAIL_LEN {
        return Err(bad(format!(
            "it is {} bytes long, more than the {MAX_EMAIL_LEN} an address may have",
            e.len()
        )));
    }
    if let Some(c) = e.chars().find(|c| c.is_control()) {
        return Err(bad(format!(
            "it contains the control character U+{:04X}",
            u32::from(c)
        )));
    }
    if e.contains(char::is_whitespace) {
        return Err(bad("it contains whitespace".into()));
    }
    let Some((local, domain)) = e.split_once('@') else {
        return Err(bad("it has no @".into()));
    };
    if domain.contains('@') {
        return Err(bad("it has more than one @".into()));
    }
    if local.is_empty() {
        return Err(bad("nothing before the @".into()));
    }
    if domain.is_empty() {
        return Err(bad("no domain after the @".into()));
    }
    Ok(e)
}

impl Users<'_> {
    /// Creates an account. A taken email is [`StoreError::Duplicate`].
    pub async fn create(&self, new: &NewUser) -> Result<User> {
        let email = normalize_email(&new.email)?;
        if new.password_hash.is_empty() {
            return Err(StoreError::invalid("password hash", "is empty"));
        }
        let t = now().nanos();
        let sql = concat!(
            "INSERT INTO users (email, password_hash, role, display_name, created_at_ns, updated_at_ns) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING ",
            cols!(),
            ""
        );
        with_pool!(self.store, p => from_row(
            &sqlx::query(sql)
                .bind(&email)
                .bind(&new.password_hash)
                .bind(new.role.as_str())
                .bind(new.display_name.trim())
                .bind(t)
                .fetch_one(p)
                .await
                .map_err(|e| duplicate_or(e, "user", &email))?
        ))
    }

    /// The account with this id.
    pub async fn get(&self, id: UserId) -> Result<User> {
        let sql = concat!("SELECT ", cols!(), " FROM users WHERE id = $1");
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(id.0).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("user", id))
        })
    }

    /// The account with this email (case-insensitive), if any.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<User>> {
        let email = email.trim().to_lowercase();
        let sql = concat!("SELECT ", cols!(), " FROM users WHERE email = $1");
        with_pool!(self.store, p => {
            let row = sqlx::query(sql).bind(email).fetch_optional(p).await?;
            row.as_ref().map(from_row).transpose()
        })
    }

    /// A page of every account, oldest first; `page.after` is the id of the last account
    /// of the previous page. Admin only: accounts are not a user's data.
    pub async fn list(&self, page: PageRequest<UserId>) -> Result<Page<User, UserId>> {
        let limit = page.fetch_limit()?;
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM users WHERE id > $1 ORDER BY id LIMIT $2"
        );
        let after = page.after.map_or(i64::MIN, |u| u.0);
        let users: Vec<User> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(after).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(users, page.limit, |u| u.id))
    }

    /// Changes the role and display name.
    pub async fn update(&self, id: UserId, role: Role, display_name: &str) -> Result<User> {
        let sql = concat!(
            "UPDATE users SET role = $2, display_name = $3, updated_at_ns = $4 WHERE id = $1 \
             RETURNING ",
            cols!(),
            ""
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(role.as_str())
                .bind(display_name.trim())
                .bind(now().nanos())
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("user", id))
        })
    }

    /// Replaces the password hash.
    pub async fn set_password_hash(&self, id: UserId, password_hash: &str) -> Result<()> {
        if password_hash.is_empty() {
            return Err(StoreError::invalid("password hash", "is empty"));
        }
        let done = with_pool!(self.store, p => {
            sqlx::query("UPDATE users SET password_hash = $2, updated_at_ns = $3 WHERE id = $1")
                .bind(id.0)
                .bind(password_hash)
                .bind(now().nanos())
                .execute(p)
                .await?
                .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::not_found("user", id));
        }
        Ok(())
    }

    /// Changes the role. Admin only. The store does not refuse demoting the last
    /// admin: the caller decides whether one must remain.
    pub async fn set_role(&self, id: UserId, role: Role) -> Result<User> {
        let sql = concat!(
            "UPDATE users SET role = $2, updated_at_ns = $3 WHERE id = $1 RETURNING ",
            cols!(),
            ""
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(role.as_str())
                .bind(now().nanos())
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("user", id))
        })
    }

    /// Disables (`true`) or enables (`false`) the account. Admin only. Disabling also
    /// deletes every session of the user, in the same transaction, so no browser or
    /// token stays logged in; the user's API keys are kept (listed, not revoked) but
    /// authenticate no one while the account is disabled. Disabling a disabled
    /// account (or enabling an enabled one) changes nothing but `updated_at`.
    pub async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<User> {
        let sql = if disabled {
            concat!(
                "UPDATE users SET disabled_at_ns = COALESCE(disabled_at_ns, $2), \
                 updated_at_ns = $2 WHERE id = $1 RETURNING ",
                cols!(),
                ""
            )
        } else {
            concat!(
                "UPDATE users SET disabled_at_ns = NULL, updated_at_ns = $2 WHERE id = $1 \
                 RETURNING ",
                cols!(),
                ""
            )
        };
        with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query(sql)
                .bind(id.0)
                .bind(now().nanos())
                .fetch_optional(&mut *tx)
                .await?;
            let user = row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("user", id))?;
            if disabled {
                sqlx::query(crate::sessions::REVOKE_ALL_SQL).bind(id.0).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(user)
        })
    }

    /// How many accounts exist (disabled ones included).
    pub async fn count(&self) -> Result<i64> {
        Ok(with_pool!(self.store, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await?
        }))
    }
}
