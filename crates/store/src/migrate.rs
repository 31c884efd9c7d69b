//! Versioned schema migrations, one SQL script per version and backend, applied at
//! open inside one transaction each. `schema_version` records what was applied.

use crate::db::{BeginWrite, Pool};
use crate::error::{Result, StoreError};

/// One schema version: its number, a short description, its script per backend, and
/// the conversion (in Rust) that runs after the script in the same transaction.
struct Migration {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    then: Option<Conversion>,
}

/// Data conversions SQL alone cannot do.
#[derive(Clone, Copy)]
enum Conversion {
    /// Audit chunks and legacy audit rows into rows of `run_events`
    /// (`crate::audit::convert_to_rows`).
    AuditRows,
}

/// Every migration, in version order. Append only; never edit a released script.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "initial schema",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
        then: None,
    },
    Migration {
        version: 2,
        description: "runs.worker: the process running a run",
        sqlite: include_str!("../migrations/sqlite/0002_run_worker.sql"),
        postgres: include_str!("../migrations/postgres/0002_run_worker.sql"),
        then: None,
    },
    Migration {
        version: 3,
        description: "bar_chunks and equity_chunks: bars and equity curves in chunks",
        sqlite: include_str!("../migrations/sqlite/0003_chunks.sql"),
        postgres: include_str!("../migrations/postgres/0003_chunks.sql"),
        then: None,
    },
    Migration {
        version: 4,
        description: "audit_chunks: decisions, orders, fills and run events in chunks",
        sqlite: include_str!("../migrations/sqlite/0004_audit_chunks.sql"),
        postgres: include_str!("../migrations/postgres/0004_audit_chunks.sql"),
        then: None,
    },
    Migration {
        version: 5,
        description: "bar_chunks.owner_id: shared and private bars; CLI accounts become users",
        sqlite: include_str!("../migrations/sqlite/0005_bar_owner.sql"),
        postgres: include_str!("../migrations/postgres/0005_bar_owner.sql"),
        then: None,
    },
    Migration {
        version: 6,
        description: "run_events: the audit trail as rows (audit chunks converted)",
        sqlite: include_str!("../migrations/sqlite/0006_audit_rows.sql"),
        postgres: include_str!("../migrations/postgres/0006_audit_rows.sql"),
        then: Some(Conversion::AuditRows),
    },
    Migration {
        version: 7,
        description: "run_events: two indexes instead of six (kind and symbol in the key)",
        sqlite: include_str!("../migrations/sqlite/0007_audit_lean_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0007_audit_lean_indexes.sql"),
        then: None,
    },
    Migration {
        version: 8,
        description: "news: imported news items, private to their owner",
        sqlite: include_str!("../migrations/sqlite/0008_news.sql"),
        postgres: include_str!("../migrations/postgres/0008_news.sql"),
        then: None,
    },
    Migration {
        version: 9,
        description: "accounts: users.disabled_at_ns, sessions, api_keys, admin_actions",
        sqlite: include_str!("../migrations/sqlite/0009_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0009_accounts.sql"),
        then: None,
    },
    Migration {
        version: 10,
        description: "runs.status 'paused' (a live run waiting for its data); symbol_lot_steps",
        sqlite: include_str!("../migrations/sqlite/0010_run_paused.sql"),
        postgres: include_str!("../migrations/postgres/0010_run_paused.sql"),
        then: None,
    },
    Migration {
        version: 11,
        description: "learner_snapshots: an online learner's state, versioned per run",
        sqlite: include_str!("../migrations/sqlite/0011_learner_snapshots.sql"),
        postgres: include_str!("../migrations/postgres/0011_learner_snapshots.sql"),
        then: None,
    },
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 11;

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
/// `bars` and `equity` tables (written before version 3, or by raw SQL) into chunks.
/// Returns the schema version after migrating.
pub(crate) async fn migrate(pool: &Pool) -> Result<i64> {
    let version = apply(pool, SCHEMA_VERSION).await?;
    crate::bars::convert_legacy_bars(pool).await?;
    crate::audit::convert_legacy_equity(pool).await?;
    Ok(version)
}

