//! The LLM agent from the command line: a backtest against a scripted chat server
//! (`MockLlm` on 127.0.0.1) recorded, then replayed with the server gone; the totals
//! of the report; the flags refused with other strategies; a model's LLM settings
//! stored and shown, never the key.

mod common;

use common::{PgDatabase, command, fail, ok, sample, stderr, stdout, tl_db};
use serde_json::{Value, json};
use std::process::Output;
use tradelab_agent::mock::{MockLlm, MockReply};

/// The environment variable the tests name with `--llm-api-key-env`, and its value.
const KEY_VAR: &str = "TRADELAB_CLI_TEST_LLM_KEY";
const KEY: &str = "sk-test-dummy-key-4711";

/// Runs tradelab with the dummy key in the environment.
fn tradelab_with_key(args: &[&str]) -> Output {
    command()
        .env(KEY_VAR, KEY)
        .args(args)
        .output()
        .expect("run tradelab")
}

/// A daily backtest of AAPL over 7 trading days of January 2013 (2, 3, 4, 7, 8, 9,
/// 10), with the agent's flags and `extra`.
fn backtest(base_url: &str, extra: &[&str]) -> Output {
    backtest_of("gpt-4o-mini", "2013-01-10", base_url, extra)
}

/// A daily backtest of AAPL with `model` from 2013-01-02 to `to`.
fn backtest_of(model: &str, to: &str, base_url: &str, extra: &[&str]) -> Output {
    let data = sample("stocks_daily_2000-2013.csv");
    let mut args = vec![
        "backtest",
        "--data",
        &data,
        "--symbol",
        "AAPL",
        "--from",
        "2013-01-02",
        "--to",
        to,
        "--strategy",
        "llm",
        "--llm-base-url",
        base_url,
        "--llm-model",
        model,
        "--llm-api-key-env",
        KEY_VAR,
        "--llm-timeout",
        "5",
        "--llm-retries",
        "0",
    ];
    args.extend_from_slice(extra);
    tradelab_with_key(&args)
}

fn no_key_in(out: &Output) {
    assert!(
        !stdout(out).contains(KEY),
        "the key is printed: {}",
        stdout(out)
    );
    assert!(
        !stderr(out).contains(KEY),
        "the key is printed: {}",
        stderr(out)
    );
}

#[test]
fn a_recorded_backtest_replays_with_the_server_gone_giving_identical_output() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("exchanges.jsonl");
    let rec = rec.to_str().unwrap();
    let mock = MockLlm::start();
    mock.push(MockReply::tool_call(
        "buy",
        json!({"symbol": "AAPL", "qty": 3}),
    ));
    mock.push(MockReply::tool_call(
        "finish",
        json!({"summary": "bought 3"}),
    ));
    mock.fallback(MockReply::tool_call(
        "finish",
        json!({"summary": "holding"}),
    ));
    let url = mock.url().to_string();
    let recorded = backtest(
        &url,
        &[
            "--llm-mode",
            "record",
            "--llm-recordings",
            rec,
            "--output",
            "json",
        ],
    );
    no_key_in(&recorded);
    let recorded_text = ok(&recorded);
    assert!(
        mock.authorizations()
            .iter()
            .all(|a| *a == format!("Bearer {KEY}")),
        "the key is sent from the variable --llm-api-key-env names"
    );
    assert_eq!(
        mock.served(),
        8,
        "2 calls on the first day, 1 on each of 6 more"
    );
    mock.shutdown();
    let report: Value = serde_json::from_str(&recorded_text).unwrap();
    assert_eq!(report["fills"], 1, "{report}");
    let llm = &report["llm"];
    assert_eq!(llm["model"], "gpt-4o-mini");
    assert_eq!(llm["model_calls"], 8);
    assert_eq!(llm["decisions"], 7);
    assert_eq!(llm["prompt_tokens"], 800);
    assert_eq!(llm["completion_tokens"], 160);
    // gpt-4o-mini: 800 × 0.15 + 160 × 0.60 US dollars per million tokens.
    let cost = llm["cost_usd"].as_f64().unwrap();
    assert!((cost - 0.000216).abs() < 1e-12, "{cost}");
    assert_eq!(
        llm["cutoff_note"],
        "7 of 7 days before the model's cutoff (2023-10-01): results may reflect memory, \
         not skill"
    );
    let lines = std::fs::read_to_string(rec).unwrap().lines().count();
    assert_eq!(lines, 8, "one recorded exchange per model call");

    let replayed = backtest(
        &url,
        &[
            "--llm-mode",
            "replay",
            "--llm-recordings",
            rec,
            "--output",
            "json",
        ],
    );
    assert_eq!(ok(&replayed), recorded_text, "replay gives the same report");

    let table = ok(backtest(
        &url,
        &["--llm-mode", "replay", "--llm-recordings", rec],
    ));
    for expected in [
        "llm(gpt-4o-mini)",
        "LLM calls / decisions      8 / 7",
        "LLM tokens                 800 prompt, 160 completion",
        "LLM cost                   0.000216 USD",
        "Knowledge cutoff           7 of 7 days before the model's cutoff (2023-10-01): \
         results may reflect memory, not skill",
    ] {
        assert!(table.contains(expected), "{expected:?} in\n{table}");
    }
}

