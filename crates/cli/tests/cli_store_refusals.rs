//! The record-keeping commands refuse bad set-ups with the store's own words: parallel
//! commands on one data directory, database URLs of other databases, a damaged
//! database file, a model without symbols.

mod common;

use common::{command, fail, ok, tl, write_file};

#[test]
fn parallel_commands_on_one_data_dir_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(tl(d, &["data", "list"]));
    for _ in 0..5 {
        let children: Vec<_> = (0..8)
            .map(|_| {
                command()
                    .arg("--data-dir")
                    .arg(d)
                    .args(["data", "list"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            ok(out);
        }
    }
}

#[test]
fn a_database_url_of_another_database_is_refused_naming_the_accepted_schemes() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "postgress://postgres@127.0.0.1:5432/test",
        "mysql://u:pw@h/db",
    ] {
        let err = fail(tl(dir.path(), &["--database-url", url, "models", "list"]));
        assert!(
            err.contains("postgres://") && err.contains("postgresql://"),
            "{url}: {err}"
        );
        assert!(!err.contains("unavailable"), "{err}");
        assert!(!err.contains(":pw@"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // The same from the environment.
    let out = command()
        .arg("--data-dir")
        .arg(dir.path())
        .env("DATABASE_URL", "mysql://h/db")
        .args(["models", "list"])
        .output()
        .unwrap();
    let err = fail(out);
    assert!(err.contains("a mysql: URL"), "{err}");
}

#[test]
fn a_damaged_database_file_is_named_as_damaged_not_as_not_writable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A database file whose header (and everything after it) is garbage.
    let file = d.join("tradelab.db");
    std::fs::write(&file, "not a database!\n".repeat(1024)).unwrap();
    let err = fail(tl(d, &["models", "list"]));
    assert!(
        err.contains(&file.display().to_string()) && err.contains("damaged"),
        "{err}"
    );
    assert!(!err.contains("not writable"), "{err}");
}

#[test]
fn models_create_without_symbols_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = fail(tl(d, &["models", "create", "m", "--strategy", "sma_cross"]));
    assert!(
        err.contains("model m names no symbols") && err.contains("--symbols"),
        "{err}"
    );
    assert!(ok(tl(d, &["models", "list"])).contains("no models yet"));
    ok(tl(
        d,
        &[
            "models",
            "create",
            "m",
            "--strategy",
            "sma_cross",
            "--symbols",
            "SPY",
        ],
    ));
}

#[test]
fn data_import_replace_rewrites_a_damaged_chunk_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = write_file(
        d,
        "rw.csv",
        "date,open,high,low,close,volume\n2019-01-02,10,11,9,10,100\n2019-01-03,10,12,9,11,100\n",
    );
    let import = ["data", "import", file.as_str(), "--symbol", "RW"];
    ok(tl(d, &import));
    // Damage the stored chunk behind tradelab's back.
    let db = d.join("tradelab.db").display().to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{db}"))
                .await
                .unwrap();
            sqlx::raw_sql("UPDATE bar_chunks SET data = X'0900'")
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        });
    let err = fail(tl(d, &import));
    assert!(
        err.contains("RW 1d chunk") && err.contains("--replace"),
        "{err}"
    );
    let mut replace = import.to_vec();
    replace.push("--replace");
    let out = tl(d, &replace);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let stdout = ok(out);
    assert!(stdout.contains("2 replaced"), "{stdout}");
    assert!(
        stderr.contains("1 stored chunk(s) of RW could not be read (damaged)"),
        "{stderr}"
    );
    assert!(ok(tl(d, &["data", "list"])).contains("RW"));
}
