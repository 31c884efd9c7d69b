//! A trading window on the exchange calendar: shut days refuse entries, an early close
//! moves the end and the flatten time earlier, and the regular session is the default
//! window.

mod common;

use common::*;
use tradelab_engine::RunEvent;
use tradelab_engine::risk_engine::RiskEvent;

/// The local times of the flatten events.
fn flatten_times(events: &[RunEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Risk {
                risk: RiskEvent::Flatten { local_time, .. },
                ..
            } => Some(local_time.clone()),
            _ => None,
        })
        .collect()
}

/// The texts of the orders refused by rules.
fn refusal_texts(events: &[RunEvent]) -> Vec<String> {
    rejections(events)
        .into_iter()
        .map(|r| r.to_string())
        .collect()
}

const FLAT: (f64, f64, f64, f64) = (10.0, 10.0, 10.0, 10.0);

#[test]
fn flatten_time_moves_earlier_by_an_early_close_on_the_nyse_calendar() {
    let rules = "[[rule]]\nname = \"window\"\nkind = \"trading_window\"\nflatten_at = \"15:55\"\ncalendar = \"nyse\"\n";
    // The day after Thanksgiving 2024 closes at 13:00: 15:55 on a usual day is 12:55.
    let s = ny_minutes("X", "2024-11-29", 12, 50, &[FLAT; 10]);
    let mut d = Script::new(vec![(0, buy("X", shares(1))), (6, buy("X", shares(1)))]);
    let (ev, out) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(flatten_times(&ev), ["12:55"]);
    assert!(out.open_positions.is_empty(), "flattened at 12:55");
    let refused = refusal_texts(&ev);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].contains("12:55 (15:55 on a usual day)"),
        "{refused:?}"
    );
}

#[test]
fn without_the_calendar_the_flatten_time_stays_on_an_early_close() {
    let rules = "[[rule]]\nname = \"window\"\nkind = \"trading_window\"\nflatten_at = \"15:55\"\n";
    let s = ny_minutes("X", "2024-11-29", 12, 50, &[FLAT; 10]);
    let mut d = Script::new(vec![(0, buy("X", shares(1)))]);
    let (ev, out) = run_rules(cfg(), vec![s], rules, &mut d);
    assert!(flatten_times(&ev).is_empty());
    assert_eq!(out.open_positions.len(), 1);
}

#[test]
fn a_usual_day_on_the_nyse_calendar_flattens_at_the_stated_time() {
    let rules = "[[rule]]\nname = \"window\"\nkind = \"trading_window\"\nflatten_at = \"15:55\"\ncalendar = \"nyse\"\n";
    let s = ny_minutes("X", "2024-11-27", 15, 50, &[FLAT; 8]);
    let mut d = Script::new(vec![(0, buy("X", shares(1)))]);
    let (ev, _) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(flatten_times(&ev), ["15:55"]);
}

#[test]
fn refuses_entries_on_a_day_the_exchange_is_shut() {
    let rules = "[[rule]]\nname = \"window\"\nkind = \"trading_window\"\ncalendar = \"nyse\"\n";
    // Bars stamped on Christmas Day (a data error, or a feed that should not trade).
    let s = ny_minutes("X", "2024-12-25", 10, 0, &[FLAT; 4]);
    let mut d = Script::new(vec![(0, buy("X", shares(1)))]);
    let (ev, out) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(rule_rejections(&ev), ["window"]);
    let refused = refusal_texts(&ev);
    assert!(
        refused[0].contains("2024-12-25") && refused[0].contains("Christmas"),
        "{refused:?}"
    );
    assert!(out.open_positions.is_empty());
}

#[test]
fn the_regular_session_is_the_window_when_start_and_end_are_left_out() {
    let rules = "[[rule]]\nname = \"window\"\nkind = \"trading_window\"\ncalendar = \"nyse\"\n";
    // Pre-market from 09:27: the entry filling at 09:28 is refused, the one at 09:31
    // passes (the window is 09:30-16:00).
    let s = ny_minutes("X", "2024-03-04", 9, 27, &[FLAT; 6]);
    let mut d = Script::new(vec![(0, buy("X", shares(1))), (3, buy("X", shares(1)))]);
    let (ev, _) = run_rules(cfg(), vec![s], rules, &mut d);
    assert_eq!(rule_rejections(&ev), ["window"]);
    assert_eq!(fills(&ev).len(), 1);
}

