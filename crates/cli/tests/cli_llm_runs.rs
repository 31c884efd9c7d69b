//! Stored LLM runs from the command line, against a scripted chat server: `runs start`
//! records the model's decisions with their tokens and cost, `runs show` totals them,
//! `runs events --kind decision` lists them, `runs replay` answers from the recorded
//! exchanges with the server gone, and `--repeat` reports the spread of N runs.

mod common;

use common::{command, ok, sample, stdout};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;
use tradelab_agent::mock::{MockLlm, MockReply};

fn tl(dir: &Path, args: &[&str]) -> Output {
    command()
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run tradelab")
}

/// A data dir with the sample stocks and an LLM model `agent` on AAPL pointing at
/// `mock`, in `mode`.
fn setup(dir: &Path, mock: &MockLlm, mode: &str) {
    ok(tl(
        dir,
        &["data", "import", &sample("stocks_daily_2000-2013.csv")],
    ));
    ok(tl(
        dir,
        &[
            "models",
            "create",
            "agent",
            "--strategy",
            "llm",
            "--symbols",
            "AAPL",
            "--llm-base-url",
            mock.url(),
            "--llm-model",
            "gpt-4o-mini",
            "--llm-api-key-env",
            "TRADELAB_CLI_RUNS_TEST_NO_KEY",
            "--llm-timeout",
            "5",
            "--llm-retries",
            "0",
            "--llm-style",
            "loop",
            "--llm-mode",
            mode,
        ],
    ));
}

const PERIOD: [&str; 4] = ["--from", "2013-01-02", "--to", "2013-01-08"];

fn start(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["runs", "start", "agent"];
    args.extend_from_slice(&PERIOD);
    args.extend_from_slice(extra);
    tl(dir, &args)
}

#[test]
fn a_stored_llm_run_shows_its_costs_lists_its_decisions_and_replays_offline() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockLlm::start();
    mock.push(
        MockReply::tool_calls(&[("buy", json!({"symbol": "AAPL", "qty": 10}))])
            .usage(2_000, 100, 0),
    );
    mock.fallback(
        MockReply::tool_call("finish", json!({"summary": "holding"})).usage(1_000, 20, 0),
    );
    setup(dir.path(), &mock, "record");
    let first: Value = serde_json::from_str(&ok(start(dir.path(), &["--output", "json"]))).unwrap();
    assert_eq!(first["fills"], 1);
    assert_eq!(first["model_usage"]["decisions"], 5, "{first}");

    let shown = ok(tl(dir.path(), &["runs", "show", "agent#1"]));
    assert!(shown.contains("Model tokens"), "{shown}");
    assert!(shown.contains("over 5 decisions"), "{shown}");
    assert!(shown.contains("USD"), "{shown}");
    assert!(shown.contains("llm: gpt-4o-mini at"), "{shown}");
    assert!(shown.contains("TRADELAB_CLI_RUNS_TEST_NO_KEY"), "{shown}");
    let shown: Value = serde_json::from_str(&ok(tl(
        dir.path(),
        &["runs", "show", "agent#1", "--output", "json"],
    )))
    .unwrap();
    assert_eq!(shown["llm"]["settings"]["mode"], "record", "{shown}");

    let events = ok(tl(
        dir.path(),
        &[
            "runs", "events", "agent#1", "--kind", "decision", "--output", "json",
        ],
    ));
    let events: Value = serde_json::from_str(&events).unwrap();
    let items = events["items"].as_array().expect("items");
    let decided = items.iter().filter(|i| i["kind"] == "decided").count();
    assert_eq!(decided, 5, "one decision per asked day: {events}");
    assert!(
        items.iter().any(|i| i["kind"] == "decision"),
        "and the order the model placed: {events}"
    );
    assert!(
        items[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("3000 prompt + 120 completion tokens")),
        "{events}"
    );

    mock.shutdown();
    let replay = ok(tl(
        dir.path(),
        &[
            "runs",
            "replay",
            "agent#1",
            "--template",
            "day_trader",
            "--output",
            "json",
        ],
    ));
    let replay: Value = serde_json::from_str(replay.split_once('\n').unwrap().1).unwrap();
    // The parent's answers, day by day, under the day trader's rules: its stop-loss
    // closes the model's position.
    assert_eq!(replay["run_status"], "completed", "{replay}");
    assert_eq!(replay["model_usage"], first["model_usage"]);
    assert_eq!(replay["auto_exits"]["stop_loss"], 1, "{replay}");
}

