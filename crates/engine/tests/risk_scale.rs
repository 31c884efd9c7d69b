//! Rule set-up and problem reporting scale linearly with the number of rules (that
//! error messages do not repeat huge input back is specified with the rules-file
//! parser, crates/rules-file/tests/rules_file.rs). The bounds are generous (debug build, shared machine): the
//! quadratic steps they guard against took tens of seconds on 40,000 rules.

use rust_decimal::Decimal;
use std::time::{Duration, Instant};
use tradelab_core::Symbol;
use tradelab_engine::risk::{Rule, RuleKind, RuleSet, RuleSetError};
use tradelab_engine::risk_engine::RiskEngine;

const RULES: usize = 40_000;

fn blocked(i: usize) -> Rule {
    Rule::new(
        format!("block_{i}"),
        RuleKind::BlockedSymbols {
            symbols: vec![Symbol::new(&format!("S{i}")).unwrap()],
        },
    )
}

fn timed<T>(what: &str, limit: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(
        took < limit,
        "{what} took {took:?} for {RULES} rules (limit {limit:?})"
    );
    out
}

#[test]
fn merging_validating_and_compiling_40k_rules_takes_well_under_a_second() {
    let template = RuleSet::default();
    let own = RuleSet {
        rules: (0..RULES).map(blocked).collect(),
        instructions: String::new(),
    };
    let limit = Duration::from_millis(900);
    let merged = timed("merging", limit, || template.merged(&own));
    assert_eq!(merged.rules.len(), RULES);
    timed("validating", limit, || merged.validate()).expect("valid rules");
    let engine = timed("compiling", limit, || {
        RiskEngine::new(&merged, 1, 10_000.0, true)
    });
    assert!(!engine.is_empty());
    // Overrides still replace rules of the same name in place.
    let mut again = own.clone();
    again.rules[7] = Rule::new("block_7", RuleKind::MaxOrderQty { qty: Decimal::ONE });
    let over = timed("merging overrides", limit, || own.merged(&again));
    assert_eq!(over.rules.len(), RULES);
    assert_eq!(over.rules[7].kind.kind_name(), "max_order_qty");
}

#[test]
fn reporting_problems_in_40k_rules_takes_about_as_long_as_loading_them() {
    let rule = |name: String, qty: usize| {
        format!(r#"{{"name":"{name}","kind":"max_order_qty","qty":{qty}}}"#)
    };
    let valid: Vec<String> = (0..RULES).map(|i| rule(format!("r{i}"), i + 1)).collect();
    let valid = format!(r#"{{"rules":[{}]}}"#, valid.join(","));
    // Every other name repeats an earlier one, and every rule is a second active
    // max_order_qty: 80,000 problems to collect, 40,000 of them distinct to sort.
    let dup: Vec<String> = (0..RULES)
        .map(|i| rule(format!("r{}", i / 2), i + 1))
        .collect();
    let dup = format!(r#"{{"rules":[{}]}}"#, dup.join(","));
    let load = |text: &str| {
        let start = Instant::now();
        let document = serde_json::from_str(text).expect("the test writes valid JSON");
        let r = RuleSet::from_document(document, "many.json");
        (r, start.elapsed())
    };
    // The valid text fails too (one active max_order_qty only), but with fewer problems.
    let (_, base) = load(&valid);
    let (r, took) = load(&dup);
    let Err(RuleSetError::Invalid { issues, .. }) = r else {
        panic!("duplicates must be refused");
    };
    assert!(issues.len() >= RULES, "{} issues", issues.len());
    assert!(
        took < base * 4 + Duration::from_millis(500),
        "reporting {} problems took {took:?}; loading took {base:?}",
        issues.len()
    );
}
