//! `tradelab data providers` and the error paths of `tradelab data fetch`: what is
//! configured, and errors that name the provider and what to set. (Fetches against
//! the adapters' mock servers are in the end-to-end tests.)

mod common;

use common::{command, fail, json, ok, stdout, write_file};
use std::path::Path;
use std::process::Output;

/// The key variables of the built-in providers: removed so tests see them unset.
const KEY_VARS: [&str; 3] = ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "POLYGON_API_KEY"];

/// Runs tradelab in `dir` with no provider keys and no settings file from the
/// environment.
fn run(dir: &Path, args: &[&str]) -> Output {
    let mut c = command();
    for var in KEY_VARS {
        c.env_remove(var);
    }
    c.env_remove("TRADELAB_CONFIG")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run tradelab")
}

/// Settings whose yahoo answers nothing (a closed local port) at once.
const OFFLINE_YAHOO: &str = "[providers.yahoo]\nkind = \"yahoo\"\n\
     base_url = \"http://127.0.0.1:9\"\n[provider_http]\nmax_retries = 0\ntimeout_secs = 2\n";

#[test]
fn data_providers_lists_each_provider_with_its_chains_keys_and_breaker() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(run(dir.path(), &["data", "providers"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("provider"), "{out}");
    let row = |name: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}: {out}"))
    };
    let alpaca = row("alpaca");
    assert!(alpaca.contains("stock"), "{alpaca}");
    assert!(alpaca.contains("closed"), "{alpaca}");
    assert!(
        alpaca.contains("APCA_API_KEY_ID unset, APCA_API_SECRET_KEY unset"),
        "{alpaca}"
    );
    assert!(row("polygon").contains("POLYGON_API_KEY unset"), "{out}");
    assert!(row("yahoo").contains("none needed"), "{out}");
    assert!(row("binance").contains("crypto"), "{out}");
    assert!(!out.contains("Some("), "no Debug text: {out}");
}

#[test]
fn data_providers_json_says_which_key_variables_are_set_never_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = command();
    c.env("POLYGON_API_KEY", "pk-secret-value-123")
        .env_remove("APCA_API_KEY_ID")
        .env_remove("APCA_API_SECRET_KEY")
        .env_remove("TRADELAB_CONFIG")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["data", "providers", "--output", "json"]);
    let out = c.output().unwrap();
    assert!(!stdout(&out).contains("pk-secret-value-123"));
    let v = json(out);
    let providers = v["providers"].as_array().unwrap();
    let polygon = providers.iter().find(|p| p["name"] == "polygon").unwrap();
    assert_eq!(
        polygon["keys"],
        serde_json::json!([{"name": "POLYGON_API_KEY", "set": true, "required": true}])
    );
    assert_eq!(polygon["configured"], true);
    assert_eq!(polygon["breaker"], "closed");
    let alpaca = providers.iter().find(|p| p["name"] == "alpaca").unwrap();
    assert_eq!(alpaca["configured"], false);
    assert_eq!(alpaca["chains"], serde_json::json!(["stock"]));
    assert_eq!(
        v["chains"],
        serde_json::json!([
            {"class": "stock", "providers": ["alpaca", "polygon", "yahoo"]},
            {"class": "crypto", "providers": ["binance"]},
        ])
    );
}

#[test]
fn data_providers_reads_providers_and_chains_from_the_settings_file() {
    let dir = tempfile::tempdir().unwrap();
    let settings = write_file(
        dir.path(),
        "tradelab.toml",
        "[providers.backup]\nkind = \"polygon\"\nkey_env = \"MY_BACKUP_POLYGON_KEY\"\n\
         [chains]\nstock = [\"yahoo\", \"backup\"]\n",
    );
    let v = json(run(
        dir.path(),
        &[
            "data",
            "providers",
            "--config",
            &settings,
            "--output",
            "json",
        ],
    ));
    assert_eq!(
        v["chains"][0]["providers"],
        serde_json::json!(["yahoo", "backup"])
    );
    let backup = v["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "backup")
        .unwrap()
        .clone();
    assert_eq!(backup["kind"], "polygon");
    assert_eq!(backup["keys"][0]["name"], "MY_BACKUP_POLYGON_KEY");
}

#[test]
fn data_providers_refuses_an_unknown_provider_in_a_chain_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let settings = write_file(
        dir.path(),
        "tradelab.toml",
        "[chains]\nstock = [\"yahoo\", \"iex\"]\n",
    );
    let err = fail(run(
        dir.path(),
        &["data", "providers", "--config", &settings],
    ));
    assert!(err.contains("chains.stock[1]"), "{err}");
    assert!(err.contains("unknown provider \"iex\""), "{err}");
}

