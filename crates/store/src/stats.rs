//! Figures about the whole store for the admin page: accounts, models, runs by
//! status, and the database's size.

use crate::db::{Pool, with_pool};
use crate::error::Result;
use crate::{RunStatus, Store};
use std::collections::BTreeMap;

/// Counts across every owner. Admin only.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SystemStats {
    /// Accounts, disabled ones included.
    pub users: i64,
    /// Models of every owner.
    pub models: i64,
    /// Runs of every owner by status name; every status is present, 0 when no run has
    /// it.
    pub runs_by_status: BTreeMap<String, i64>,
    /// Bytes the database takes: the SQLite file's pages (`page_count * page_size`;
    /// the write-ahead log not included), or PostgreSQL's `pg_database_size` of the
    /// current database (every schema in it). `None` when the database does not tell
    /// (e.g. PostgreSQL refuses the size to a role without `CONNECT` on it).
    pub store_bytes: Option<u64>,
}

impl Store {
    /// Counts of accounts, models and runs by status, and the database's size.
    /// Admin only: they span every owner.
    pub async fn stats(&self) -> Result<SystemStats> {
        let (users, models, by_status): (i64, i64, Vec<(String, i64)>) = with_pool!(self, p => {
            let users = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(p).await?;
            let models = sqlx::query_scalar("SELECT COUNT(*) FROM models").fetch_one(p).await?;
            let by_status = sqlx::query_as("SELECT status, COUNT(*) FROM runs GROUP BY status")
                .fetch_all(p)
                .await?;
            (users, models, by_status)
        });
        let mut runs_by_status: BTreeMap<String, i64> = RunStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect();
        runs_by_status.extend(by_status);
        Ok(SystemStats {
            users,
            models,
            runs_by_status,
            store_bytes: self.store_bytes().await,
        })
    }

    /// The database's size in bytes, `None` when it cannot be read.
    async fn store_bytes(&self) -> Option<u64> {
        let bytes: Result<i64, sqlx::Error> =
            match self.pool() {
                Pool::Sqlite(p) => sqlx::query_scalar(
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                )
                .fetch_one(p)
                .await,
                Pool::Postgres(p) => {
                    sqlx::query_scalar("SELECT pg_database_size(current_database())")
                        .fetch_one(p)
                        .await
                }
            };
        match bytes {
            Ok(b) => u64::try_from(b).ok(),
            Err(e) => {
                tracing::warn!(error = %e, "the database does not tell its size");
                None
            }
        }
    }
}
