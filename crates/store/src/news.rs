//! News items a user imported, read back as the point-in-time archive the LLM agent's
//! `search_news` tool searches.
//!
//! News is private to its owner, like private bars: every method takes the owner and
//! no call returns another user's item (another owner's id is
//! [`StoreError::NotFound`], as a missing one). An item is identified by its owner,
//! publication time, headline and source: importing it again leaves the stored item
//! as it is, so a re-import is idempotent.

use crate::db::{BeginWrite, Pool, RowExt, with_pool};
use crate::error::{Result, StoreError, is_foreign_key_violation};
use crate::page::{Page, PageRequest};
use crate::{Backend, NewsId, Store, UserId};
use serde::Serialize;
use tradelab_core::{Symbol, Timestamp};
use tradelab_data::{NewsArchive, NewsItem};

/// Longest headline stored, in bytes (it is part of the item's unique key, and an
/// index entry has a size limit on PostgreSQL).
pub const MAX_HEADLINE_BYTES: usize = 1000;
/// Longest source stored, in bytes (part of the unique key too).
pub const MAX_SOURCE_BYTES: usize = 500;

/// Items one `INSERT` statement writes (8 parameters each: well under both
/// backends' limit on bound parameters).
const INSERT_ROWS: usize = 500;

/// The news repository: `store.news()`.
pub struct News<'a> {
    pub(crate) store: &'a Store,
}

/// What [`News::import`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NewsImported {
    /// Items stored by this import.
    pub inserted: u64,
    /// Items already stored (same time, headline and source), left as they were; an
    /// item given twice in one import counts once as inserted and once here.
    pub unchanged: u64,
}

/// A stored news item and its id (the cursor of [`News::list`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNews {
    /// Its id.
    pub id: NewsId,
    /// The item.
    pub item: NewsItem,
}

/// The owner's items published at or before `$2` that mention one of the symbols of
/// `$3` or none at all (general news), oldest first (ties in import order). An item
/// mentions a symbol when `;SYM;` is a substring of `;symbols;` (the test of
/// [`list_sql`]); it has none when `symbols` holds nothing but separators, as
/// [`from_row`] reads it. `$3` is a JSON array of symbol texts on SQLite (read with
/// `json_each`), a `text[]` on PostgreSQL (read with `unnest`): one parameter however
/// many symbols, and no chain of `OR`s to outgrow SQLite's expression depth.
macro_rules! archive_sql {
    ($symbols:literal, $find:literal) => {
        concat!(
            "SELECT id, published_ns, symbols, headline, body, source FROM news \
             WHERE owner_id = $1 AND published_ns <= $2 \
             AND (replace(symbols, ';', '') = '' OR EXISTS (SELECT 1 FROM ",
            $symbols,
            " WHERE ",
            $find,
            "(';' || symbols || ';', ';' || s.value || ';') > 0)) \
             ORDER BY published_ns, id"
        )
    };
}
const ARCHIVE_SQLITE: &str = archive_sql!("json_each($3) AS s", "instr");
const ARCHIVE_POSTGRES: &str = archive_sql!("unnest($3::text[]) AS s(value)", "strpos");

/// A page of the owner's items, newest first, after the item at (`$2`, `$3`), that
/// mention the symbol `$4` (`;SYM;`, or NULL for every item). SQLite's `instr` and
/// PostgreSQL's `strpos` are the same exact, case-sensitive substring test.
macro_rules! list_sql {
    ($find:literal) => {
        concat!(
            "SELECT id, published_ns, symbols, headline, body, source FROM news \
             WHERE owner_id = $1 \
             AND ($2 IS NULL OR published_ns < $2 OR (published_ns = $2 AND id < $3)) \
             AND ($4 IS NULL OR ",
            $find,
            "(';' || symbols || ';', $4) > 0) \
             ORDER BY published_ns DESC, id DESC LIMIT $5"
        )
    };
}
const LIST_SQLITE: &str = list_sql!("instr");
const LIST_POSTGRES: &str = list_sql!("strpos");

fn from_row(row: &impl RowExt) -> Result<StoredNews> {
    let symbols = row
        .text("symbols")?
        .split(';')
        .filter(|s| !s.is_empty())
        .map(|s| {
            Symbol::new(s).map_err(|e| StoreError::invalid("news symbols", format!("{s:?}: {e}")))
        })
        .collect::<Result<_>>()?;
    Ok(StoredNews {
        id: NewsId(row.i64("id")?),
        item: NewsItem {
            published: row.ts("published_ns")?,
            symbols,
            headline: row.text("headline")?,
            body: row.text("body")?,
            source: row.text("source")?,
        },
    })
}

/// The items of archive rows, in their order.
fn archive_items(rows: &[impl RowExt]) -> Result<Vec<NewsItem>> {
    rows.iter().map(|row| Ok(from_row(row)?.item)).collect()
}

/// Refuses an item whose key fields are too long to store, naming it by its place in
/// the import (1-based) and its time.
fn validate(items: &[NewsItem]) -> Result<()> {
    for (k, n) in items.iter().enumerate() {
        let too_long = |field: &str, len: usize, max: usize| {
            StoreError::invalid(
                "news item",
                format!(
                    "item {} (published {}): {field} is {len} bytes, more than {max}",
                    k + 1,
                    crate::audit::rfc3339(n.published.nanos())
                ),
            )
        };
        if n.headline.len() > MAX_HEADLINE_BYTES {
            return Err(too_long("headline", n.headline.len(), MAX_HEADLINE_BYTES));
        }
        if n.source.len() > MAX_SOURCE_BYTES {
            return Err(too_long("source", n.source.len(), MAX_SOURCE_BYTES));
        }
    }
    Ok(())
}