#[test]
fn data_fetch_from_a_provider_without_its_key_names_the_variable_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let err = fail(run(
        dir.path(),
        &[
            "data",
            "fetch",
            "--provider",
            "polygon",
            "--symbols",
            "AAPL",
            "--timeframe",
            "1d",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-31",
        ],
    ));
    assert!(
        err.contains("polygon: not configured: set the environment variable POLYGON_API_KEY"),
        "{err}"
    );
}

#[test]
fn data_fetch_refuses_an_unknown_provider_listing_providers_and_chains() {
    let dir = tempfile::tempdir().unwrap();
    let err = fail(run(
        dir.path(),
        &[
            "data",
            "fetch",
            "--provider",
            "iex",
            "--symbols",
            "AAPL",
            "--timeframe",
            "1d",
            "--from",
            "2024-01-01",
        ],
    ));
    assert!(err.contains("--provider \"iex\""), "{err}");
    assert!(err.contains("alpaca, binance, polygon, yahoo"), "{err}");
    assert!(err.contains("stock, crypto"), "{err}");
}

#[test]
fn data_fetch_refuses_bad_symbols_timeframes_and_periods_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let base = ["data", "fetch", "--provider", "yahoo"];
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "--symbols",
                "AAPL",
                "--timeframe",
                "7x",
                "--from",
                "2024-01-01",
            ],
            "--timeframe \"7x\"",
        ),
        (
            &[
                "--symbols",
                "AA PL",
                "--timeframe",
                "1d",
                "--from",
                "2024-01-01",
            ],
            "--symbols",
        ),
        (
            &[
                "--symbols",
                "AAPL",
                "--timeframe",
                "1d",
                "--from",
                "2024-02-01",
                "--to",
                "2024-01-01",
            ],
            "is not before --to",
        ),
    ];
    for (args, expected) in cases {
        let mut all: Vec<&str> = base.to_vec();
        all.extend_from_slice(args);
        let err = fail(run(dir.path(), &all));
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

#[test]
fn data_fetch_through_the_stock_chain_lists_every_providers_failure() {
    let dir = tempfile::tempdir().unwrap();
    let settings = write_file(dir.path(), "tradelab.toml", OFFLINE_YAHOO);
    let out = run(
        dir.path(),
        &[
            "data",
            "fetch",
            "--config",
            &settings,
            "--symbols",
            "AAPL",
            "--timeframe",
            "1d",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-31",
            "--output",
            "json",
        ],
    );
    let table = stdout(&out);
    let err = fail(out);
    assert!(err.contains("AAPL 1d bars"), "{err}");
    assert!(err.contains("alpaca: not configured"), "{err}");
    assert!(err.contains("APCA_API_KEY_ID"), "{err}");
    assert!(err.contains("polygon: not configured"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&table).expect("the JSON summary");
    assert_eq!(v["items"][0]["symbol"], "AAPL");
    assert_eq!(v["items"][0]["provider"], "stock");
    assert_eq!(v["items"][0]["inserted"], 0);
    assert!(v["items"][0]["error"].as_str().unwrap().contains("alpaca"));
}

#[test]
fn config_show_names_the_provider_key_variables_and_whether_each_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = command();
    c.env("POLYGON_API_KEY", "pk-secret-value-456")
        .env_remove("APCA_API_KEY_ID")
        .env_remove("APCA_API_SECRET_KEY")
        .env_remove("TRADELAB_CONFIG")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["config", "show"]);
    let shown = ok(c.output().unwrap());
    assert!(!shown.contains("pk-secret-value-456"), "{shown}");
    assert!(shown.contains("[provider_keys]"), "{shown}");
    assert!(shown.contains("POLYGON_API_KEY = \"set\""), "{shown}");
    assert!(shown.contains("APCA_API_KEY_ID = \"unset\""), "{shown}");
    assert!(shown.contains("[providers.alpaca]"), "{shown}");
    assert!(shown.contains("[chains]"), "{shown}");
}
