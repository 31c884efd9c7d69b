//! End-to-end specifications of news in the store: `data import-news` reads CSV or
//! JSONL, stores every item or none, re-imports idempotently and reports what was new;
//! `data news` lists the account's own items newest first, a page at a time; a
//! malformed file is an error naming the line and the field.

mod common;

use common::{PgDatabase, fail, json, ok, sample, tl_as, tl_db, write_file};

/// Import, re-import and listing of the bundled sample on the database at `db` (the
/// embedded SQLite store when `None`).
fn import_and_list(db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cmd = |args: &[&str]| tl_db(d, db, args);
    let news = sample("news_sample_2013.csv");
    let first = ok(cmd(&["data", "import-news", &news]));
    assert!(
        first.contains("news_sample_2013.csv: 6 news items, 6 new, 0 unchanged (6 stored in all)"),
        "{first}"
    );
    let again = ok(cmd(&["data", "import-news", &news]));
    assert!(
        again.contains("6 news items, nothing new, 6 unchanged"),
        "{again}"
    );
    let report = json(cmd(&["data", "import-news", &news, "--output", "json"]));
    assert_eq!(report["inserted"], 0);
    assert_eq!(report["unchanged"], 6);
    assert_eq!(report["stored"], 6);

    let table = ok(cmd(&["data", "news"]));
    let header = table.lines().next().unwrap_or_default();
    assert!(
        header
            .split_whitespace()
            .eq(["id", "time", "symbols", "source", "headline"]),
        "{table}"
    );
    assert_eq!(table.lines().count(), 7, "{table}");
    let newest = table.lines().nth(1).unwrap_or_default();
    assert!(
        newest.contains("2013-02-27T14:30:00Z") && newest.contains("annual shareholder"),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.contains("Central bank") && l.split_whitespace().nth(2) == Some("-")),
        "general news shows no symbol: {table}"
    );

    // AAPL's two items, one a page, following the hint the table ends with.
    let page = ok(cmd(&["data", "news", "--symbol", "AAPL", "--limit", "1"]));
    assert!(page.contains("annual shareholder"), "{page}");
    let hint = page
        .lines()
        .find_map(|l| l.strip_prefix("more news: tradelab "))
        .unwrap_or_else(|| panic!("no next-page hint: {page}"));
    assert!(
        hint.starts_with("data news --symbol AAPL --limit 1 --after "),
        "{hint}"
    );
    let next: Vec<&str> = hint.split_whitespace().collect();
    let second = ok(cmd(&next));
    assert!(
        second.contains("Apple reports quarterly results"),
        "{second}"
    );
    assert!(!second.contains("more news"), "{second}");

    let doc = json(cmd(&["data", "news", "--limit", "2", "--output", "json"]));
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["symbols"], serde_json::json!(["GOOG", "IBM"]));
    assert_eq!(items[1]["time"], "2013-02-14T00:00:00Z");
    assert_eq!(doc["next_after"], items[1]["id"]);
    let after = doc["next_after"].to_string();
    let rest = json(cmd(&[
        "data", "news", "--after", &after, "--output", "json",
    ]));
    assert_eq!(rest["items"].as_array().unwrap().len(), 4);
    assert_eq!(rest["next_after"], serde_json::Value::Null);
}

#[test]
fn import_news_is_idempotent_and_lists_newest_first_on_sqlite() {
    import_and_list(None);
}

#[test]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
fn import_news_is_idempotent_and_lists_newest_first_on_postgres() {
    let db = PgDatabase::create("tl_cli_news");
    import_and_list(Some(&db.url));
}

#[test]
fn a_malformed_news_file_names_the_line_and_field_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cmd = |args: &[&str]| tl_db(d, None, args);
    let bad_time = write_file(
        d,
        "bad_time.csv",
        "timestamp,symbols,headline\n2013-03-01,AAPL,fine\nyesterday,AAPL,bad\n",
    );
    let err = fail(cmd(&["data", "import-news", &bad_time]));
    assert!(
        err.contains("bad_time.csv: news line 3: field timestamp \"yesterday\"")
            && err.contains("nothing was imported"),
        "{err}"
    );
    let no_time = write_file(
        d,
        "no_time.jsonl",
        "{\"timestamp\":\"2013-03-01\",\"headline\":\"a\"}\n{\"headline\":\"b\"}\n",
    );
    let err = fail(cmd(&["data", "import-news", &no_time]));
    assert!(
        err.contains("news line 2: field timestamp is missing"),
        "{err}"
    );
    let bad_symbol = write_file(
        d,
        "bad_symbol.jsonl",
        "{\"timestamp\":\"2013-03-01\",\"headline\":\"a\"}\n{\"timestamp\":\"2013-03-01\",\"symbols\":[\"NOT OK\"],\"headline\":\"b\"}\n",
    );
    let err = fail(cmd(&["data", "import-news", &bad_symbol]));
    assert!(err.contains("news line 2: field symbols"), "{err}");
    let array = write_file(d, "array.json", "[{\"timestamp\":\"2013-03-01\"}]");
    let err = fail(cmd(&["data", "import-news", &array]));
    assert!(err.contains("JSON array") && err.contains("JSONL"), "{err}");
    let err = fail(cmd(&[
        "data",
        "import-news",
        &d.join("missing.csv").display().to_string(),
    ]));
    assert!(err.contains("cannot read news file"), "{err}");
    let listed = json(cmd(&["data", "news", "--output", "json"]));
    assert_eq!(listed["items"], serde_json::json!([]));
    assert!(ok(cmd(&["data", "news"])).contains("no stored news"));
}

#[test]
fn a_file_of_another_name_is_read_as_jsonl_by_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = write_file(
        d,
        "feed.txt",
        "{\"timestamp\":1362150000,\"symbols\":\"AAPL,MSFT\",\"headline\":\"From a feed\",\"source\":\"Desk\"}\n",
    );
    let out = ok(tl_db(d, None, &["data", "import-news", &file]));
    assert!(
        out.contains("feed.txt: 1 news item, 1 new, 0 unchanged"),
        "{out}"
    );
    let doc = json(tl_db(
        d,
        None,
        &["data", "news", "--symbol", "MSFT", "--output", "json"],
    ));
    assert_eq!(doc["items"][0]["headline"], "From a feed");
    assert_eq!(doc["items"][0]["time"], "2013-03-01T15:00:00Z");
}

#[test]
fn news_is_private_to_the_account_that_imported_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let news = sample("news_sample_2013.csv");
    ok(tl_as(
        d,
        Some("alice@example.com"),
        &["data", "import-news", &news],
    ));
    let bobs = ok(tl_as(d, Some("bob@example.com"), &["data", "news"]));
    assert!(bobs.contains("no stored news"), "{bobs}");
    let err = fail(tl_as(
        d,
        Some("bob@example.com"),
        &["data", "news", "--after", "3"],
    ));
    assert!(
        err.contains("--after 3: no such news item of yours"),
        "{err}"
    );
    let bob_imports = ok(tl_as(
        d,
        Some("bob@example.com"),
        &["data", "import-news", &news],
    ));
    assert!(
        bob_imports.contains("6 new, 0 unchanged (6 stored in all)"),
        "{bob_imports}"
    );
}
