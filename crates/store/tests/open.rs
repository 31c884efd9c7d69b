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

#[test]
fn many_concurrent_opens_of_one_data_dir_never_fail() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_path_buf();
    // 12 threads each open the same directory 20 times, as parallel commands do.
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let data_dir = data_dir.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let mut failures = Vec::new();
                for _ in 0..20 {
                    match rt.block_on(Store::open(&StoreConfig::sqlite(&data_dir))) {
                        Ok(store) => rt.block_on(store.close()),
                        Err(e) => failures.push(e.to_string()),
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed: {failures:?}",
        failures.len()
    );
    let left: Vec<_> = std::fs::read_dir(&data_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("probe"))
        .collect();
    assert!(left.is_empty(), "probes left behind: {left:?}");
}

#[tokio::test]
async fn a_database_url_of_an_unknown_scheme_is_refused_naming_the_accepted_ones() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "postgress://postgres@127.0.0.1:5432/test",
        "mysql://root:secret@127.0.0.1/db",
        "127.0.0.1:5432/test",
    ] {
        let err = Store::open(&StoreConfig::postgres(dir.path(), url))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(
                err,
                StoreError::InvalidData {
                    what: "database url",
                    ..
                }
            ),
            "{url}: {text}"
        );
        assert!(
            text.contains("postgres://") && text.contains("postgresql://"),
            "{url}: {text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }
    let text = Store::open(&StoreConfig::postgres(dir.path(), "mysql://h/db"))
        .await
        .unwrap_err()
        .to_string();
    assert!(text.contains("a mysql: URL"), "{text}");
    let err = Store::open(&StoreConfig::postgres(dir.path(), "sqlite:x.db"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--data-dir"), "{err}");
    assert!(
        !dir.path().join(tradelab_store::SQLITE_FILE).exists(),
        "nothing was opened"
    );
}

#[tokio::test]
async fn a_corrupted_database_header_is_reported_as_damaged_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreConfig::sqlite(dir.path())).await.unwrap();
    common::owner(&store, "a@example.com").await;
    store.close().await;
    let file = dir.path().join(tradelab_store::SQLITE_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[..16].copy_from_slice(b"garbage garbage!");
    std::fs::write(&file, bytes).unwrap();
    let err = Store::open(&StoreConfig::sqlite(dir.path()))
        .await
        .unwrap_err();
    let text = err.to_string();
    match &err {
        StoreError::Corrupt { path, .. } => assert!(path.ends_with("tradelab.db"), "{text}"),
        other => panic!("expected Corrupt, got {other}"),
    }
    assert!(!text.contains("not writable"), "{text}");
    assert!(
        text.contains("damaged or is not a SQLite database"),
        "{text}"
    );
}
