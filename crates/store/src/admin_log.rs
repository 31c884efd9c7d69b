//! The admin audit log: what admins did (disabled a user, changed a role, …), who did
//! it and when. Entries are only ever added.

use crate::db::{RowExt, now, to_json, with_pool};
use crate::error::{Result, StoreError};
use crate::page::{Page, PageRequest};
use crate::{AdminActionId, Store, UserId};
use tradelab_core::Timestamp;

/// Most characters of an action's name (e.g. `user.disable`).
pub const MAX_ADMIN_ACTION_CHARS: usize = 100;
/// Most characters of an action's target (e.g. `user:42` or an e-mail address).
pub const MAX_ADMIN_TARGET_CHARS: usize = 300;

/// One entry of the admin audit log.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AdminAction {
    pub id: AdminActionId,
    /// The admin who acted.
    pub actor: UserId,
    /// The actor's e-mail address when they acted.
    pub actor_email: String,
    /// What was done, a short name chosen by the caller (e.g. `user.disable`).
    pub action: String,
    /// What it was done to, if anything (e.g. `user:42`).
    pub target: Option<String>,
    /// Anything else worth keeping (e.g. the old and new role), as JSON.
    pub detail: serde_json::Value,
    pub at: Timestamp,
}

/// The admin audit log: `store.admin_log()`. Admin only.
pub struct AdminLog<'a> {
    pub(crate) store: &'a Store,
}

macro_rules! cols {
    () => {
        "id, actor_id, actor_email, action, target, detail, at_ns"
    };
}

fn from_row(row: &impl RowExt) -> Result<AdminAction> {
    Ok(AdminAction {
        id: AdminActionId(row.i64("id")?),
        actor: UserId(row.i64("actor_id")?),
        actor_email: row.text("actor_email")?,
        action: row.text("action")?,
        target: row.opt_text("target")?,
        detail: row.json("detail")?,
        at: row.ts("at_ns")?,
    })
}

/// `text` trimmed, or why it is refused: empty, longer than `max` characters, or
/// holding a control character.
fn checked<'t>(what: &'static str, text: &'t str, max: usize) -> Result<&'t str> {
    let text = text.trim();
    let chars = text.chars().count();
    let problem = if chars == 0 {
        "is empty".to_string()
    } else if chars > max {
        format!("is {chars} characters long, more than {max}")
    } else if text.chars().any(char::is_control) {
        "contains a control character".to_string()
    } else {
        return Ok(text);
    };
    Err(StoreError::invalid(what, problem))
}

impl AdminLog<'_> {
    /// Adds an entry: `actor` did `action` (trimmed, 1 to [`MAX_ADMIN_ACTION_CHARS`]
    /// characters) to `target` (trimmed, 1 to [`MAX_ADMIN_TARGET_CHARS`], when given),
    /// with `detail`, now. The actor's current e-mail address is kept with the entry.
    /// An unknown actor is [`StoreError::NotFound`]. The store does not check that the
    /// actor is an admin: the caller records what it allowed.
    pub async fn record(
        &self,
        actor: UserId,
        action: &str,
        target: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<AdminAction> {
        let action = checked("admin action", action, MAX_ADMIN_ACTION_CHARS)?;
        let target = target
            .map(|t| checked("admin action target", t, MAX_ADMIN_TARGET_CHARS))
            .transpose()?;
        let detail = to_json("admin action detail", detail)?;
        let sql = concat!(
            "INSERT INTO admin_actions (actor_id, actor_email, action, target, detail, at_ns) \
             SELECT id, email, $2, $3, $4, $5 FROM users WHERE id = $1 RETURNING ",
            cols!()
        );
        with_pool!(self.store, p => {
            let row = sqlx::query(sql)
                .bind(actor.0)
                .bind(action)
                .bind(target)
                .bind(&detail)
                .bind(now().nanos())
                .fetch_optional(p)
                .await?;
            row.as_ref().map(from_row).transpose()?.ok_or_else(|| StoreError::not_found("user", actor))
        })
    }

    /// A page of the log, newest first; `page.after` is the id of the last entry of
    /// the previous page (the next page holds the entries before it).
    pub async fn list(
        &self,
        page: PageRequest<AdminActionId>,
    ) -> Result<Page<AdminAction, AdminActionId>> {
        let limit = page.fetch_limit()?;
        let sql = concat!(
            "SELECT ",
            cols!(),
            " FROM admin_actions WHERE id < $1 ORDER BY id DESC LIMIT $2"
        );
        let before = page.after.map_or(i64::MAX, |a| a.0);
        let entries: Vec<AdminAction> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(before).bind(limit).fetch_all(p).await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(entries, page.limit, |a| a.id))
    }
}
