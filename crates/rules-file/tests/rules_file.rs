//! Specification of rules files: the TOML and JSON formats, every validation message
//! a file can produce, the example files and templates round-tripping through both.

use rstest::rstest;
use rust_decimal::Decimal;
use std::path::PathBuf;
use tradelab_engine::risk::*;
use tradelab_rules_file::{RulesFileError, from_json_str, from_toml_str, load, to_toml};

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/rules")
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("examples/rules exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

fn load_example(name: &str) -> RuleSet {
    load(&examples_dir().join(format!("{name}.toml"))).expect("example loads")
}

/// The issues of an invalid TOML text (panics if it is valid or does not parse).
fn issues_of(toml: &str) -> Vec<RuleIssue> {
    match from_toml_str(toml, "test.toml") {
        Err(RulesFileError::Rules(RuleSetError::Invalid { issues, .. })) => issues,
        other => panic!("expected validation issues, got {other:?}"),
    }
}

fn has_issue(issues: &[RuleIssue], rule: &str, field: &str) -> bool {
    issues.iter().any(|i| i.rule == rule && i.field == field)
}

fn one_rule(body: &str) -> String {
    format!("[[rule]]\nname = \"r\"\n{body}\n")
}

#[test]
fn every_example_file_loads_and_validates() {
    let files = example_files();
    assert!(files.len() >= 5, "one file per template plus custom.toml");
    for path in files {
        let set = load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!set.rules.is_empty(), "{}", path.display());
    }
}

#[test]
fn template_example_files_equal_the_built_in_templates() {
    for t in templates() {
        assert_eq!(
            load_example(t.name),
            t.rules(),
            "examples/rules/{}.toml",
            t.name
        );
    }
}

#[test]
fn custom_example_shows_every_rule_kind() {
    let set = load_example("custom");
    for kind in KIND_NAMES {
        assert!(
            set.rules.iter().any(|r| r.kind.kind_name() == kind),
            "custom.toml lacks {kind}"
        );
    }
}

#[test]
fn toml_round_trip_preserves_every_rule() {
    let set = load_example("custom");
    let text = to_toml(&set);
    let again = from_toml_str(&text, "round-trip").expect("own output loads");
    assert_eq!(again, set);
    assert_eq!(to_toml(&again), text, "serialization is stable");
}

#[test]
fn json_round_trip_preserves_every_rule() {
    let set = load_example("custom");
    let json = set.to_json();
    assert!(json.contains("\"rules\""));
    let again = from_json_str(&json, "round-trip").expect("own output loads");
    assert_eq!(again, set);
}

#[test]
fn every_template_validates_and_round_trips() {
    assert_eq!(
        templates().iter().map(|t| t.name).collect::<Vec<_>>(),
        [
            "day_trader",
            "swing_trader",
            "scalper",
            "long_term_investor"
        ]
    );
    for t in templates() {
        let set = template(t.name).expect("known template");
        assert_eq!(set.validate(), Ok(()), "{}", t.name);
        assert!(
            !set.instructions.trim().is_empty(),
            "{} has instructions",
            t.name
        );
        assert!(!t.summary.is_empty());
        assert!(set.rules.iter().all(|r| r.origin == Origin::Template));
        let from_toml = from_toml_str(&to_toml(&set), t.name).expect("toml");
        let from_json = from_json_str(&set.to_json(), t.name).expect("json");
        assert_eq!(from_toml, set);
        assert_eq!(from_json, set);
    }
}

#[test]
fn reports_every_invalid_field_at_once() {
    let text = r#"
[[rule]]
name = "tight_stop"
kind = "stop_loss_pct"
pct = 150

[[rule]]
name = "window"
kind = "trading_window"
start = "9:75"

[[rule]]
name = "positions"
kind = "max_open_positions"
max = 0

[[rule]]
name = "sizing"
kind = "max_position_pct"
pct = 20
priority = 11
"#;
    let issues = issues_of(text);
    assert_eq!(issues.len(), 4, "{issues:#?}");
    assert!(has_issue(&issues, "tight_stop", "pct"));
    assert!(has_issue(&issues, "window", "start"));
    assert!(has_issue(&issues, "positions", "max"));
    assert!(has_issue(&issues, "sizing", "priority"));
    assert_eq!(
        issues[0].to_string(),
        "rule \"tight_stop\" field pct: must be > 0 and < 100, got 150"
    );
    let message = from_toml_str(text, "bad.toml").unwrap_err().to_string();
    assert!(message.starts_with("bad.toml: 4 problem(s)"), "{message}");
    assert_eq!(message.lines().count(), 5, "one line per issue: {message}");
}

#[test]
fn rejects_unknown_kind_and_lists_the_known_kinds() {
    let issues = issues_of(&one_rule("kind = \"max_leverage\"\nmax = 2"));
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(has_issue(&issues, "r", "kind"));
    assert!(issues[0].problem.contains("max_leverage"));
    assert!(issues[0].problem.contains("max_position_pct"));
}