#[test]
fn the_session_end_moves_with_an_early_close() {
    let rules = "[[rule]]\nname = \"window\"\nkind = \"trading_window\"\ncalendar = \"nyse\"\n";
    // After the 13:00 close of 2024-11-29 an entry is outside the session.
    let s = ny_minutes("X", "2024-11-29", 12, 58, &[FLAT; 4]);
    let mut d = Script::new(vec![(0, buy("X", shares(1))), (1, buy("X", shares(1)))]);
    let (ev, _) = run_rules(cfg(), vec![s], rules, &mut d);
    // step 0 fills at 12:59 (inside), step 1 at 13:00 (the close: outside)
    assert_eq!(rule_rejections(&ev), ["window"]);
}

#[test]
fn a_calendar_window_names_unknown_exchanges_and_a_conflicting_time_zone() {
    let unknown = "[[rule]]\nname = \"w\"\nkind = \"trading_window\"\ncalendar = \"lse\"\n";
    let err = tradelab_engine::risk::RuleSet::from_document(document(unknown), "rules.toml")
        .expect_err("unknown exchange");
    let text = err.to_string();
    assert!(text.contains("calendar") && text.contains("lse"), "{text}");
    let zone = "[[rule]]\nname = \"w\"\nkind = \"trading_window\"\ncalendar = \"crypto\"\ntz = \"America/New_York\"\n";
    let err = tradelab_engine::risk::RuleSet::from_document(document(zone), "rules.toml")
        .expect_err("zone conflict");
    let text = err.to_string();
    assert!(text.contains("tz") && text.contains("UTC"), "{text}");
    let set = rule_set("[[rule]]\nname = \"w\"\nkind = \"trading_window\"\ncalendar = \"nyse\"\n");
    let summary = set.rules[0].kind.summary();
    assert_eq!(
        summary,
        "entries in the regular session America/New_York, on the nyse calendar"
    );
}

/// The JSON document of test rule text (see [`rule_set`]), for decoding errors.
fn document(text: &str) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = text
        .split("[[rule]]")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut rule = serde_json::Map::new();
            for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let (key, value) = line.split_once('=').expect("key = value");
                let value = serde_json::from_str(value.trim()).expect("JSON literal");
                rule.insert(key.trim().to_string(), value);
            }
            serde_json::Value::Object(rule)
        })
        .collect();
    serde_json::json!({ "rules": rules })
}

/// Minute bars around midnight UTC (18:55-19:04 in New York): a fall, then flat.
fn around_utc_midnight() -> tradelab_core::BarSeries {
    let closes = [100.0, 100.0, 96.0, 95.0, 95.0, 95.0, 95.0, 95.0, 95.0, 95.0];
    let bars: Vec<_> = closes.iter().map(|&c| (c, c, c, c)).collect();
    ny_minutes("X", "2024-03-04", 18, 55, &bars)
}

fn breaker_run(rules: &str) -> Vec<RunEvent> {
    // all-in at 100, a 4 % loss trips the breaker, the position is closed, and an
    // entry fills at 00:01 UTC (19:01 in New York)
    let mut d = Script::new(vec![
        (0, buy("X", tradelab_core::Sizing::AllIn)),
        (2, sell("X", tradelab_core::Sizing::ClosePosition)),
        (5, buy("X", shares(1))),
    ]);
    run_rules(cfg(), vec![around_utc_midnight()], rules, &mut d).0
}

#[test]
fn the_daily_loss_day_is_the_calendars_day() {
    let loss = "[[rule]]\nname = \"daily_loss\"\nkind = \"daily_loss_limit_pct\"\npct = 3\n";
    let crypto = format!(
        "{loss}[[rule]]\nname = \"window\"\nkind = \"trading_window\"\ncalendar = \"crypto\"\n"
    );
    // On the crypto calendar a new day starts at midnight UTC: the breaker resets.
    let ev = breaker_run(&crypto);
    assert!(
        rule_rejections(&ev).is_empty(),
        "{:?}",
        rule_rejections(&ev)
    );
    assert_eq!(fills(&ev).len(), 3);
    // On New York's clock it is still the same day: the entry waits.
    let ev = breaker_run(loss);
    assert_eq!(rule_rejections(&ev), ["daily_loss"]);
}
