//! Specifications of the risk engine: every rule kind rejects what it must and lets
//! through what it may; the circuit breaker, the halt and the kill switch behave as
//! documented. Automatic exits are in `risk_exits.rs`.

mod common;

use common::*;
use tradelab_core::{Money, Quantity, Sizing};
use tradelab_engine::event::VecSink;
use tradelab_engine::{DecideError, Decision};
use tradelab_engine::{
    Decider, DecisionContext, Engine, RunControl, RunEvent, RunHooks, RunStatus,
};

const MAX_POS_20: &str = r#"
[[rule]]
name = "max_position"
kind = "max_position_pct"
pct = 20
"#;

#[test]
fn rejects_buy_exceeding_max_position_pct() {
    let s = flat("X", &[100.0, 100.0, 100.0]);
    let mut d = Script::new(vec![(0, buy("X", shares(21)))]);
    let (ev, _) = run_rules(cfg(), vec![s], MAX_POS_20, &mut d);
    assert!(fills(&ev).is_empty());
    assert_eq!(rule_rejections(&ev), vec!["max_position"]);
    let text = rejections(&ev)[0].to_string();
    assert!(text.contains("21.0 % of equity"), "{text}");
    assert!(text.contains("limit is 20 %"), "{text}");
    assert!(
        d.seen_rejections[0].1.contains("max_position"),
        "the decider is told why"
    );
}

#[test]
fn allows_buy_exactly_at_max_position_pct() {
    let s = flat("X", &[100.0, 100.0, 100.0]);
    let mut d = Script::new(vec![(0, buy("X", shares(20)))]);
    let (ev, _) = run_rules(cfg(), vec![s], MAX_POS_20, &mut d);
    assert_eq!(fills(&ev).len(), 1);
}

#[test]
fn resizes_all_in_buy_to_max_position_pct_when_configured() {
    let s = flat("X", &[100.0, 100.0, 100.0]);
    let rules = r#"
[[rule]]
name = "max_position"
kind = "max_position_pct"
pct = 20
on_breach = "resize"
"#;
    let mut d = Script::new(vec![(0, buy("X", Sizing::AllIn))]);
    let (ev, _) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(
        fills(&ev),
        vec![(tradelab_core::Side::Buy, "20".into(), "100".into())]
    );
}

#[test]
fn max_position_pct_never_blocks_an_exit() {
    let s = flat("X", &[100.0, 100.0, 300.0, 300.0]);
    let mut d = Script::new(vec![
        (0, buy("X", shares(20))),
        (2, sell("X", Sizing::ClosePosition)),
    ]);
    let (ev, out) = run_rules(cfg(), vec![s], MAX_POS_20, &mut d);
    assert_eq!(fills(&ev).len(), 2);
    assert!(out.open_positions.is_empty());
}

#[test]
fn rejects_new_symbol_beyond_max_open_positions() {
    let a = flat("A", &[10.0, 10.0, 10.0, 10.0]);
    let b = flat("B", &[10.0, 10.0, 10.0, 10.0]);
    let rules = "[[rule]]\nname = \"two_max\"\nkind = \"max_open_positions\"\nmax = 1\n";
    let mut d = Script::new(vec![
        (0, buy("A", shares(10))),
        (1, buy("B", shares(10))),
        (1, buy("A", shares(5))),
    ]);
    let (ev, _) = run_rules(cfg(), vec![a, b], rules, &mut d);
    assert_eq!(rule_rejections(&ev), vec!["two_max"]);
    assert_eq!(fills(&ev).len(), 2, "adding to the open symbol is allowed");
}

#[test]
fn rejects_buy_leaving_cash_below_reserve_and_allows_the_boundary() {
    let rules = "[[rule]]\nname = \"reserve\"\nkind = \"min_cash_reserve_pct\"\npct = 50\n";
    let (ev, _) = run_rules(
        cfg(),
        vec![flat("X", &[100.0, 100.0, 100.0])],
        rules,
        &mut Script::new(vec![(0, buy("X", shares(51)))]),
    );
    assert_eq!(rule_rejections(&ev), vec!["reserve"]);
    let (ev, _) = run_rules(
        cfg(),
        vec![flat("X", &[100.0, 100.0, 100.0])],
        rules,
        &mut Script::new(vec![(0, buy("X", shares(50)))]),
    );
    assert_eq!(fills(&ev).len(), 1);
}