#[test]
fn a_replay_asked_something_never_recorded_fails_naming_the_step_and_the_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("rec.jsonl");
    let rec = rec.to_str().unwrap();
    let mock = MockLlm::start();
    mock.fallback(MockReply::decision("hold", 0.0, "waiting", 0.5));
    let url = mock.url().to_string();
    // Records 3 days only.
    ok(backtest_of(
        "gpt-4o-mini",
        "2013-01-04",
        &url,
        &[
            "--llm-style",
            "decision",
            "--llm-mode",
            "record",
            "--llm-recordings",
            rec,
        ],
    ));
    drop(mock);
    let out = backtest(
        &url,
        &[
            "--llm-style",
            "decision",
            "--llm-mode",
            "replay",
            "--llm-recordings",
            rec,
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = fail(&out);
    assert!(err.contains("the run failed at step 4"), "{err}");
    assert!(
        err.contains("replay: no recorded answer for the model call at 2013-01-07 for AAPL"),
        "{err}"
    );
}

#[test]
fn an_unpriced_model_reports_its_cost_as_unknown_and_the_cutoff_as_unknown() {
    let mock = MockLlm::start();
    mock.fallback(MockReply::tool_call("finish", json!({"summary": "hold"})));
    let table = ok(backtest_of("my-llama", "2013-01-03", mock.url(), &[]));
    assert!(
        table.contains("LLM cost                   unknown (no price for model my-llama)"),
        "{table}"
    );
    assert!(
        table.contains("Knowledge cutoff           cutoff unknown"),
        "{table}"
    );
}

#[test]
fn an_unpriced_model_that_used_no_tokens_costs_nothing_rather_than_unknown() {
    let mock = MockLlm::start();
    mock.fallback(MockReply::tool_call("finish", json!({"summary": "hold"})).usage(0, 0, 0));
    let table = ok(backtest_of("my-llama", "2013-01-03", mock.url(), &[]));
    assert!(
        table.contains("LLM calls / decisions      2 / 2"),
        "{table}"
    );
    assert!(
        table.contains("LLM cost                   0.000000 USD"),
        "{table}"
    );
    let json = ok(backtest_of(
        "my-llama",
        "2013-01-03",
        mock.url(),
        &["--output", "json"],
    ));
    let report: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["llm"]["cost_usd"], 0.0, "{report}");
    assert_eq!(report["model_usage"]["cost_usd"], 0.0, "{report}");
    assert_eq!(report["model_usage"]["model_calls"], 2, "{report}");
}

#[test]
fn llm_flags_with_another_strategy_are_refused_naming_the_flag() {
    let data = sample("stocks_daily_2000-2013.csv");
    for (flag, value) in [("--llm-model", "gpt-4o"), ("--max-cost", "1")] {
        let err = fail(tradelab_with_key(&[
            "backtest",
            "--data",
            &data,
            "--symbol",
            "AAPL",
            "--strategy",
            "sma_cross",
            flag,
            value,
        ]));
        assert!(
            err.contains(&format!("{flag} sets the LLM agent")) && err.contains("sma_cross"),
            "{err}"
        );
    }
}

