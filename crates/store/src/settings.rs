//! Global settings: a key → JSON value map (admin-editable defaults and switches).

use crate::Store;
use crate::db::{RowExt, now, with_pool};
use crate::error::{Result, StoreError};
use crate::page::{Page, PageRequest};
use serde_json::Value;

/// One global setting: a key and its JSON value.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// The setting's name, 1 to 200 characters.
    pub key: String,
    /// Its value.
    pub value: Value,
}

/// The settings repository: `store.settings()`.
pub struct Settings<'a> {
    pub(crate) store: &'a Store,
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 200 || key.trim() != key {
        return Err(StoreError::invalid(
            "setting key",
            format!("{key:?} must be 1 to 200 characters without surrounding spaces"),
        ));
    }
    Ok(())
}

impl Settings<'_> {
    /// The value of `key`, if set.
    pub async fn get(&self, key: &str) -> Result<Option<Value>> {
        with_pool!(self.store, p => {
            let row = sqlx::query("SELECT value FROM global_settings WHERE key = $1")
                .bind(key)
                .fetch_optional(p)
                .await?;
            row.map(|r| r.json("value")).transpose()
        })
    }

    /// Sets `key` to `value` (insert or replace).
    pub async fn set(&self, key: &str, value: &Value) -> Result<()> {
        check_key(key)?;
        with_pool!(self.store, p => {
            sqlx::query(
                "INSERT INTO global_settings (key, value, updated_at_ns) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ns = excluded.updated_at_ns",
            )
            .bind(key)
            .bind(sqlx::types::Json(value))
            .bind(now().nanos())
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Removes `key`; true when it was set.
    pub async fn delete(&self, key: &str) -> Result<bool> {
        let n = with_pool!(self.store, p => {
            sqlx::query("DELETE FROM global_settings WHERE key = $1")
                .bind(key)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// A page of the settings, by key; `page.after` is the key of the last setting of
    /// the previous page. Keys are free text, so the list is paged like every other.
    pub async fn list(&self, page: PageRequest<String>) -> Result<Page<Setting, String>> {
        let limit = page.fetch_limit()?;
        let sql = "SELECT key, value FROM global_settings \
                   WHERE ($1 IS NULL OR key > $1) ORDER BY key LIMIT $2";
        let settings: Vec<Setting> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql).bind(page.after.as_deref()).bind(limit).fetch_all(p).await?;
            rows.iter()
                .map(|r| Ok(Setting { key: r.text("key")?, value: r.json("value")? }))
                .collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(settings, page.limit, |s| s.key.clone()))
    }
}