#[test]
fn rejects_orders_above_max_order_value_and_qty_exits_included() {
    let rules = r#"
[[rule]]
name = "value_cap"
kind = "max_order_value"
value = 1000

[[rule]]
name = "qty_cap"
kind = "max_order_qty"
qty = 50
"#;
    let s = flat("X", &[10.0, 10.0, 10.0, 30.0, 30.0, 30.0]);
    let mut d = Script::new(vec![
        (0, buy("X", shares(60))),
        (1, buy("X", shares(50))),
        (3, buy("X", shares(40))),
        (4, sell("X", Sizing::ClosePosition)),
    ]);
    let (ev, out) = run_rules(cfg(), vec![s], rules, &mut d);
    // 60 > 50 units; 50 × 10 = 500 ok; 40 × 30 = 1200 > 1000; closing 50 × 30 = 1500 > 1000
    assert_eq!(
        rule_rejections(&ev),
        vec!["qty_cap", "value_cap", "value_cap"]
    );
    assert_eq!(
        out.open_positions.len(),
        1,
        "the order cap also blocks the decider's exit"
    );
}

#[test]
fn rejects_entries_in_symbols_not_allowed_or_blocked_but_allows_their_exits() {
    let three = || {
        vec![
            flat("A", &[10.0; 4]),
            flat("B", &[10.0; 4]),
            flat("C", &[10.0; 4]),
        ]
    };
    let plan = || {
        vec![
            (0, buy("A", shares(1))),
            (0, buy("B", shares(1))),
            (0, buy("C", shares(1))),
            (1, sell("A", Sizing::ClosePosition)),
        ]
    };
    let allowed = "[[rule]]\nname = \"universe\"\nkind = \"allowed_symbols\"\nsymbols = [\"A\"]\n";
    let (ev, _) = run_rules(cfg(), three(), allowed, &mut Script::new(plan()));
    assert_eq!(rule_rejections(&ev), vec!["universe", "universe"]);
    assert_eq!(fills(&ev).len(), 2, "A entered and exited");
    let blocked = "[[rule]]\nname = \"no_b\"\nkind = \"blocked_symbols\"\nsymbols = [\"B\"]\n";
    let (ev, _) = run_rules(cfg(), three(), blocked, &mut Script::new(plan()));
    assert_eq!(rule_rejections(&ev), vec!["no_b"]);
    assert_eq!(fills(&ev).len(), 3);
}

#[test]
fn allow_short_rule_off_rejects_short_entries_even_when_the_run_allows_shorting() {
    let rules = "[[rule]]\nname = \"no_shorts\"\nkind = \"allow_short\"\nallowed = false\n";
    let s = flat("X", &[10.0; 4]);
    let mut d = Script::new(vec![
        (0, sell("X", shares(5))),
        (1, buy("X", shares(5))),
        (2, sell("X", shares(5))),
    ]);
    let (ev, out) = run_rules(shorting(), vec![s], rules, &mut d);
    assert_eq!(rule_rejections(&ev), vec!["no_shorts"]);
    assert!(
        out.open_positions.is_empty(),
        "selling the long back is an exit, allowed"
    );
}

/// Minute bars on two New York days: a fall on day one, flat on day two.
fn two_days() -> tradelab_core::BarSeries {
    let day1: Vec<_> = [100.0, 100.0, 96.0, 95.0, 95.0]
        .iter()
        .map(|&c| (c, c, c, c))
        .collect();
    let day2 = vec![(95.0, 95.0, 95.0, 95.0); 4];
    join(vec![
        ny_minutes("X", "2024-03-04", 10, 0, &day1),
        ny_minutes("X", "2024-03-05", 10, 0, &day2),
    ])
}

#[test]
fn daily_loss_circuit_breaker_blocks_entries_until_the_next_session_but_not_exits() {
    let rules = "[[rule]]\nname = \"daily_loss\"\nkind = \"daily_loss_limit_pct\"\npct = 3\n";
    // all-in at 100 (bar 1), bar 2 closes at 96: -4 % → breaker trips
    let mut d = Script::new(vec![
        (0, buy("X", Sizing::AllIn)),
        (2, sell("X", Sizing::ClosePosition)),
        (3, buy("X", shares(1))),
        (5, buy("X", shares(1))),
    ]);
    let (ev, _) = run_rules(cfg(), vec![two_days()], rules, &mut d);
    assert!(ev.iter().any(|e| matches!(
        e,
        RunEvent::Risk {
            risk: tradelab_engine::risk_engine::RiskEvent::CircuitBreakerTripped { .. },
            ..
        }
    )));
    assert_eq!(
        rule_rejections(&ev),
        vec!["daily_loss"],
        "the same-day entry is refused"
    );
    assert!(ev.iter().any(|e| matches!(
        e,
        RunEvent::Risk {
            risk: tradelab_engine::risk_engine::RiskEvent::CircuitBreakerReset { .. },
            ..
        }
    )));
    assert_eq!(fills(&ev).len(), 3, "entry, exit, next-day entry");
}

