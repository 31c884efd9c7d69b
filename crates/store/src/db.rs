//! The two backends behind one [`crate::Store`]: the pool enum, a dispatch macro that
//! compiles one body against each concrete pool, and row/value helpers both share.

use crate::error::{Result, StoreError};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgPool, Row, SqlitePool};
use std::str::FromStr;
use tradelab_core::Timestamp;

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One SQLite file under the data directory (WAL mode). The default.
    Sqlite,
    /// A PostgreSQL database, for deployments with several processes.
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A connection pool of either backend.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    /// Itself, so [`with_pool!`] takes a pool as well as a store.
    pub(crate) fn pool(&self) -> &Pool {
        self
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$store`. The body is
/// compiled once per backend, so it may only use SQL both dialects accept (`$1`
/// placeholders, `RETURNING`, `ON CONFLICT`) or branch on [`Backend`].
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store.pool() {
            $crate::db::Pool::Sqlite($pool) => $body,
            $crate::db::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Starts a write transaction. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so a transaction that reads first never fails to upgrade.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    /// Begins the transaction.
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send
    {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send
    {
        self.begin()
    }
}

/// Starts the write transaction that converts rows of a legacy table (schema versions
/// 1–2) into chunks at open.
pub(crate) trait BeginConversion: BeginWrite {
    /// `None` (and no write lock taken) when `any_sql`, a `SELECT EXISTS …`, finds no
    /// legacy rows. Else the write transaction, holding on PostgreSQL the advisory lock
    /// `lock` so that concurrently starting processes convert the rows once.
    fn begin_conversion(
        &self,
        any_sql: &'static str,
        lock: i64,
    ) -> impl Future<Output = Result<Option<sqlx::Transaction<'static, Self::Db>>>> + Send;
}

impl BeginConversion for SqlitePool {
    async fn begin_conversion(
        &self,
        any_sql: &'static str,
        _lock: i64,
    ) -> Result<Option<sqlx::Transaction<'static, sqlx::Sqlite>>> {
        let any: bool = sqlx::query_scalar(any_sql).fetch_one(self).await?;
        // BEGIN IMMEDIATE already admits one writer at a time.
        Ok(if any {
            Some(self.begin_write().await?)
        } else {
            None
        })
    }
}

impl BeginConversion for PgPool {
    async fn begin_conversion(
        &self,
        any_sql: &'static str,
        lock: i64,
    ) -> Result<Option<sqlx::Transaction<'static, sqlx::Postgres>>> {
        let any: bool = sqlx::query_scalar(any_sql).fetch_one(self).await?;
        if !any {
            return Ok(None);
        }
        let mut tx = self.begin_write().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(lock)
            .execute(&mut *tx)
            .await?;
        Ok(Some(tx))
    }
}

/// Typed column access shared by SQLite and PostgreSQL rows.
pub(crate) trait RowExt {
    /// A non-null integer column.
    fn i64(&self, col: &str) -> Result<i64>;
    /// A nullable integer column.
    fn opt_i64(&self, col: &str) -> Result<Option<i64>>;
    /// A non-null float column.
    fn f64(&self, col: &str) -> Result<f64>;
    /// A nullable float column.
    fn opt_f64(&self, col: &str) -> Result<Option<f64>>;
    /// A non-null text column.
    fn text(&self, col: &str) -> Result<String>;
    /// A nullable text column.
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    /// A boolean column.
    fn bool(&self, col: &str) -> Result<bool>;
    /// A non-null binary column (`BLOB` / `BYTEA`).
    fn bytes(&self, col: &str) -> Result<Vec<u8>>;
    /// A JSON document column.
    fn json(&self, col: &str) -> Result<Value>;
    /// A nullable JSON document column.
    fn opt_json(&self, col: &str) -> Result<Option<Value>>;

    /// A timestamp column (UTC nanoseconds).
    fn ts(&self, col: &str) -> Result<Timestamp> {
        self.i64(col).map(Timestamp::from_nanos)
    }
    /// A nullable timestamp column.
    fn opt_ts(&self, col: &str) -> Result<Option<Timestamp>> {
        Ok(self.opt_i64(col)?.map(Timestamp::from_nanos))
    }
    /// A text column parsed with `FromStr` (decimals, symbols, enums).
    fn parse<T: FromStr>(&self, col: &'static str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        parse_text(col, &self.text(col)?)
    }
    /// A nullable text column parsed with `FromStr`.
    fn opt_parse<T: FromStr>(&self, col: &'static str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        self.opt_text(col)?.map(|t| parse_text(col, &t)).transpose()
    }
    /// A JSON column decoded into a typed value.
    fn json_as<T: serde::de::DeserializeOwned>(&self, col: &'static str) -> Result<T> {
        serde_json::from_value(self.json(col)?)
            .map_err(|e| StoreError::invalid(col, format!("stored JSON does not decode: {e}")))
    }
}

/// Parses a stored text value, naming the column on failure.
pub(crate) fn parse_text<T: FromStr>(col: &'static str, text: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map_err(|e| StoreError::invalid(col, format!("stored value {text:?}: {e}")))
}

macro_rules! impl_row_ext {
    ($row:ty) => {
        impl RowExt for $row {
            fn i64(&self, col: &str) -> Result<i64> {
                Ok(self.try_get::<i64, _>(col)?)
            }
            fn opt_i64(&self, col: &str) -> Result<Option<i64>> {
                Ok(self.try_get::<Option<i64>, _>(col)?)
            }
            fn f64(&self, col: &str) -> Result<f64> {
                Ok(self.try_get::<f64, _>(col)?)
            }
            fn opt_f64(&self, col: &str) -> Result<Option<f64>> {
                Ok(self.try_get::<Option<f64>, _>(col)?)
            }
            fn text(&self, col: &str) -> Result<String> {
                Ok(self.try_get::<String, _>(col)?)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>> {
                Ok(self.try_get::<Option<String>, _>(col)?)
            }
            fn bool(&self, col: &str) -> Result<bool> {
                Ok(self.try_get::<bool, _>(col)?)
            }
            fn bytes(&self, col: &str) -> Result<Vec<u8>> {
                Ok(self.try_get::<Vec<u8>, _>(col)?)
            }
            fn json(&self, col: &str) -> Result<Value> {
                Ok(self.try_get::<Json<Value>, _>(col)?.0)
            }
            fn opt_json(&self, col: &str) -> Result<Option<Value>> {
                Ok(self.try_get::<Option<Json<Value>>, _>(col)?.map(|j| j.0))
            }
        }
    };
}
impl_row_ext!(sqlx::sqlite::SqliteRow);
impl_row_ext!(sqlx::postgres::PgRow);

/// The current wall-clock time as a UTC timestamp (for created/updated columns).
pub(crate) fn now() -> Timestamp {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_nanos(nanos)
}

/// Serializes a value to JSON for a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(what: &'static str, v: &T) -> Result<Json<Value>> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| StoreError::invalid(what, format!("cannot encode as JSON: {e}")))
}

/// Declares a text-backed enum with its stored names, `as_str`, `Display` and `FromStr`.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and displayed) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> std::result::Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "{s:?} is not one of {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use text_enum;
