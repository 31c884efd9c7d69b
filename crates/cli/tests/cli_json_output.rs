//! `--output json` of the commands that need no store: `strategies`, `rules check`,
//! `rules templates` and `data inspect`. Each prints one stable JSON document (objects,
//! RFC 3339 times, exact amounts as strings); the default stays the table.

mod common;

use common::{fail, json, ok, repo, sample, tradelab, write_file};

#[test]
fn strategies_json_lists_each_strategy_with_its_parameters() {
    let doc = json(tradelab(&["strategies", "--output", "json"]));
    let list = doc["strategies"].as_array().expect("strategies array");
    let names: Vec<&str> = list.iter().filter_map(|s| s["name"].as_str()).collect();
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
    let sma = &list[1];
    assert!(sma["summary"].as_str().is_some_and(|s| !s.is_empty()));
    let fast = &sma["params"][0];
    assert_eq!(fast["name"], "fast");
    assert_eq!(fast["default"], "10");
    assert!(fast["help"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(list[0]["params"], serde_json::json!([]));
}

#[test]
fn strategies_table_is_still_the_default() {
    let text = ok(tradelab(&["strategies"]));
    assert!(text.starts_with("buy_and_hold "), "{text}");
    assert_eq!(text, ok(tradelab(&["strategies", "--output", "table"])));
}

#[test]
fn rules_check_json_gives_each_rule_with_exact_parameters() {
    let file = repo("examples/rules/custom.toml");
    let doc = json(tradelab(&["rules", "check", &file, "--output", "json"]));
    assert_eq!(doc["file"], file.as_str());
    assert_eq!(doc["valid"], true);
    let rules = doc["rules"].as_array().expect("rules array");
    assert!(!rules.is_empty());
    let priorities: Vec<u64> = rules
        .iter()
        .map(|r| r["priority"].as_u64().expect("priority"))
        .collect();
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "{priorities:?}"
    );
    let value = rules
        .iter()
        .find(|r| r["kind"] == "max_order_value")
        .expect("a max_order_value rule");
    assert_eq!(value["value"], "25000", "exact amounts are strings");
    assert_eq!(value["active"], true);
    assert!(value["scope"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(value["summary"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(doc["instructions"].is_string());
}

#[test]
fn rules_check_json_of_a_bad_file_fails_with_the_same_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write_file(
        dir.path(),
        "bad.toml",
        "[[rule]]\nname = \"x\"\nkind = \"max_position_pct\"\npct = 500\n",
    );
    let table = tradelab(&["rules", "check", &file]);
    let as_json = tradelab(&["rules", "check", &file, "--output", "json"]);
    assert_eq!(as_json.status.code(), table.status.code());
    assert!(as_json.stdout.is_empty());
    let err = fail(&as_json);
    assert_eq!(err, fail(&table));
    assert!(err.contains("rule \"x\" field pct"), "{err}");
}

#[test]
fn rules_templates_json_names_each_template() {
    let doc = json(tradelab(&["rules", "templates", "--output", "json"]));
    let list = doc["templates"].as_array().expect("templates array");
    let day = list
        .iter()
        .find(|t| t["name"] == "day_trader")
        .expect("day_trader");
    assert!(day["summary"].as_str().is_some_and(|s| !s.is_empty()));
    let text = ok(tradelab(&["rules", "templates"]));
    for t in list {
        assert!(text.contains(t["name"].as_str().expect("name")), "{text}");
    }
}

#[test]
fn rules_templates_show_stays_toml() {
    let text = ok(tradelab(&["rules", "templates", "--show", "day_trader"]));
    assert!(text.contains("[[rule]]"), "{text}");
    fail(tradelab(&[
        "rules",
        "templates",
        "--show",
        "day_trader",
        "--output",
        "json",
    ]));
}

#[test]
fn data_inspect_json_describes_the_file_and_each_series() {
    let file = sample("stocks_daily_2000-2013.csv");
    let doc = json(tradelab(&["data", "inspect", &file, "--output", "json"]));
    assert_eq!(doc["file"], file.as_str());
    assert_eq!(doc["kind"], "daily");
    assert_eq!(doc["bars"], 12154);
    assert_eq!(doc["rows_read"], 12154);
    assert_eq!(doc["skipped"], serde_json::json!([]));
    assert_eq!(doc["was_unsorted"], false);
    assert!(doc["delimiter"].as_str().is_some_and(|d| d.contains(',')));
    let series = doc["series"].as_array().expect("series array");
    let aapl = series.iter().find(|s| s["symbol"] == "AAPL").expect("AAPL");
    assert_eq!(aapl["bars"], 3270);
    assert_eq!(aapl["first"], "2000-03-01T00:00:00Z");
    assert_eq!(aapl["last"], "2013-03-01T00:00:00Z");
    let total: u64 = series
        .iter()
        .map(|s| s["bars"].as_u64().expect("bars"))
        .sum();
    assert_eq!(total, 12154);
}

#[test]
fn data_inspect_table_is_still_the_default() {
    let file = sample("stocks_daily_2000-2013.csv");
    let text = ok(tradelab(&["data", "inspect", &file]));
    assert!(text.starts_with("file      "), "{text}");
}
