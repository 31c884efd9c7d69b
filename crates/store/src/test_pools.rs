//! Raw pools for tests that build a database of an older version by hand before the
//! store opens it: a SQLite file in a temp dir, or a PostgreSQL schema of its own.

use crate::db::Pool;
use std::future::Future;

/// A pool on a new SQLite file `name` in `dir`.
pub(crate) async fn sqlite_file(dir: &std::path::Path, name: &str) -> Pool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join(name))
        .create_if_missing(true)
        .foreign_keys(true);
    Pool::Sqlite(
        sqlx::SqlitePool::connect_with(options)
            .await
            .expect("sqlite"),
    )
}

/// Runs `test` on a pool whose connections use a fresh schema named after `prefix`
/// on the server of `TRADELAB_TEST_POSTGRES_URL`, then drops the schema.
pub(crate) async fn on_postgres_schema<F, Fut>(prefix: &str, test: F)
where
    F: FnOnce(Pool) -> Fut,
    Fut: Future<Output = ()>,
{
    use sqlx::Connection;
    let url = std::env::var("TRADELAB_TEST_POSTGRES_URL")
        .expect("TRADELAB_TEST_POSTGRES_URL names the test server");
    let schema = format!("{prefix}_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("postgres");
    let create = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut admin)
        .await
        .expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    let in_schema = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let pool = sqlx::PgPool::connect(&in_schema).await.expect("pool");
    test(Pool::Postgres(pool.clone())).await;
    pool.close().await;
    let drop = format!("DROP SCHEMA {schema} CASCADE");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&mut admin)
        .await
        .expect("drop schema");
}
