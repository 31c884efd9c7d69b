//! Specifications of the risk engine's automatic exits: stop-loss, take-profit and
//! trailing stop, at the level inside a bar or at the open when a bar gaps through,
//! with slippage on stops only.

mod common;

use common::*;
use tradelab_core::OrderIntent;
use tradelab_engine::RunConfig;

const STOPS: &str = r#"
[[rule]]
name = "stop"
kind = "stop_loss_pct"
pct = 5

[[rule]]
name = "target"
kind = "take_profit_pct"
pct = 10
"#;

/// An entry of 10 units decided at bar 0 and filled at 100 (bar 1's open), then
/// `later` bars (open, high, low, close) under `rules`: the automatic exits, with the
/// rule and the exit price.
fn exits_after_entry(
    config: RunConfig,
    rules: &str,
    entry: OrderIntent,
    later: &[(f64, f64, f64, f64)],
) -> Vec<(String, String)> {
    let mut bars = vec![(100.0, 100.0, 100.0, 100.0), (100.0, 101.0, 99.0, 100.0)];
    bars.extend_from_slice(later);
    let s = daily("X", &bars);
    let (ev, out) = run_rules(config, vec![s], rules, &mut Script::new(vec![(0, entry)]));
    let exits = auto_exits(&ev);
    if !exits.is_empty() {
        assert!(
            out.open_positions.is_empty(),
            "the exit closes the position"
        );
    }
    exits
}

fn exit(rule: &str, price: &str) -> Vec<(String, String)> {
    vec![(rule.to_string(), price.to_string())]
}

fn long() -> OrderIntent {
    buy("X", shares(10))
}

#[test]
fn stop_loss_exits_at_the_level_inside_the_bar() {
    // Entry at 100; the next bar trades down to 94: the stop is at 95.
    let later = [(99.0, 99.5, 94.0, 96.0), (96.0, 96.0, 96.0, 96.0)];
    let got = exits_after_entry(cfg(), STOPS, long(), &later);
    assert_eq!(got, exit("stop_loss", "95"));
}

#[test]
fn stop_loss_exits_at_the_open_when_the_bar_gaps_through() {
    let got = exits_after_entry(cfg(), STOPS, long(), &[(90.0, 92.0, 89.0, 91.0)]);
    assert_eq!(got, exit("stop_loss", "90"));
}

#[test]
fn take_profit_exits_at_the_level_and_at_the_open_on_a_gap_up() {
    let got = exits_after_entry(cfg(), STOPS, long(), &[(105.0, 111.0, 104.0, 108.0)]);
    assert_eq!(got, exit("take_profit", "110"));
    let got = exits_after_entry(cfg(), STOPS, long(), &[(112.0, 113.0, 111.0, 112.0)]);
    assert_eq!(got, exit("take_profit", "112"));
}

#[test]
fn bar_reaching_both_stop_and_target_assumes_the_stop_first() {
    let got = exits_after_entry(cfg(), STOPS, long(), &[(100.0, 111.0, 94.0, 100.0)]);
    assert_eq!(got, exit("stop_loss", "95"));
}

#[test]
fn short_stop_loss_is_above_the_entry() {
    let short = sell("X", shares(10));
    let got = exits_after_entry(shorting(), STOPS, short, &[(101.0, 106.0, 100.0, 104.0)]);
    assert_eq!(got, exit("stop_loss", "105"));
}

#[test]
fn trailing_stop_follows_the_best_price_since_entry() {
    let rules = "[[rule]]\nname = \"trail\"\nkind = \"trailing_stop_pct\"\npct = 10\n";
    let later = [
        (100.0, 120.0, 100.0, 118.0),
        (117.0, 117.0, 107.0, 110.0),
        (110.0, 110.0, 110.0, 110.0),
    ];
    // The best price is 120 after the first of these bars: the trail is at 108,
    // reached on the next.
    let got = exits_after_entry(cfg(), rules, long(), &later);
    assert_eq!(got, exit("trailing_stop", "108"));
}

#[test]
fn stop_exit_pays_slippage_and_target_exit_does_not() {
    let config = RunConfig {
        slippage_bps: 10.into(),
        ..cfg()
    };
    // The entry at 100 slips to 100.1; the stop 5 % below is 95.095; its fill slips to
    // 94.999905.
    let got = exits_after_entry(config.clone(), STOPS, long(), &[(99.0, 99.5, 94.0, 96.0)]);
    assert_eq!(got, exit("stop_loss", "94.999905"));
    let got = exits_after_entry(config, STOPS, long(), &[(105.0, 111.0, 104.0, 108.0)]);
    // The target 10 % above 100.1 is 110.11, and it fills there, without slippage.
    assert_eq!(got, exit("take_profit", "110.11"));
}
