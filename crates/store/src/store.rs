//! Opening a store: choosing the backend, connecting, migrating.

use crate::db::{Backend, Pool};
use crate::error::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// File name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "tradelab.db";

/// Where the store lives.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Data directory (`--data-dir`, default `./tradelab-data/`); holds the SQLite file.
    pub data_dir: PathBuf,
    /// A `postgres://` URL (`--database-url` or `DATABASE_URL`); `None` means SQLite.
    pub database_url: Option<String>,
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long to wait for a connection (and for the server to answer at open).
    pub connect_timeout: Duration,
}

impl StoreConfig {
    /// SQLite under `data_dir`.
    pub fn sqlite(data_dir: impl Into<PathBuf>) -> Self {
        StoreConfig {
            data_dir: data_dir.into(),
            database_url: None,
            max_connections: 4,
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// PostgreSQL at `url` (the data directory is still used for other files).
    pub fn postgres(data_dir: impl Into<PathBuf>, url: impl Into<String>) -> Self {
        StoreConfig {
            database_url: Some(url.into()),
            max_connections: 8,
            ..StoreConfig::sqlite(data_dir)
        }
    }
}

impl StoreConfig {
    /// The config the CLI flags describe: `--data-dir` (default `./tradelab-data`) and
    /// `--database-url`, falling back to the `DATABASE_URL` environment variable.
    pub fn from_flags(data_dir: Option<PathBuf>, database_url: Option<String>) -> Self {
        let data_dir = data_dir.unwrap_or_else(|| PathBuf::from("./tradelab-data"));
        let url = database_url
            .or_else(|| std::env::var("DATABASE_URL").ok())
            .filter(|u| !u.trim().is_empty());
        match url {
            Some(url) => StoreConfig::postgres(data_dir, url),
            None => StoreConfig::sqlite(data_dir),
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig::sqlite("./tradelab-data")
    }
}

/// The persistence layer: one pool of either backend, migrated to [`crate::SCHEMA_VERSION`].
/// Cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    schema_version: i64,
}

impl Store {
    /// Opens (creating if needed) the database the config names, applies migrations
    /// and checks the schema version.
    pub async fn open(config: &StoreConfig) -> Result<Store> {
        let pool = match config.database_url.as_deref() {
            None | Some("") => Pool::Sqlite(open_sqlite(config).await?),
            Some(url) if url.starts_with("sqlite:") => {
                return Err(StoreError::invalid(
                    "database url",
                    "SQLite is chosen with --data-dir, not a sqlite: URL",
                ));
            }
            Some(url) => Pool::Postgres(open_postgres(url, config).await?),
        };
        let schema_version = crate::migrate::migrate(&pool).await?;
        Ok(Store {
            pool,
            schema_version,
        })
    }

    /// Which backend this store runs on.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// The schema version after opening.
    pub fn schema_version(&self) -> i64 {
        self.schema_version
    }

    /// Closes every connection; waits for those in use.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }
}

async fn open_sqlite(config: &StoreConfig) -> Result<sqlx::SqlitePool> {
    let dir = &config.data_dir;
    let not_writable = |message: String| StoreError::NotWritable {
        path: dir.display().to_string(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| not_writable(e.to_string()))?;
    probe_writable(dir).map_err(|e| not_writable(e.to_string()))?;
    let options = SqliteConnectOptions::new()
        .filename(dir.join(SQLITE_FILE))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // New databases only: 16 KiB pages hold chunk blobs in a quarter of the pages
        // (and syscalls) of the 4 KiB default.
        .page_size(16_384)
        // Reads through a memory map instead of a read call per page.
        .pragma("mmap_size", "1073741824")
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .acquire_timeout(config.connect_timeout)
        .connect_with(options)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(_) | sqlx::Error::Io(_) => not_writable(format!(
                "cannot open {}: {e}",
                dir.join(SQLITE_FILE).display()
            )),
            other => StoreError::Database(other),
        })
}

/// Creates and removes a file, so a read-only directory fails here with a clear error
/// instead of deep inside SQLite.
fn probe_writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(".tradelab-write-probe");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

async fn open_postgres(url: &str, config: &StoreConfig) -> Result<sqlx::PgPool> {
    let shown = redact_url(url);
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::invalid("database url", format!("{shown}: {e}")))?;
    PgPoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .acquire_timeout(config.connect_timeout)
        .connect_with(options)
        .await
        .map_err(|e| StoreError::Unavailable {
            url: shown,
            message: one_line(&e.to_string()),
        })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_string();
    };
    format!(
        "{}{}:***{}",
        &url[..scheme_end],
        &userinfo[..colon],
        &rest[at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_password_only() {
        assert_eq!(
            redact_url("postgres://bob:s3cr@t@db.example:5432/x?sslmode=require"),
            "postgres://bob:***@db.example:5432/x?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1:1/test"),
            "postgres://postgres@127.0.0.1:1/test"
        );
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
    }
}