#[test]
fn drawdown_halt_liquidates_and_stops_all_trading() {
    let rules = "[[rule]]\nname = \"halt\"\nkind = \"max_drawdown_halt_pct\"\npct = 10\n";
    let s = flat("X", &[100.0, 100.0, 85.0, 80.0, 90.0, 95.0]);
    let mut d = Script::new(vec![(0, buy("X", Sizing::AllIn)), (4, buy("X", shares(1)))]);
    let (ev, out) = run_rules(cfg(), vec![s], rules, &mut d);
    assert!(
        matches!(out.status, RunStatus::Halted { .. }),
        "{:?}",
        out.status
    );
    assert!(out.open_positions.is_empty(), "liquidated");
    // halted at bar 2's close (-15 %), liquidation fills at bar 3's open
    assert_eq!(fills(&ev).last().unwrap().2, "80");
    assert_eq!(
        d.step, 2,
        "the decider is not asked at or after the halting step"
    );
    let finished = ev.last().unwrap();
    assert!(matches!(
        finished,
        RunEvent::RunFinished {
            status: RunStatus::Halted { .. },
            ..
        }
    ));
}

#[test]
fn trading_window_blocks_early_entries_and_blackouts_and_flattens_at_the_time() {
    let rules = r#"
[[rule]]
name = "window"
kind = "trading_window"
start = "09:35"
blackouts = ["09:37-09:38"]
flatten_at = "09:40"
"#;
    let bars = vec![(10.0, 10.0, 10.0, 10.0); 12];
    let s = ny_minutes("X", "2024-03-04", 9, 30, &bars);
    // decisions fill at the next bar's open: step 0 → 09:31 (early), step 4 → 09:35 ok,
    // step 6 → 09:37 (blackout), step 9 → 09:40 (after flatten time)
    let mut d = Script::new(vec![
        (0, buy("X", shares(1))),
        (4, buy("X", shares(1))),
        (6, buy("X", shares(1))),
        (9, buy("X", shares(1))),
    ]);
    let (ev, out) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(rule_rejections(&ev), vec!["window", "window", "window"]);
    assert!(ev.iter().any(|e| matches!(
        e,
        RunEvent::Risk {
            risk: tradelab_engine::risk_engine::RiskEvent::Flatten { .. },
            ..
        }
    )));
    assert!(out.open_positions.is_empty(), "flattened at 09:40");
}

#[test]
fn max_trades_per_day_counts_entries_and_resets_the_next_day() {
    let rules = "[[rule]]\nname = \"two_a_day\"\nkind = \"max_trades_per_day\"\nmax = 2\n";
    let mut d = Script::new(vec![
        (0, buy("X", shares(1))),
        (1, buy("X", shares(1))),
        (2, buy("X", shares(1))),
        (3, sell("X", shares(2))),
        (5, buy("X", shares(1))),
    ]);
    let (ev, _) = run_rules(cfg(), vec![two_days()], rules, &mut d);
    assert_eq!(rule_rejections(&ev), vec!["two_a_day"]);
    assert_eq!(fills(&ev).len(), 4);
}

#[test]
fn max_trades_per_session_resets_after_a_long_gap() {
    let rules =
        "[[rule]]\nname = \"one_per_session\"\nkind = \"max_trades_per_session\"\nmax = 1\n";
    let bars = vec![(10.0, 10.0, 10.0, 10.0); 3];
    let s = join(vec![
        ny_minutes("X", "2024-03-04", 9, 30, &bars),
        ny_minutes("X", "2024-03-04", 18, 0, &bars),
    ]);
    let mut d = Script::new(vec![
        (0, buy("X", shares(1))),
        (1, buy("X", shares(1))),
        (3, buy("X", shares(1))),
    ]);
    let (ev, _) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(rule_rejections(&ev), vec!["one_per_session"]);
    assert_eq!(fills(&ev).len(), 2);
}

#[test]
fn max_orders_per_minute_blocks_any_order_beyond_the_rate() {
    let rules = "[[rule]]\nname = \"rate\"\nkind = \"max_orders_per_minute\"\nmax = 2\n";
    let s = ny_minutes("X", "2024-03-04", 10, 0, &[(10.0, 10.0, 10.0, 10.0); 4]);
    let mut d = Script::new(vec![
        (0, buy("X", shares(1))),
        (0, buy("X", shares(1))),
        (0, buy("X", shares(1))),
        (2, buy("X", shares(1))),
    ]);
    let (ev, _) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(rule_rejections(&ev), vec!["rate"]);
    assert_eq!(fills(&ev).len(), 3);
}