#[test]
fn rejects_unknown_field_naming_rule_and_field() {
    let issues = issues_of(&one_rule("kind = \"stop_loss_pct\"\npct = 2\npercent = 3"));
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(has_issue(&issues, "r", "percent"));
    assert!(issues[0].problem.contains("pct"), "lists the expected keys");
    let top = issues_of("rulez = []\n");
    assert!(has_issue(&top, "", "rulez"));
}

#[test]
fn rejects_missing_and_mistyped_parameters() {
    let issues = issues_of(&one_rule("kind = \"max_order_value\"\npriority = \"high\""));
    assert!(has_issue(&issues, "r", "value"), "{issues:#?}");
    assert!(has_issue(&issues, "r", "priority"), "{issues:#?}");
    let issues = issues_of("[[rule]]\nkind = \"max_trades_per_day\"\nmax = -1\n");
    assert!(has_issue(&issues, "#1", "name"), "{issues:#?}");
    assert!(has_issue(&issues, "#1", "max"), "{issues:#?}");
}

#[rstest]
#[case::minute_out_of_range("start = \"09:60\"", "start")]
#[case::hour_out_of_range("end = \"24:00\"", "end")]
#[case::not_a_time("flatten_at = \"noon\"", "flatten_at")]
#[case::seconds_not_supported("start = \"09:35:30\"", "start")]
#[case::end_before_start("start = \"10:00\"\nend = \"09:00\"", "end")]
#[case::flatten_before_start("start = \"10:00\"\nflatten_at = \"09:00\"", "flatten_at")]
#[case::blackout_reversed("blackouts = [\"12:00-13:00\", \"14:00-13:00\"]", "blackouts[1]")]
#[case::empty_window("", "start")]
#[case::unknown_time_zone("tz = \"Mars/Olympus\"\nstart = \"09:35\"", "tz")]
fn rejects_bad_trading_windows(#[case] body: &str, #[case] field: &str) {
    let issues = issues_of(&one_rule(&format!("kind = \"trading_window\"\n{body}")));
    assert!(has_issue(&issues, "r", field), "{issues:#?}");
}

#[test]
fn accepts_unquoted_toml_local_times() {
    let set = from_toml_str(
        &one_rule("kind = \"trading_window\"\nstart = 09:35:00\nflatten_at = 15:55"),
        "t",
    )
    .expect("TOML local times are accepted");
    let RuleKind::TradingWindow(w) = &set.rules[0].kind else {
        panic!()
    };
    assert_eq!(
        w.start,
        Some(LocalTime {
            hour: 9,
            minute: 35
        })
    );
    assert_eq!(
        w.flatten_at,
        Some(LocalTime {
            hour: 15,
            minute: 55
        })
    );
}

#[test]
fn rejects_duplicate_names() {
    let text = format!(
        "{}{}",
        one_rule("kind = \"stop_loss_pct\"\npct = 2"),
        one_rule("kind = \"take_profit_pct\"\npct = 4")
    );
    let issues = issues_of(&text);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(has_issue(&issues, "r", "name"));
    assert!(issues[0].problem.contains("duplicate"));
}

#[rstest]
#[case(0)]
#[case(11)]
#[case(300)]
#[case(-1)]
fn rejects_priority_outside_1_to_10(#[case] priority: i64) {
    let issues = issues_of(&one_rule(&format!(
        "kind = \"stop_loss_pct\"\npct = 2\npriority = {priority}"
    )));
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(has_issue(&issues, "r", "priority"));
    assert!(issues[0].problem.contains("between 1 and 10"));
}

#[rstest]
#[case::zero("stop_loss_pct", "0")]
#[case::hundred_stop("stop_loss_pct", "100")]
#[case::negative("daily_loss_limit_pct", "-3")]
#[case::nan("max_drawdown_halt_pct", "nan")]
#[case::infinite("trailing_stop_pct", "inf")]
#[case::over_hundred_position("max_position_pct", "100.5")]
#[case::huge_target("take_profit_pct", "5000")]
fn rejects_out_of_range_percentages(#[case] kind: &str, #[case] pct: &str) {
    let issues = issues_of(&one_rule(&format!("kind = \"{kind}\"\npct = {pct}")));
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(has_issue(&issues, "r", "pct"));
}

#[test]
fn accepts_boundary_percentages_where_they_make_sense() {
    let text = format!(
        "{}{}",
        one_rule("kind = \"max_position_pct\"\npct = 100"),
        "[[rule]]\nname = \"t\"\nkind = \"take_profit_pct\"\npct = 250\n"
    );
    from_toml_str(&text, "t").expect("100 % position and 250 % target are fine");
}

