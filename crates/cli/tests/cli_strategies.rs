//! Strategy names go through the decider registry everywhere the CLI takes one:
//! `tradelab strategies` lists it in order (the built-ins, then the LLM agent and the
//! online learner), and `backtest --strategy` and `models create --strategy` refuse an
//! unknown name listing the registered ones.

mod common;

use common::{bar_file, fail, ok, tl, tradelab};

const KNOWN: &str = "known strategies: buy_and_hold, sma_cross, rsi_reversion, breakout, llm, \
                     online_learner";

#[test]
fn strategies_are_listed_in_registry_order() {
    let text = ok(tradelab(&["strategies"]));
    let names: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        names,
        [
            "buy_and_hold",
            "sma_cross",
            "rsi_reversion",
            "breakout",
            "llm",
            "online_learner"
        ]
    );
}

#[test]
fn backtest_refuses_an_unknown_strategy_listing_the_registered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = bar_file(dir.path(), "x.csv", &["10", "11", "12"]);
    let err = fail(tradelab(&[
        "backtest",
        "--data",
        &data,
        "--symbol",
        "X",
        "--strategy",
        "golden_goose",
    ]));
    assert!(err.contains("unknown strategy \"golden_goose\""), "{err}");
    assert!(err.contains(KNOWN), "{err}");
}

#[test]
fn models_create_refuses_an_unknown_strategy_listing_the_registered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let err = fail(tl(
        d,
        &["models", "create", "goose", "--strategy", "golden_goose"],
    ));
    assert!(err.contains("unknown strategy \"golden_goose\""), "{err}");
    assert!(err.contains(KNOWN), "{err}");
    let list = ok(tl(d, &["models", "list"]));
    assert!(!list.contains("goose"), "{list}");
}