fn model_settings_are_stored_and_shown_without_the_key(db: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut c = command();
        c.env(KEY_VAR, KEY).arg("--data-dir").arg(dir.path());
        if let Some(url) = db {
            c.arg("--database-url").arg(url);
        }
        let out = c.args(args).output().expect("run tradelab");
        no_key_in(&out);
        out
    };
    ok(run(&[
        "models",
        "create",
        "agent",
        "--strategy",
        "llm",
        "--symbols",
        "AAPL",
        "--llm-model",
        "m",
        "--llm-base-url",
        "http://localhost:11434/v1",
        "--llm-api-key-env",
        KEY_VAR,
        "--llm-param",
        "temperature=0.2",
        "--max-tokens",
        "50000",
    ]));
    let shown = ok(run(&["models", "show", "agent"]));
    for expected in [
        "llm: m at http://localhost:11434/v1",
        &format!("from environment variable {KEY_VAR} (set here)"),
        "temperature = 0.2",
        "max 50000 tokens",
        "Knowledge cutoff  unknown",
    ] {
        assert!(shown.contains(expected), "{expected:?} in\n{shown}");
    }
    let err = fail(run(&["models", "edit", "agent", "--llm-style", "sideways"]));
    assert!(err.contains("--llm-style"), "{err}");
    ok(run(&["models", "edit", "agent", "--llm-style", "loop"]));
    let json: Value =
        serde_json::from_str(&ok(run(&["models", "show", "agent", "--output", "json"]))).unwrap();
    let settings = &json["llm"]["settings"];
    assert_eq!(settings["model"], "m");
    assert_eq!(settings["style"], "loop");
    assert_eq!(settings["param.temperature"], "0.2");
    assert_eq!(json["llm"]["api_key_set"], true);
    let err = fail(run(&[
        "models",
        "edit",
        "agent",
        "--strategy",
        "sma_cross",
        "--llm-every",
        "2",
    ]));
    assert!(err.contains("--llm-every sets the LLM agent"), "{err}");
}

#[test]
fn model_llm_settings_are_stored_and_shown_without_the_key_on_sqlite() {
    model_settings_are_stored_and_shown_without_the_key(None);
}

#[test]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
fn model_llm_settings_are_stored_and_shown_without_the_key_on_postgres() {
    let db = PgDatabase::create("tl_cli_llm_models");
    model_settings_are_stored_and_shown_without_the_key(Some(&db.url));
}

#[test]
fn the_strategy_listing_shows_the_agents_settings() {
    let text = ok(tl_db(
        tempfile::tempdir().unwrap().path(),
        None,
        &["strategies"],
    ));
    assert!(text.contains("llm "), "{text}");
    assert!(text.contains("api_key_env"), "{text}");
    assert!(text.contains("--llm-* flags"), "{text}");
}

#[test]
fn an_intraday_backtest_asks_one_structured_decision_per_asked_bar() {
    let dir = tempfile::tempdir().unwrap();
    let bars = dir.path().join("es_1m.csv");
    let bars = bars.to_str().unwrap();
    ok(command()
        .args([
            "data",
            "aggregate",
            "--ticks",
            &sample("es_trades_2013-09-01.csv"),
            "--timeframe",
            "1m",
            "--out",
            bars,
        ])
        .output()
        .expect("run tradelab"));
    let mock = MockLlm::start();
    mock.push(MockReply::decision("buy", 1.0, "momentum", 0.7));
    mock.fallback(MockReply::decision("hold", 0.0, "waiting", 0.5));
    let out = tradelab_with_key(&[
        "backtest",
        "--data",
        bars,
        "--symbol",
        "ES",
        "--strategy",
        "llm",
        "--llm-base-url",
        mock.url(),
        "--llm-api-key-env",
        KEY_VAR,
        "--llm-every",
        "30",
        "--output",
        "json",
    ]);
    let report: Value = serde_json::from_str(&ok(&out)).unwrap();
    let asked = mock.served() as u64;
    assert!(asked >= 2, "asked every 30 bars: {asked}");
    assert_eq!(report["llm"]["decisions"], asked, "{report}");
    assert_eq!(report["fills"], 1, "the one buy filled: {report}");
    // The decision style: one forced `decide` call per symbol and asked bar.
    let first = &mock.requests()[0];
    assert_eq!(
        first["tool_choice"]["function"]["name"], "decide",
        "{first}"
    );
}
