//! Versioned schema migrations, one SQL script per version and backend, applied at
//! open inside one transaction each. `schema_version` records what was applied.

use crate::db::{BeginWrite, Pool};
use crate::error::{Result, StoreError};

/// One schema version: its number, a short description, and its script per backend.
struct Migration {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Every migration, in version order. Append only; never edit a released script.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "initial schema",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        description: "runs.worker: the process running a run",
        sqlite: include_str!("../migrations/sqlite/0002_run_worker.sql"),
        postgres: include_str!("../migrations/postgres/0002_run_worker.sql"),
    },
    Migration {
        version: 3,
        description: "bar_chunks and equity_chunks: bars and equity curves in chunks",
        sqlite: include_str!("../migrations/sqlite/0003_chunks.sql"),
        postgres: include_str!("../migrations/postgres/0003_chunks.sql"),
    },
    Migration {
        version: 4,
        description: "audit_chunks: decisions, orders, fills and run events in chunks",
        sqlite: include_str!("../migrations/sqlite/0004_audit_chunks.sql"),
        postgres: include_str!("../migrations/postgres/0004_audit_chunks.sql"),
    },
    Migration {
        version: 5,
        description: "bar_chunks.owner_id: shared and private bars; CLI accounts become users",
        sqlite: include_str!("../migrations/sqlite/0005_bar_owner.sql"),
        postgres: include_str!("../migrations/postgres/0005_bar_owner.sql"),
    },
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 5;

const CREATE_VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version       BIGINT PRIMARY KEY,
    description   TEXT   NOT NULL,
    applied_at_ns BIGINT NOT NULL
)";

/// Arbitrary constant key of the PostgreSQL advisory lock that serializes migrations
/// of concurrently starting processes.
const PG_MIGRATION_LOCK: i64 = 0x7472_6164_656c_6162; // "tradelab"

/// Applies missing migrations; fails with [`StoreError::SchemaTooNew`] when the
/// database is ahead of this build. Then converts rows left in the row-per-point
/// `bars` and `equity` tables (written before version 3, or by raw SQL) and in the
/// audit row tables (before version 4) into chunks.
/// Returns the schema version after migrating.
pub(crate) async fn migrate(pool: &Pool) -> Result<i64> {
    let version = apply(pool).await?;
    crate::bars::convert_legacy_bars(pool).await?;
    crate::audit::convert_legacy_equity(pool).await?;
    crate::audit::convert_legacy_rows(pool).await?;
    Ok(version)
}

async fn apply(pool: &Pool) -> Result<i64> {
    macro_rules! run {
        ($pool:ident, $script:ident, $lock:expr) => {{
            let mut tx = $pool.begin_write().await?;
            if $lock {
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(PG_MIGRATION_LOCK)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(CREATE_VERSION_TABLE).execute(&mut *tx).await?;
            let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                .fetch_one(&mut *tx)
                .await?;
            if current > SCHEMA_VERSION {
                return Err(StoreError::SchemaTooNew {
                    found: current,
                    supported: SCHEMA_VERSION,
                });
            }
            for m in MIGRATIONS.iter().filter(|m| m.version > current) {
                sqlx::raw_sql(m.$script).execute(&mut *tx).await?;
                sqlx::query(
                    "INSERT INTO schema_version (version, description, applied_at_ns) VALUES ($1, $2, $3)",
                )
                .bind(m.version)
                .bind(m.description)
                .bind(crate::db::now().nanos())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(current.max(SCHEMA_VERSION))
        }};
    }
    match pool {
        Pool::Sqlite(p) => run!(p, sqlite, false),
        Pool::Postgres(p) => run!(p, postgres, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_increasing_and_end_at_schema_version() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
