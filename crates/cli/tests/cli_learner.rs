//! The online learner through the command line: a backtest of the bundled sample data
//! reports its calibration, and `learn evaluate` finds an AR(1) edge out of sample and
//! claims none on pure noise.

mod common;

use common::{fails_cleanly, json, ok, sample, tl, tradelab};
use std::fmt::Write;
use std::path::Path;
use tradelab_learner::synth::ar1_series;

/// Writes `n` daily bars whose log returns follow an AR(1) with coefficient `phi`.
fn ar1_csv(dir: &Path, name: &str, n: usize, phi: f64, seed: u64) -> String {
    let series = ar1_series("AR", n, phi, seed).unwrap();
    let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
    for b in series.bars() {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{}",
            b.ts().date_string(),
            b.open(),
            b.high(),
            b.low(),
            b.close(),
            b.volume()
        );
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn backtest_of_the_online_learner_on_the_sample_data_reports_its_calibration() {
    let data = sample("stocks_daily_2000-2013.csv");
    let args = [
        "backtest",
        "--data",
        &data,
        "--symbol",
        "AAPL",
        "--strategy",
        "online_learner",
    ];
    let mut with_json = args.to_vec();
    with_json.extend(["--output", "json"]);
    let r = json(tradelab(&with_json));
    let learner = &r["learner"];
    assert!(learner["samples"].as_u64().unwrap() > 3_000, "{learner}");
    for key in ["accuracy", "brier", "log_loss", "ece", "base_brier"] {
        let v = learner[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {learner}"));
        assert!(v.is_finite() && v >= 0.0, "{key} {v}");
    }
    assert_eq!(learner["reliability"].as_array().unwrap().len(), 10);
    assert!(learner["over_time"].as_array().unwrap().len() > 10);
    let until = learner["over_time"][0]["until"].as_str().unwrap();
    assert!(until.starts_with("200") && until.len() == 10, "{until}");
    assert_eq!(learner["weights"].as_array().unwrap().len(), 16);
    assert!(
        r["strategy"]
            .as_str()
            .unwrap()
            .starts_with("online_learner(h=1")
    );
    let table = ok(tradelab(&args));
    for line in [
        "Online learner: calibration",
        "Brier score",
        "reliability   count  predicted  observed",
        "over time (until)",
    ] {
        assert!(table.contains(line), "{line}: {table}");
    }
}

#[test]
fn backtest_refuses_a_bad_learner_parameter_naming_it() {
    let data = sample("stocks_daily_2000-2013.csv");
    let err = fails_cleanly(&tradelab(&[
        "backtest",
        "--data",
        &data,
        "--symbol",
        "AAPL",
        "--strategy",
        "online_learner",
        "--param",
        "threshold=0.3",
    ]));
    assert!(
        err.contains("online_learner: threshold (0.3) must be above 0.5 and at most 1"),
        "{err}"
    );
}

#[test]
fn learn_evaluate_finds_the_edge_of_ar1_returns_with_coefficient_0_3() {
    let dir = tempfile::tempdir().unwrap();
    let data = ar1_csv(dir.path(), "ar.csv", 5_000, 0.3, 8);
    let e = json(tradelab(&[
        "learn", "evaluate", "--data", &data, "--symbol", "AR", "--folds", "5", "--output", "json",
    ]));
    let f = |k: &str| e[k].as_f64().unwrap_or_else(|| panic!("{k}: {e}"));
    assert!(f("accuracy") > 0.55, "accuracy {}", f("accuracy"));
    assert!(f("brier") < f("base_brier") - 0.005, "{e}");
    assert!(f("log_loss") < 2f64.ln());
    assert!(f("ece") < 0.05);
    let folds = e["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 5);
    assert!(folds[0]["from"].as_str().unwrap() < folds[0]["to"].as_str().unwrap());
    for fold in folds {
        for key in ["accuracy", "brier", "log_loss", "ece", "strategy_return"] {
            assert!(fold[key].is_f64(), "{key}: {fold}");
        }
    }
    let table = ok(tradelab(&[
        "learn", "evaluate", "--data", &data, "--symbol", "AR",
    ]));
    assert!(
        table.contains("the learner beats the base rate out of sample"),
        "{table}"
    );
}

#[test]
fn learn_evaluate_of_a_three_class_learner_prints_the_three_class_figures() {
    let dir = tempfile::tempdir().unwrap();
    let data = ar1_csv(dir.path(), "ar3.csv", 5_000, 0.3, 8);
    let args = [
        "learn",
        "evaluate",
        "--data",
        &data,
        "--symbol",
        "AR",
        "--param",
        "label=three_class",
    ];
    let e = json(tradelab(&[&args[..], &["--output", "json"]].concat()));
    let f = |k: &str| e[k].as_f64().unwrap_or_else(|| panic!("{k}: {e}"));
    assert_eq!(e["label"], "three_class", "{e}");
    assert!(f("accuracy") > f("base_accuracy") + 0.02, "{e}");
    assert!(f("brier") < f("base_brier"), "{e}");
    assert!(f("log_loss") < 3f64.ln(), "{e}");
    let shares = &e["classes"];
    let sum: f64 = ["down", "flat", "up"]
        .iter()
        .map(|k| shares[k].as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-9, "{e}");
    let table = ok(tradelab(&args));
    assert!(table.contains("three classes (up / flat / down"), "{table}");
    assert!(table.contains("majority class of training"), "{table}");
    assert!(
        table.contains("the learner beats the base rate out of sample"),
        "{table}"
    );
    assert!(f("direction_accuracy") > 0.55, "{e}");

    // Noise: the band can be told from a move a little, but no direction is called.
    let noise = ar1_csv(dir.path(), "noise3.csv", 5_000, 0.0, 8);
    let args = [
        "learn",
        "evaluate",
        "--data",
        &noise,
        "--symbol",
        "AR",
        "--param",
        "label=three_class",
    ];
    let table = ok(tradelab(&args));
    assert!(
        table.contains("direction: the more likely of up and down called"),
        "{table}"
    );
    assert!(
        !table.contains("the learner beats the base rate out of sample"),
        "{table}"
    );
}

#[test]
fn learn_evaluate_claims_no_edge_on_pure_noise() {
    let dir = tempfile::tempdir().unwrap();
    let data = ar1_csv(dir.path(), "noise.csv", 5_000, 0.0, 8);
    let e = json(tradelab(&[
        "learn", "evaluate", "--data", &data, "--symbol", "AR", "--output", "json",
    ]));
    let f = |k: &str| e[k].as_f64().unwrap();
    let n = e["samples"].as_f64().unwrap();
    assert!((f("accuracy") - 0.5).abs() < 3.0 * (0.25 / n).sqrt(), "{e}");
    assert!(f("brier") > f("base_brier") - 0.002, "{e}");
}

#[test]
fn learn_evaluate_refuses_too_few_bars_for_the_folds() {
    let dir = tempfile::tempdir().unwrap();
    let data = ar1_csv(dir.path(), "short.csv", 200, 0.3, 1);
    let err = fails_cleanly(&tradelab(&[
        "learn", "evaluate", "--data", &data, "--symbol", "AR", "--folds", "5",
    ]));
    assert!(err.contains("AR: "), "{err}");
    assert!(err.contains("too few for 5 folds"), "{err}");
}

#[test]
fn stored_run_of_an_online_learner_model_records_its_reasoning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = sample("stocks_daily_2000-2013.csv");
    ok(tl(d, &["data", "import", &data]));
    ok(tl(
        d,
        &[
            "models",
            "create",
            "learner",
            "--strategy",
            "online_learner",
            "--symbols",
            "AAPL",
            "--param",
            "min_samples=100",
        ],
    ));
    ok(tl(d, &["runs", "start", "learner"]));
    let events = json(tl(
        d,
        &[
            "runs",
            "events",
            "learner#1",
            "--kind",
            "decision",
            "--all",
            "--output",
            "json",
        ],
    ));
    let text = events.to_string();
    assert!(text.contains("P(close up in 1 bar) 0."), "{text}");
    assert!(text.contains("× weight"), "{text}");
}