#[test]
fn rejects_bad_symbols_and_symbol_both_allowed_and_blocked() {
    let text = r#"
[[rule]]
name = "universe"
kind = "allowed_symbols"
symbols = ["AAPL", "MSFT"]

[[rule]]
name = "blocked"
kind = "blocked_symbols"
symbols = ["MSFT", "A B"]

[[rule]]
name = "empty"
kind = "blocked_symbols"
symbols = []
"#;
    let issues = issues_of(text);
    assert!(has_issue(&issues, "blocked", "symbols[1]"), "{issues:#?}");
    assert!(has_issue(&issues, "empty", "symbols"), "{issues:#?}");
    let fixed = text
        .replace(", \"A B\"", "")
        .replace("symbols = []", "symbols = [\"GME\"]");
    let issues = issues_of(&fixed);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(has_issue(&issues, "blocked", "symbols"));
    assert!(issues[0].problem.contains("MSFT") && issues[0].problem.contains("universe"));
}

#[test]
fn rejects_a_second_active_rule_of_a_single_use_kind() {
    let text = format!(
        "{}[[rule]]\nname = \"other_stop\"\nkind = \"stop_loss_pct\"\npct = 3\n",
        one_rule("kind = \"stop_loss_pct\"\npct = 2")
    );
    let issues = issues_of(&text);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(has_issue(&issues, "other_stop", "kind"));
    assert!(issues[0].problem.contains("only one active stop_loss_pct"));
    let inactive = format!("{text}active = false\n");
    from_toml_str(&inactive, "t").expect("an inactive duplicate is fine");
}

#[test]
fn blocked_symbol_lists_may_repeat() {
    let set = load_example("custom");
    let blocked = set
        .rules
        .iter()
        .filter(|r| r.kind.kind_name() == "blocked_symbols");
    assert_eq!(blocked.count(), 2);
    assert!(RuleKind::BlockedSymbols { symbols: vec![] }.repeatable());
    assert!(!RuleKind::AllowedSymbols { symbols: vec![] }.repeatable());
}

#[test]
fn optional_keys_take_defaults_per_kind() {
    let set = from_toml_str(&one_rule("kind = \"max_position_pct\"\npct = 20"), "t").unwrap();
    let r = &set.rules[0];
    assert_eq!(r.category, Category::PositionSizing);
    assert_eq!(r.priority, r.kind.default_priority());
    assert_eq!(r.description, "max 20 % of equity per symbol (rejects)");
    assert!(r.active);
    assert_eq!(r.origin, Origin::User);
    assert_eq!(
        r.kind,
        RuleKind::MaxPositionPct {
            pct: 20.0,
            on_breach: Breach::Reject
        }
    );
    let set = from_toml_str(&one_rule("kind = \"allow_short\""), "t").unwrap();
    assert!(set.shorts_allowed(), "allow_short without `allowed` allows");
    assert!(
        !RuleSet::default().shorts_allowed(),
        "shorting is off by default"
    );
}

#[test]
fn order_limits_accept_decimal_as_string_or_number() {
    for value in ["\"2500.50\"", "2500.50", "2500"] {
        let set = from_toml_str(
            &one_rule(&format!("kind = \"max_order_value\"\nvalue = {value}")),
            "t",
        )
        .unwrap();
        let RuleKind::MaxOrderValue { value: v } = set.rules[0].kind else {
            panic!()
        };
        assert_eq!(
            v.normalize(),
            value
                .trim_matches('"')
                .parse::<Decimal>()
                .unwrap()
                .normalize()
        );
    }
    let issues = issues_of(&one_rule("kind = \"max_order_qty\"\nqty = 0"));
    assert!(has_issue(&issues, "r", "qty"));
}

#[test]
fn active_rules_are_ordered_by_priority_then_name_whatever_the_file_order() {
    let mut set = load_example("custom");
    let names = |s: &RuleSet| -> Vec<String> {
        s.active_by_priority()
            .iter()
            .map(|r| r.name.clone())
            .collect()
    };
    let expected = names(&set);
    assert!(
        !expected.contains(&"tight_stop".to_string()),
        "inactive rules are left out"
    );
    let ordered = set.active_by_priority();
    assert!(ordered.windows(2).all(|w| w[0].priority > w[1].priority
        || (w[0].priority == w[1].priority && w[0].name < w[1].name)));
    assert_eq!(
        expected[0], "daily_loss_limit",
        "priority 10, alphabetically first"
    );
    set.rules.reverse();
    assert_eq!(names(&set), expected);
}