/// Applies the missing migrations up to version `target` in one transaction (tests
/// stop short of [`SCHEMA_VERSION`] to build a database of an older version).
pub(crate) async fn apply(pool: &Pool, target: i64) -> Result<i64> {
    macro_rules! run {
        ($tx:expr, $script:ident, $lock:expr, $check:path) => {{
            let mut tx = $tx;
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
            for m in MIGRATIONS.iter().filter(|m| m.version > current && m.version <= target) {
                sqlx::raw_sql(m.$script).execute(&mut *tx).await?;
                match m.then {
                    Some(Conversion::AuditRows) => crate::audit::convert_to_rows(&mut *tx).await?,
                    None => {}
                }
                sqlx::query(
                    "INSERT INTO schema_version (version, description, applied_at_ns) VALUES ($1, $2, $3)",
                )
                .bind(m.version)
                .bind(m.description)
                .bind(crate::db::now().nanos())
                .execute(&mut *tx)
                .await?;
            }
            $check(&mut *tx).await?;
            tx.commit().await?;
            Ok(current.max(target))
        }};
    }
    match pool {
        Pool::Sqlite(p) => {
            // SQLite changes some schemas only by rebuilding a table (0010): with foreign
            // keys on, dropping the old table would cascade into the tables that
            // reference it. Keys are switched off (outside the transaction, where SQLite
            // honours it) on one connection, checked before committing, and switched
            // back on whatever happened.
            let mut conn = p.acquire().await?;
            sqlx::query("PRAGMA foreign_keys = OFF")
                .execute(&mut *conn)
                .await?;
            let result: Result<i64> = async {
                run!(
                    sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?,
                    sqlite,
                    false,
                    sqlite_foreign_key_check
                )
            }
            .await;
            let back_on = sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&mut *conn)
                .await;
            match (result, back_on) {
                (Ok(version), Ok(_)) => Ok(version),
                (Err(e), _) => {
                    // The connection may be in any state: it does not go back to the pool.
                    conn.detach();
                    Err(e)
                }
                (Ok(_), Err(e)) => {
                    conn.detach();
                    Err(e.into())
                }
            }
        }
        Pool::Postgres(p) => run!(p.begin_write().await?, postgres, true, nothing_to_check),
    }
}

/// PostgreSQL checks foreign keys as each statement runs.
async fn nothing_to_check(_: &mut sqlx::PgConnection) -> Result<()> {
    Ok(())
}

/// Fails when a migration left a row whose foreign key points nowhere (SQLite's
/// `foreign_key_check`, needed because the scripts ran with keys off).
async fn sqlite_foreign_key_check(conn: &mut sqlx::SqliteConnection) -> Result<()> {
    use sqlx::Row;
    let rows = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    if let Some(row) = rows.first() {
        let table: String = row.try_get(0).unwrap_or_default();
        let parent: String = row.try_get(2).unwrap_or_default();
        return Err(StoreError::invalid(
            "schema migration",
            format!(
                "{} row(s) would point nowhere after migrating (first: a row of {table} \
                 referencing {parent}); nothing was changed",
                rows.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::with_pool;
    use crate::{SessionKind, Store, UserId};
    use tradelab_core::Timestamp;

    /// Builds a version-8 database in `pool` with two users (one admin) as that
    /// version stored them, migrates it, and checks they are enabled and can log in.
    async fn migrates_a_version_8_database(pool: Pool) {
        assert_eq!(apply(&pool, 8).await.expect("to v8"), 8);
        let ids: Vec<i64> = with_pool!(&pool, p => {
            sqlx::query_scalar(
                "INSERT INTO users (email, password_hash, role, display_name, created_at_ns, \
                 updated_at_ns) VALUES ('a@example.com', '!', 'user', 'a', 0, 0), \
                 ('root@example.com', '!', 'admin', 'root', 0, 0) RETURNING id",
            )
            .fetch_all(p)
            .await
            .expect("v8 users")
        });
        assert_eq!(migrate(&pool).await.expect("migrate"), SCHEMA_VERSION);
        let store = Store::from_pool(pool, SCHEMA_VERSION);
        for id in &ids {
            let user = store.users().get(UserId(*id)).await.expect("user");
            assert!(!user.disabled, "{user:?}");
        }
        let user = UserId(ids[0]);
        let hash = "0123456789abcdef".repeat(4);
        let expires = Timestamp::from_secs(4_000_000_000);
        store
            .sessions()
            .create(user, &hash, SessionKind::Cookie, expires)
            .await
            .expect("session");
        let found = store
            .sessions()
            .find_active(&hash, Timestamp::from_secs(2_000_000_000))
            .await
            .expect("find");
        assert_eq!(found.map(|(_, u)| u.id), Some(user));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_version_8_database_migrates_with_its_users_enabled_on_sqlite() {
        let dir = tempfile::tempdir().expect("temp dir");
        migrates_a_version_8_database(crate::test_pools::sqlite_file(dir.path(), "v8.db").await)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        tradelab_no_pg,
        ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
    )]
    async fn a_version_8_database_migrates_with_its_users_enabled_on_postgres() {
        crate::test_pools::on_postgres_schema("t_v8", migrates_a_version_8_database).await;
    }

    #[test]
    fn versions_are_increasing_and_end_at_schema_version() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].version < w[1].version));
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
