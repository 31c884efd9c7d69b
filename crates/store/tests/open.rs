//! Opening a store: migrations, schema version, and clear errors for bad locations.

mod common;

use common::{exec_raw, schema_url};
use tradelab_store::{Backend, SCHEMA_VERSION, Store, StoreConfig, StoreError};

store_test!(migrations_are_idempotent_across_reopens, |db| {
    assert_eq!(db.store.schema_version(), SCHEMA_VERSION);
    let user = common::owner(&db.store, "keep@example.com").await;
    db.store.close().await;
    for _ in 0..2 {
        let again = Store::open(&db.config()).await.expect("reopen");
        assert_eq!(again.schema_version(), SCHEMA_VERSION);
        assert_eq!(
            again.users().get(user.id).await.unwrap().email,
            "keep@example.com"
        );
        again.close().await;
    }
});

store_test!(refuses_a_newer_schema, |db| {
    db.store.close().await;
    exec_raw(
        db,
        "INSERT INTO schema_version (version, description, applied_at_ns) VALUES (99, 'from the future', 0)",
    )
    .await;
    let err = Store::open(&db.config()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, supported } if supported == SCHEMA_VERSION),
        "{err}"
    );
    assert!(
        err.to_string().contains("newer than this build supports"),
        "{err}"
    );
});

#[tokio::test]
async fn sqlite_store_is_one_wal_file_under_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("nested").join("tradelab-data");
    let store = Store::open(&StoreConfig::sqlite(&data_dir)).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(data_dir.join(tradelab_store::SQLITE_FILE).is_file());
    assert!(
        data_dir.join("tradelab.db-wal").exists(),
        "WAL mode leaves a -wal file"
    );
    store.close().await;
}

#[tokio::test]
async fn a_data_dir_under_a_regular_file_is_not_writable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let err = Store::open(&StoreConfig::sqlite(file.join("data")))
        .await
        .unwrap_err();
    match &err {
        StoreError::NotWritable { path, .. } => assert!(path.contains("plain-file"), "{err}"),
        other => panic!("expected NotWritable, got {other}"),
    }
}

#[tokio::test]
async fn an_unreachable_database_url_is_unavailable_and_names_the_url_without_password() {
    let mut config = StoreConfig::postgres(
        tempfile::tempdir().unwrap().path(),
        "postgres://bob:hunter2@127.0.0.1:1/tradelab",
    );
    config.connect_timeout = std::time::Duration::from_secs(2);
    let err = Store::open(&config).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{text}");
    assert!(
        text.contains("postgres://bob:***@127.0.0.1:1/tradelab"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains('\n'), "one line: {text}");
}

#[tokio::test]
async fn postgres_schema_url_sets_the_search_path() {
    assert_eq!(
        schema_url("postgres://u@h/db", "t_1"),
        "postgres://u@h/db?options=-c%20search_path%3Dt_1"
    );
    assert_eq!(
        schema_url("postgres://u@h/db?sslmode=disable", "t_1"),
        "postgres://u@h/db?sslmode=disable&options=-c%20search_path%3Dt_1"
    );
}