#[test]
fn merged_replaces_rules_by_name_and_appends_new_ones() {
    let base = template("day_trader").unwrap();
    let overrides = from_toml_str(
        r#"
[[rule]]
name = "stop_loss"
kind = "stop_loss_pct"
pct = 1

[[rule]]
name = "blocked"
kind = "blocked_symbols"
symbols = ["GME"]
"#,
        "overrides.toml",
    )
    .unwrap();
    let merged = base.merged(&overrides);
    assert_eq!(merged.rules.len(), base.rules.len() + 1);
    let stop_index = base
        .rules
        .iter()
        .position(|r| r.name == "stop_loss")
        .unwrap();
    assert_eq!(
        merged.rules[stop_index].kind,
        RuleKind::StopLossPct { pct: 1.0 }
    );
    assert_eq!(merged.rules[stop_index].origin, Origin::User);
    assert_eq!(merged.rules.last().unwrap().name, "blocked");
    assert_eq!(
        merged.instructions, base.instructions,
        "blank instructions keep the base's"
    );
    assert_eq!(merged.validate(), Ok(()));
    let with_text = RuleSet {
        instructions: "mine".into(),
        ..RuleSet::default()
    };
    assert_eq!(base.merged(&with_text).instructions, "mine");
}

#[test]
fn trading_window_allows_entries_only_inside_the_window() {
    let set = load_example("custom");
    let RuleKind::TradingWindow(w) = &set.get("session_window").unwrap().kind else {
        panic!()
    };
    let t = |s: &str| s.parse::<LocalTime>().unwrap();
    assert!(!w.allows_entry_at(t("09:34")));
    assert!(w.allows_entry_at(t("09:35")));
    assert!(!w.allows_entry_at(t("12:00")), "blackout start is inside");
    assert!(w.allows_entry_at(t("14:00")), "blackout end is outside");
    assert!(!w.allows_entry_at(t("15:45")), "end is exclusive");
    assert!(!w.must_be_flat_at(t("15:54")));
    assert!(w.must_be_flat_at(t("15:55")));
    let tz = w.time_zone().unwrap();
    let ts: jiff::Timestamp = "2024-07-01T13:35:00Z".parse().unwrap();
    assert_eq!(LocalTime::at(ts, &tz), t("09:35"), "EDT is UTC-4");
}

#[test]
fn syntax_errors_name_the_line() {
    let err = from_toml_str("[[rule]]\nname = \n", "broken.toml").unwrap_err();
    assert!(matches!(err, RulesFileError::Parse { .. }));
    assert!(
        err.to_string().contains("broken.toml") && err.to_string().contains("line 2"),
        "{err}"
    );
    let err = from_json_str("{\"rules\": [}", "broken.json").unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn load_picks_the_format_by_extension() {
    let dir = std::env::temp_dir().join(format!("tradelab-risk-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let set = template("scalper").unwrap();
    std::fs::write(dir.join("s.json"), set.to_json()).unwrap();
    std::fs::write(dir.join("s.toml"), to_toml(&set)).unwrap();
    assert_eq!(load(&dir.join("s.json")).unwrap(), set);
    assert_eq!(load(&dir.join("s.toml")).unwrap(), set);
    assert!(matches!(
        load(&dir.join("s.yaml")),
        Err(RulesFileError::UnknownFormat { .. })
    ));
    assert!(matches!(
        load(&dir.join("missing.toml")),
        Err(RulesFileError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_huge_rule_name_is_cut_in_error_messages() {
    let name = "x".repeat(10 << 20);
    let text = format!("[[rule]]\nname = \"{name}\"\nkind = \"max_order_qty\"\nqty = 5\n");
    let e = from_toml_str(&text, "big.toml").unwrap_err().to_string();
    assert!(e.len() < 400, "message of {} bytes", e.len());
    assert!(
        e.contains(&format!("{}… ({} bytes)", "x".repeat(60), 10 << 20)),
        "{e}"
    );
    assert!(e.contains("must be at most 64 characters"), "{e}");
    // A parser error quoting a huge line is cut too.
    let bad = format!("[[rule]]\nname = \"r\"\nkind = {name}\n");
    let e = from_toml_str(&bad, "bad.toml").unwrap_err().to_string();
    assert!(e.len() < 2_000, "parse message of {} bytes", e.len());
    let e = tradelab_engine::risk::template(&name)
        .unwrap_err()
        .to_string();
    assert!(e.len() < 300, "template message of {} bytes", e.len());
    assert!(e.starts_with("unknown rule template \"xxx"), "{e}");
}

#[test]
fn the_engine_does_not_depend_on_a_text_format_parser() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../engine/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("the engine's manifest");
    let manifest: toml::Table = toml::from_str(&text).expect("a TOML manifest");
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(deps) = manifest.get(section).and_then(toml::Value::as_table) else {
            continue;
        };
        assert!(
            !deps.contains_key("toml"),
            "the engine's [{section}] lists toml; rules files are parsed in this crate"
        );
    }
    assert!(
        manifest
            .get("dependencies")
            .is_some_and(toml::Value::is_table),
        "the engine has a [dependencies] table"
    );
}
