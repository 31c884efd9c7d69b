//! Opening a store: choosing the backend, connecting, migrating.

use crate::db::{Backend, Pool};
use crate::error::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// File name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "tradelab.db";

/// Where the store lives.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Data directory (`--data-dir`, default `./tradelab-data/`); holds the SQLite file.
    pub data_dir: PathBuf,
    /// A `postgres://` or `postgresql://` URL (`--database-url` or `DATABASE_URL`);
    /// `None` means SQLite. [`Store::open`] refuses any other scheme.
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
        let pool = match config.database_url.as_deref().map(str::trim) {
            None | Some("") => Pool::Sqlite(open_sqlite(config).await?),
            Some(url) => match url_scheme(url) {
                Some(s)
                    if s.eq_ignore_ascii_case("postgres")
                        || s.eq_ignore_ascii_case("postgresql") =>
                {
                    Pool::Postgres(open_postgres(url, config).await?)
                }
                Some(s) if s.eq_ignore_ascii_case("sqlite") => {
                    return Err(StoreError::invalid(
                        "database url",
                        "SQLite is chosen with --data-dir, not a sqlite: URL; leave \
                         --database-url (and DATABASE_URL) unset to use the SQLite file \
                         under the data directory",
                    ));
                }
                _ => {
                    return Err(StoreError::invalid(
                        "database url",
                        format!(
                            "{} is not a database this build can use: the URL must start \
                             with postgres:// or postgresql:// (PostgreSQL); leave \
                             --database-url (and DATABASE_URL) unset for the SQLite file \
                             under the data directory",
                            shown_scheme(url)
                        ),
                    ));
                }
            },
        };
        let schema_version = match crate::migrate::migrate(&pool).await {
            Err(StoreError::Database(e))
                if matches!(pool, Pool::Sqlite(_)) && is_corrupt_database(&e) =>
            {
                return Err(corrupt(config, &e));
            }
            other => other?,
        };
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

    /// A store on `pool` as it is, without migrating (tests of older versions).
    #[cfg(test)]
    pub(crate) fn from_pool(pool: Pool, schema_version: i64) -> Store {
        Store {
            pool,
            schema_version,
        }
    }
}

/// The scheme of a URL (`postgres` of `postgres://…`, `sqlite` of `sqlite:x.db`), if
/// it has one.
fn url_scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// What to echo of a refused URL: its scheme only (a URL may hold a password).
fn shown_scheme(url: &str) -> String {
    match url_scheme(url) {
        Some(s) if s.len() <= 20 => format!("a {s}: URL"),
        _ => "a URL without a scheme".to_string(),
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
    let pool_options = SqlitePoolOptions::new()
        .max_connections(config.max_connections.max(1))
        .acquire_timeout(config.connect_timeout);
    // Switching a new file to WAL takes a lock SQLite does not wait for (the busy
    // handler is not called for it), so many commands opening one fresh data directory
    // at once can see SQLITE_BUSY here: wait and retry, as the busy timeout would.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut pause = Duration::from_millis(5);
    let connected = loop {
        match pool_options.clone().connect_with(options.clone()).await {
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => break other,
        }
    };
    connected.map_err(|e| match e {
        e if is_corrupt_database(&e) => corrupt(config, &e),
        sqlx::Error::Database(_) | sqlx::Error::Io(_) => not_writable(format!(
            "cannot open {}: {e}",
            dir.join(SQLITE_FILE).display()
        )),
        other => StoreError::Database(other),
    })
}

/// Creates and removes a file, so a read-only directory fails here with a clear error
/// instead of deep inside SQLite. The file's name is unique to this call (process id,
/// a per-process counter and the time), so commands opening the same directory at
/// once never touch each other's probe.
fn probe_writable(dir: &Path) -> std::io::Result<()> {
    static PROBES: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let probe = dir.join(format!(
        ".tradelab-write-probe-{}-{}-{nanos}",
        std::process::id(),
        PROBES.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

/// True when SQLite says the database is locked by another connection (`SQLITE_BUSY`).
fn is_busy(e: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i64 = 5;
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| c & 0xff == SQLITE_BUSY)
}

/// True when SQLite (only: the codes are SQLite's) says the file is damaged (`SQLITE_CORRUPT`) or is not a database
/// at all (`SQLITE_NOTADB`): a broken file, not a permission problem.
fn is_corrupt_database(e: &sqlx::Error) -> bool {
    const SQLITE_CORRUPT: i64 = 11;
    const SQLITE_NOTADB: i64 = 26;
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| matches!(c & 0xff, SQLITE_CORRUPT | SQLITE_NOTADB))
}

/// [`StoreError::Corrupt`] naming the SQLite file of `config`.
fn corrupt(config: &StoreConfig, e: &sqlx::Error) -> StoreError {
    StoreError::Corrupt {
        path: config.data_dir.join(SQLITE_FILE).display().to_string(),
        message: one_line(&e.to_string()),
    }
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