fn joined_symbols(item: &NewsItem) -> String {
    let names: Vec<&str> = item.symbols.iter().map(Symbol::as_str).collect();
    names.join(";")
}

impl News<'_> {
    /// Stores `items` as the owner's news in one transaction: all of them or, on an
    /// error, none. Items already stored (same owner, time, headline and source) are
    /// left as they are and counted as unchanged. A headline or source too long to
    /// store is [`StoreError::InvalidData`] naming the item.
    #[tracing::instrument(name = "store.news.import", skip(self, items), fields(user = owner.0, items = items.len()))]
    pub async fn import(&self, owner: UserId, items: &[NewsItem]) -> Result<NewsImported> {
        validate(items)?;
        if items.is_empty() {
            return Ok(NewsImported::default());
        }
        let writes_time = self.store.backend() == Backend::Postgres;
        let head = if writes_time {
            "INSERT INTO news (owner_id, published_ns, symbols, headline, body, source, time) "
        } else {
            "INSERT INTO news (owner_id, published_ns, symbols, headline, body, source) "
        };
        let mut inserted = 0;
        with_pool!(self.store, p => {
            let mut tx = p.begin_write().await?;
            for chunk in items.chunks(INSERT_ROWS) {
                let mut q = sqlx::QueryBuilder::new(head);
                q.push_values(chunk, |mut row, n| {
                    row.push_bind(owner.0)
                        .push_bind(n.published.nanos())
                        .push_bind(joined_symbols(n))
                        .push_bind(n.headline.clone())
                        .push_bind(n.body.clone())
                        .push_bind(n.source.clone());
                    if writes_time {
                        row.push_bind(crate::audit::rfc3339(n.published.nanos()));
                    }
                });
                q.push(" ON CONFLICT (owner_id, published_ns, headline, source) DO NOTHING");
                inserted += q
                    .build()
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        if is_foreign_key_violation(&e) {
                            StoreError::not_found("user", owner)
                        } else {
                            StoreError::Database(e)
                        }
                    })?
                    .rows_affected();
            }
            tx.commit().await?;
        });
        Ok(NewsImported {
            inserted,
            unchanged: items.len() as u64 - inserted,
        })
    }

    /// The owner's news that an agent trading `symbols` may read: the items that
    /// mention any of them or no symbol at all (general market news), published at or
    /// before `until` (every item when `None`). The database keeps only those: other
    /// symbols' items and later ones are never read.
    #[tracing::instrument(name = "store.news.archive_for", skip(self, symbols), fields(user = owner.0))]
    pub async fn archive_for(
        &self,
        owner: UserId,
        symbols: &[Symbol],
        until: Option<Timestamp>,
    ) -> Result<NewsArchive> {
        let until = until.map_or(i64::MAX, Timestamp::nanos);
        let names: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
        let items = match self.store.pool() {
            Pool::Sqlite(p) => {
                let names = serde_json::to_string(&names)
                    .map_err(|e| StoreError::invalid("news symbols", e.to_string()))?;
                let rows = sqlx::query(ARCHIVE_SQLITE)
                    .bind(owner.0)
                    .bind(until)
                    .bind(names)
                    .fetch_all(p)
                    .await?;
                archive_items(&rows)?
            }
            Pool::Postgres(p) => {
                let rows = sqlx::query(ARCHIVE_POSTGRES)
                    .bind(owner.0)
                    .bind(until)
                    .bind(names)
                    .fetch_all(p)
                    .await?;
                archive_items(&rows)?
            }
        };
        Ok(NewsArchive::new(items))
    }

    /// A page of the owner's news, newest first, of the items that mention `symbol`
    /// (every item when `None`); `page.after` is the id of the last item of the
    /// previous page. Another owner's id as the cursor is [`StoreError::NotFound`].
    #[tracing::instrument(name = "store.news.list", skip(self, page), fields(user = owner.0))]
    pub async fn list(
        &self,
        owner: UserId,
        symbol: Option<&Symbol>,
        page: PageRequest<NewsId>,
    ) -> Result<Page<StoredNews, NewsId>> {
        let limit = page.fetch_limit()?;
        let after_ns = match page.after {
            Some(id) => Some(self.published_of(owner, id).await?),
            None => None,
        };
        let after_id = page.after.map(|id| id.0);
        let needle = symbol.map(|s| format!(";{};", s.as_str()));
        let sql = match self.store.backend() {
            Backend::Sqlite => LIST_SQLITE,
            Backend::Postgres => LIST_POSTGRES,
        };
        let items: Vec<StoredNews> = with_pool!(self.store, p => {
            let rows = sqlx::query(sql)
                .bind(owner.0)
                .bind(after_ns)
                .bind(after_id)
                .bind(needle)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter().map(from_row).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(items, page.limit, |n| n.id))
    }

    /// How many news items the owner has stored.
    #[tracing::instrument(name = "store.news.count", skip(self), fields(user = owner.0))]
    pub async fn count(&self, owner: UserId) -> Result<u64> {
        let n: i64 = with_pool!(self.store, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM news WHERE owner_id = $1")
                .bind(owner.0)
                .fetch_one(p)
                .await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The publication time of the owner's item `id` (a list cursor).
    async fn published_of(&self, owner: UserId, id: NewsId) -> Result<i64> {
        let sql = "SELECT published_ns FROM news WHERE id = $1 AND owner_id = $2";
        let found: Option<i64> = with_pool!(self.store, p => {
            sqlx::query_scalar(sql).bind(id.0).bind(owner.0).fetch_optional(p).await?
        });
        found.ok_or_else(|| StoreError::not_found("news item", id))
    }
}