#[test]
fn runs_show_states_the_days_before_the_cutoff_as_the_backtest_of_the_period_does() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockLlm::start();
    mock.fallback(MockReply::tool_call(
        "finish",
        json!({"summary": "holding"}),
    ));
    setup(dir.path(), &mock, "live");
    // The period's bars: 2013-01-02, 03, 04, 07 and 08; three before the cutoff.
    ok(tl(
        dir.path(),
        &[
            "models",
            "edit",
            "agent",
            "--llm-knowledge-cutoff",
            "2013-01-05",
        ],
    ));
    ok(start(dir.path(), &[]));
    let note = "3 of 5 days before the model's cutoff (2013-01-05): results may reflect \
                memory, not skill";
    let shown = ok(tl(dir.path(), &["runs", "show", "agent#1"]));
    let line = shown.lines().find(|l| l.starts_with("Before cutoff"));
    assert!(line.is_some_and(|l| l.ends_with(note)), "{shown}");
    let shown: Value = serde_json::from_str(&ok(tl(
        dir.path(),
        &["runs", "show", "agent#1", "--output", "json"],
    )))
    .unwrap();
    let llm = &shown["llm"];
    assert_eq!(llm["knowledge_cutoff"], "2013-01-05", "{shown}");
    assert_eq!(
        (&llm["days"], &llm["days_before_cutoff"]),
        (&json!(5), &json!(3))
    );
    assert_eq!(llm["cutoff_note"], note);

    // The backtest of the same bars says the same.
    let data = sample("stocks_daily_2000-2013.csv");
    let mut args = vec!["backtest", "--data", &data, "--symbol", "AAPL"];
    args.extend_from_slice(&PERIOD);
    args.extend_from_slice(&[
        "--strategy",
        "llm",
        "--llm-base-url",
        mock.url(),
        "--llm-model",
        "gpt-4o-mini",
        "--llm-api-key-env",
        "TRADELAB_CLI_RUNS_TEST_NO_KEY",
        "--llm-retries",
        "0",
        "--llm-knowledge-cutoff",
        "2013-01-05",
        "--output",
        "json",
    ]);
    let report: Value = serde_json::from_str(&ok(command().args(&args).output().unwrap())).unwrap();
    assert_eq!(report["llm"]["cutoff_note"], note);

    // Another strategy's run has no such line.
    ok(tl(
        dir.path(),
        &[
            "models",
            "create",
            "sma",
            "--strategy",
            "sma_cross",
            "--symbols",
            "AAPL",
        ],
    ));
    ok(tl(
        dir.path(),
        &[
            "runs",
            "start",
            "sma",
            "--from",
            "2013-01-02",
            "--to",
            "2013-01-08",
        ],
    ));
    let shown = ok(tl(dir.path(), &["runs", "show", "sma#1"]));
    assert!(!shown.contains("Before cutoff"), "{shown}");
}

#[test]
fn repeated_runs_report_the_spread_and_how_often_the_decisions_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockLlm::start();
    // Only the first run's first call buys: the runs disagree on one day of five.
    mock.push(
        MockReply::tool_calls(&[("buy", json!({"symbol": "AAPL", "qty": 10}))]).usage(100, 10, 0),
    );
    mock.fallback(MockReply::tool_call("finish", json!({"summary": "holding"})).usage(100, 10, 0));
    setup(dir.path(), &mock, "live");
    let table = ok(start(dir.path(), &["--repeat", "3"]));
    assert!(table.contains("run 3 of 3: agent#3"), "{table}");
    assert!(table.contains("Decisions agree"), "{table}");
    assert!(table.contains("80.0 % of 5 asked steps"), "{table}");
    let json: Value = serde_json::from_str(&stdout(&start(
        dir.path(),
        &["--repeat", "2", "--output", "json"],
    )))
    .unwrap();
    assert_eq!(json["runs"], json!(["agent#4", "agent#5"]));
    assert_eq!(json["decision_agreement_pct"], 100.0);
    assert_eq!(json["steps_compared"], 5);
    assert!(json["metrics"]["total_return_pct"]["median"].is_number());

    // These runs kept no exchanges: a replay would pay for every answer again, so it
    // is refused unless asked for.
    let replay = |extra: &[&str]| {
        let mut args = vec!["runs", "replay", "agent#1", "--template", "day_trader"];
        args.extend_from_slice(extra);
        tl(dir.path(), &args)
    };
    let err = common::fail(replay(&[]));
    assert!(err.contains("kept no model exchanges"), "{err}");
    assert!(err.contains("--ask-again"), "{err}");
    let served = mock.served();
    ok(replay(&["--ask-again"]));
    assert!(mock.served() > served, "the model was asked again");
}
