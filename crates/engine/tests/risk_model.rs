//! Specification of the risk-rule model itself: templates as data, the scope of each
//! kind, local times, and structural decoding of stored snapshots (rules files and
//! their messages are specified in crates/rules-file/tests/rules_file.rs).

use rstest::rstest;
use rust_decimal::Decimal;
use tradelab_core::Symbol;
use tradelab_engine::risk::*;

#[test]
fn day_trader_template_has_the_documented_limits() {
    let set = template("day_trader").unwrap();
    let kinds: Vec<&RuleKind> = set.rules.iter().map(|r| &r.kind).collect();
    let expected = [
        RuleKind::MaxPositionPct {
            pct: 20.0,
            on_breach: Breach::Resize,
        },
        RuleKind::MaxOpenPositions { max: 3 },
        RuleKind::DailyLossLimitPct { pct: 3.0 },
        RuleKind::StopLossPct { pct: 1.5 },
        RuleKind::TakeProfitPct { pct: 2.5 },
        RuleKind::MaxTradesPerDay { max: 10 },
        RuleKind::AllowShort { allowed: false },
    ];
    for k in &expected {
        assert!(kinds.contains(&k), "missing {k:?}");
    }
    let window = kinds.iter().find_map(|k| match k {
        RuleKind::TradingWindow(w) => Some(w),
        _ => None,
    });
    let w = window.expect("a trading window");
    assert_eq!(w.tz, "America/New_York");
    assert_eq!(w.start, Some("09:35".parse().unwrap()));
    assert_eq!(w.flatten_at, Some("15:55".parse().unwrap()));
    assert!(!set.shorts_allowed());
}

#[test]
fn unknown_template_lists_the_known_names() {
    let err = template("yolo").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("yolo") && text.contains("day_trader") && text.contains("scalper"));
}

#[rstest]
#[case(RuleKind::MaxPositionPct { pct: 20.0, on_breach: Breach::Reject }, Scope::BlocksEntries)]
#[case(RuleKind::MaxPositionPct { pct: 20.0, on_breach: Breach::Resize }, Scope::ResizesOrRejectsEntries)]
#[case(RuleKind::MaxOpenPositions { max: 3 }, Scope::BlocksEntries)]
#[case(RuleKind::MinCashReservePct { pct: 10.0 }, Scope::BlocksEntries)]
#[case(RuleKind::MaxOrderValue { value: Decimal::ONE }, Scope::BlocksAllOrders)]
#[case(RuleKind::MaxOrderQty { qty: Decimal::ONE }, Scope::BlocksAllOrders)]
#[case(RuleKind::AllowedSymbols { symbols: vec![] }, Scope::BlocksEntries)]
#[case(RuleKind::BlockedSymbols { symbols: vec![] }, Scope::BlocksEntries)]
#[case(RuleKind::AllowShort { allowed: false }, Scope::BlocksEntries)]
#[case(RuleKind::StopLossPct { pct: 1.0 }, Scope::ExitsPosition)]
#[case(RuleKind::TakeProfitPct { pct: 1.0 }, Scope::ExitsPosition)]
#[case(RuleKind::TrailingStopPct { pct: 1.0 }, Scope::ExitsPosition)]
#[case(RuleKind::DailyLossLimitPct { pct: 3.0 }, Scope::BlocksEntries)]
#[case(RuleKind::MaxDrawdownHaltPct { pct: 15.0 }, Scope::HaltsRun)]
#[case(
    RuleKind::TradingWindow(TradingWindow::default()),
    Scope::BlocksEntries
)]
#[case(
    RuleKind::TradingWindow(TradingWindow { flatten_at: Some(LocalTime { hour: 15, minute: 55 }), ..TradingWindow::default() }),
    Scope::BlocksEntriesAndFlattens
)]
#[case(RuleKind::MaxTradesPerDay { max: 1 }, Scope::BlocksEntries)]
#[case(RuleKind::MaxTradesPerSession { max: 1 }, Scope::BlocksEntries)]
#[case(RuleKind::MaxOrdersPerMinute { max: 1 }, Scope::BlocksAllOrders)]
#[case(RuleKind::CooldownAfterLoss { bars: 1 }, Scope::BlocksEntries)]
fn scope_of_each_kind(#[case] kind: RuleKind, #[case] scope: Scope) {
    assert_eq!(kind.scope(), scope);
    assert!(!kind.scope().description().is_empty());
    assert!((1..=10).contains(&kind.default_priority()));
    assert!(KIND_NAMES.contains(&kind.kind_name()));
}

#[test]
fn times_parse_strictly_and_print_as_hh_mm() {
    assert_eq!("9:05".parse::<LocalTime>().unwrap().to_string(), "09:05");
    assert_eq!(
        "23:59"
            .parse::<LocalTime>()
            .unwrap()
            .minutes_since_midnight(),
        1439
    );
    for bad in ["24:00", "12:60", "12", "12:5", "ab:cd", "12:00:01", ""] {
        assert!(bad.parse::<LocalTime>().is_err(), "{bad:?}");
    }
    let r: TimeRange = "12:00-13:00".parse().unwrap();
    assert_eq!(r.to_string(), "12:00-13:00");
    assert!("13:00-12:00".parse::<TimeRange>().is_err());
}

#[test]
fn serde_deserialize_checks_structure_but_not_ranges() {
    let json = r#"{"rules": [{"name": "s", "kind": "stop_loss_pct", "pct": 150}]}"#;
    let set: RuleSet = serde_json::from_str(json).expect("structure is fine");
    assert!(
        set.validate().is_err(),
        "the range problem is still found by validate()"
    );
    let bad = r#"{"rules": [{"name": "s", "kind": "stop_loss_pct", "pct": 2, "x": 1}]}"#;
    assert!(serde_json::from_str::<RuleSet>(bad).is_err());
    let rule: Rule =
        serde_json::from_str(r#"{"name": "u", "kind": "allowed_symbols", "symbols": ["SPY"]}"#)
            .unwrap();
    assert_eq!(
        rule.kind,
        RuleKind::AllowedSymbols {
            symbols: vec![Symbol::new("SPY").unwrap()]
        }
    );
}

#[test]
fn decodes_a_parsed_document_and_reports_every_problem_by_rule_and_field() {
    let good = serde_json::json!({
        "instructions": "be careful",
        "rules": [{"name": "stop", "kind": "stop_loss_pct", "pct": 2}],
    });
    let set = RuleSet::from_document(good, "stored rules").expect("a valid document");
    assert_eq!(set.instructions, "be careful");
    assert_eq!(
        set.rules,
        vec![Rule::new("stop", RuleKind::StopLossPct { pct: 2.0 })]
    );

    let bad = serde_json::json!({
        "rules": [
            {"name": "stop", "kind": "stop_loss_pct", "pct": 150},
            {"name": "odd", "kind": "no_such_kind"},
        ],
    });
    let err = RuleSet::from_document(bad, "stored rules").unwrap_err();
    assert!(matches!(err, RuleSetError::Invalid { ref issues, .. } if issues.len() == 2));
    let message = err.to_string();
    assert!(
        message.starts_with("stored rules: 2 problem(s) in rules:"),
        "{message}"
    );
    assert!(
        message.contains("rule \"stop\" field pct: must be > 0 and < 100, got 150"),
        "{message}"
    );
    assert!(
        message.contains("rule \"odd\" field kind: unknown kind \"no_such_kind\""),
        "{message}"
    );
}
