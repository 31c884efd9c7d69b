//! End-to-end specifications of risk rules and templates in `tradelab backtest`, and
//! of `tradelab rules check` and `tradelab templates`.

mod common;

use common::{es_minute_bars, fixture, goog_sma_cross, json, repo, stderr, tradelab};

#[test]
fn rules_file_is_enforced_and_reported_by_rule() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"max_position\"\nkind = \"max_position_pct\"\npct = 20\n\n[[rule]]\nname = \"stop\"\nkind = \"stop_loss_pct\"\npct = 2\n",
    )
    .unwrap();
    let r = rules.display().to_string();
    let without = json(goog_sma_cross(&[]));
    let with = json(goog_sma_cross(&["--rules", &r]));
    assert!(
        with["orders_rejected"]["rule max_position"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(with["rules"], serde_json::json!(["stop", "max_position"]));
    assert_ne!(with["final_equity"], without["final_equity"]);
}

#[test]
fn template_resizes_and_exits_automatically() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("resize.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nname = \"max_position\"\nkind = \"max_position_pct\"\npct = 25\non_breach = \"resize\"\n",
    )
    .unwrap();
    let r = rules.display().to_string();
    let out = json(goog_sma_cross(&[
        "--template",
        "swing_trader",
        "--rules",
        &r,
    ]));
    assert!(out["closed_trades"].as_u64().unwrap() > 0, "{out}");
    let exits = out["auto_exits"].as_object().unwrap();
    assert!(
        exits.values().map(|v| v.as_u64().unwrap()).sum::<u64>() > 0,
        "{out}"
    );
}

#[test]
fn rules_check_prints_every_rule_with_its_scope() {
    let out = tradelab(&["rules", "check", &repo("examples/rules/custom.toml")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("valid"));
    assert!(
        text.contains("scope: liquidates all positions and halts the run"),
        "{text}"
    );
}

#[test]
fn rules_check_reports_every_mistake_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"a\"\nkind = \"max_position_pct\"\npct = 150\n\n[[rule]]\nname = \"b\"\nkind = \"trading_window\"\nstart = \"25:00\"\n",
    )
    .unwrap();
    let out = tradelab(&["rules", "check", &bad.display().to_string()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("\"a\"") && err.contains("pct"), "{err}");
    assert!(err.contains("\"b\"") && err.contains("start"), "{err}");
}

#[test]
fn lists_templates_and_prints_one_as_toml() {
    let out = tradelab(&["rules", "templates"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "day_trader",
        "swing_trader",
        "scalper",
        "long_term_investor",
    ] {
        assert!(text.contains(name), "{name}");
    }
    let out = tradelab(&["rules", "templates", "--show", "day_trader"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("kind = \"max_position_pct\""), "{text}");
    let unknown = tradelab(&[
        "backtest",
        "--data",
        &fixture("GOOG_2004-2013.csv"),
        "--strategy",
        "buy_and_hold",
        "--template",
        "yolo",
    ]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("day_trader"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn day_trader_template_runs_on_intraday_bars_from_ticks() {
    let dir = tempfile::tempdir().unwrap();
    let b = es_minute_bars(dir.path());
    let r = json(tradelab(&[
        "backtest",
        "--data",
        &b,
        "--symbol",
        "ES",
        "--strategy",
        "sma_cross",
        "--template",
        "day_trader",
        "--output",
        "json",
    ]));
    assert_eq!(r["status"], "completed");
    assert!(r["rules"].as_array().unwrap().len() >= 5);
}