#[test]
fn cooldown_after_loss_blocks_reentry_for_n_bars_of_that_symbol() {
    let rules = "[[rule]]\nname = \"cool\"\nkind = \"cooldown_after_loss\"\nbars = 2\n";
    let s = flat("X", &[10.0, 10.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0]);
    let mut d = Script::new(vec![
        (0, buy("X", shares(1))),
        (1, sell("X", Sizing::ClosePosition)),
        (2, buy("X", shares(1))),
        (4, buy("X", shares(1))),
    ]);
    // loss booked at bar 2's open; re-entry at bar 3's open is within 2 bars, at bar 5 not
    let (ev, _) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(rule_rejections(&ev), vec!["cool"]);
    assert_eq!(fills(&ev).len(), 3);
}

#[test]
fn higher_priority_rule_is_reported_first() {
    let rules = r#"
[[rule]]
name = "low"
kind = "max_order_qty"
qty = 5
priority = 2

[[rule]]
name = "high"
kind = "max_position_pct"
pct = 1
priority = 9
"#;
    let s = flat("X", &[100.0; 3]);
    let (ev, _) = run_rules(
        cfg(),
        vec![s],
        rules,
        &mut Script::new(vec![(0, buy("X", shares(10)))]),
    );
    assert_eq!(rule_rejections(&ev), vec!["high"]);
}

#[test]
fn inactive_rules_are_not_enforced() {
    let rules = "[[rule]]\nname = \"off\"\nkind = \"max_order_qty\"\nqty = 1\nactive = false\n";
    let s = flat("X", &[10.0; 3]);
    let (ev, _) = run_rules(
        cfg(),
        vec![s],
        rules,
        &mut Script::new(vec![(0, buy("X", shares(10)))]),
    );
    assert!(rule_rejections(&ev).is_empty());
}

/// Pulls the kill switch at a given step.
struct KillAt<'a> {
    control: &'a RunControl,
    at: usize,
    flatten: bool,
    step: usize,
}

impl Decider for KillAt<'_> {
    fn name(&self) -> String {
        "kill".into()
    }
    fn on_step(
        &mut self,
        _: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        let orders = &mut decision.orders;
        if self.step == 0 {
            orders.push(buy("X", shares(10)));
        }
        if self.step == self.at {
            self.control.stop(self.flatten);
        }
        self.step += 1;
        Ok(())
    }
}

fn killed(flatten: bool) -> (Vec<RunEvent>, tradelab_engine::RunOutcome, usize) {
    let control = RunControl::new();
    let engine = Engine::new(cfg(), vec![flat("X", &[10.0, 10.0, 12.0, 13.0, 14.0])]).unwrap();
    let mut d = KillAt {
        control: &control,
        at: 2,
        flatten,
        step: 0,
    };
    let mut sink = VecSink::default();
    let out = engine
        .run_with(
            &mut d,
            &mut sink,
            RunHooks {
                progress: None,
                control: Some(&control),
            },
        )
        .unwrap();
    (numbered_in_order(sink), out, d.step)
}

#[test]
fn kill_switch_with_flatten_closes_positions_at_the_last_close_and_stops() {
    let (ev, out, steps) = killed(true);
    assert_eq!(steps, 3, "no step after the stop");
    assert_eq!(out.status, RunStatus::Stopped { flattened: true });
    assert!(out.open_positions.is_empty());
    assert_eq!(fills(&ev).last().unwrap().2, "12");
    assert_eq!(out.final_equity, Money::from(10_020));
}

#[test]
fn kill_switch_without_flatten_leaves_positions_open() {
    let (_, out, _) = killed(false);
    assert_eq!(out.status, RunStatus::Stopped { flattened: false });
    assert_eq!(out.open_positions[0].qty, Quantity::from(10));
}

#[test]
fn rule_set_with_errors_is_refused_by_the_engine() {
    let rules = rule_set("[[rule]]\nname = \"x\"\nkind = \"max_order_qty\"\nqty = 1\n");
    let mut broken = rules.clone();
    broken.rules.push(broken.rules[0].clone());
    let engine = Engine::new(cfg(), vec![flat("X", &[1.0])]).unwrap();
    assert!(engine.with_rules(broken).is_err());
}

#[test]
fn trading_window_end_blocks_entries_at_and_after_the_end_but_not_exits() {
    let rules = "[[rule]]\nname = \"window\"\nkind = \"trading_window\"\nend = \"15:58\"\n";
    let bars = vec![(10.0, 10.0, 10.0, 10.0); 6];
    let s = ny_minutes("X", "2024-03-04", 15, 55, &bars);
    // step 1 fills at 15:57 (allowed); step 2 fills at 15:58 (refused); the exit at 15:59 passes
    let mut d = Script::new(vec![
        (1, buy("X", shares(1))),
        (2, buy("X", shares(1))),
        (3, sell("X", Sizing::ClosePosition)),
    ]);
    let (ev, out) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(rule_rejections(&ev), vec!["window"]);
    assert_eq!(fills(&ev).len(), 2);
    assert!(out.open_positions.is_empty());
}
