//! Semantic checks of a rule set: ranges, names, time windows and conflicts between
//! rules. Every problem is collected so a user fixes a file in one pass.

use super::echo::echo;
use super::kind::{RuleKind, TradingWindow};
use super::rule::{Rule, RuleIssue, RuleSet};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Longest rule name accepted.
const MAX_NAME_CHARS: usize = 64;

/// Every problem in `set`, rule by rule in file order, then conflicts between rules.
pub(crate) fn issues(set: &RuleSet) -> Vec<RuleIssue> {
    let mut out = Vec::new();
    for rule in &set.rules {
        check_rule(rule, &mut out);
    }
    check_conflicts(set, &mut out);
    out
}

/// The checks that concern one rule alone.
fn check_rule(rule: &Rule, out: &mut Vec<RuleIssue>) {
    let name = rule.name.as_str();
    let mut issue = |field: &str, problem: String| out.push(RuleIssue::new(name, field, problem));
    if name.trim().is_empty() {
        issue("name", "must not be empty".into());
    } else if name.trim() != name || name.chars().any(char::is_control) {
        issue(
            "name",
            "must not start or end with spaces or contain control characters".into(),
        );
    } else if name.chars().count() > MAX_NAME_CHARS {
        issue(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        );
    }
    if !(1..=10).contains(&rule.priority) {
        issue(
            "priority",
            format!("must be between 1 and 10, got {}", rule.priority),
        );
    }
    match &rule.kind {
        RuleKind::MaxPositionPct { pct, .. } => pct_in(*pct, Upper::Inclusive(100.0), &mut issue),
        RuleKind::MinCashReservePct { pct }
        | RuleKind::StopLossPct { pct }
        | RuleKind::TrailingStopPct { pct }
        | RuleKind::DailyLossLimitPct { pct }
        | RuleKind::MaxDrawdownHaltPct { pct } => pct_in(*pct, Upper::Exclusive(100.0), &mut issue),
        RuleKind::TakeProfitPct { pct } => pct_in(*pct, Upper::Inclusive(1000.0), &mut issue),
        RuleKind::MaxOpenPositions { max }
        | RuleKind::MaxTradesPerDay { max }
        | RuleKind::MaxTradesPerSession { max }
        | RuleKind::MaxOrdersPerMinute { max } => at_least_one("max", *max, &mut issue),
        RuleKind::CooldownAfterLoss { bars } => at_least_one("bars", *bars, &mut issue),
        RuleKind::MaxOrderValue { value } => positive("value", *value, &mut issue),
        RuleKind::MaxOrderQty { qty } => positive("qty", *qty, &mut issue),
        RuleKind::AllowedSymbols { symbols } | RuleKind::BlockedSymbols { symbols } => {
            if symbols.is_empty() {
                issue("symbols", "must list at least one symbol".into());
            }
            let mut seen = BTreeSet::new();
            for s in symbols {
                if !seen.insert(s) {
                    issue("symbols", format!("lists {s} twice"));
                }
            }
        }
        RuleKind::AllowShort { .. } => {}
        RuleKind::TradingWindow(w) => check_window(w, &mut issue),
    }
}

/// How a percentage is bounded above; every percentage must be finite and > 0.
enum Upper {
    Inclusive(f64),
    Exclusive(f64),
}

fn pct_in(pct: f64, upper: Upper, issue: &mut impl FnMut(&str, String)) {
    let (ok, bound) = match upper {
        Upper::Inclusive(max) => (pct <= max, format!("<= {max}")),
        Upper::Exclusive(max) => (pct < max, format!("< {max}")),
    };
    if !(pct.is_finite() && pct > 0.0 && ok) {
        issue("pct", format!("must be > 0 and {bound}, got {pct}"));
    }
}

fn at_least_one(field: &str, n: u32, issue: &mut impl FnMut(&str, String)) {
    if n < 1 {
        issue(field, format!("must be at least 1, got {n}"));
    }
}

fn positive(field: &str, d: Decimal, issue: &mut impl FnMut(&str, String)) {
    if d <= Decimal::ZERO {
        issue(field, format!("must be > 0, got {d}"));
    }
}

fn check_window(w: &TradingWindow, issue: &mut impl FnMut(&str, String)) {
    if let Some(problem) = tz_problem(&w.tz) {
        issue("tz", problem);
    }
    let named = [
        ("start", w.start),
        ("end", w.end),
        ("flatten_at", w.flatten_at),
    ];
    for (field, t) in named {
        if let Some(t) = t.filter(|t| !t.is_valid()) {
            issue(
                field,
                format!("{}:{} is not a time from 00:00 to 23:59", t.hour, t.minute),
            );
        }
    }
    if let (Some(s), Some(e)) = (w.start, w.end)
        && s >= e
    {
        issue("end", format!("must be after start ({s}), got {e}"));
    }
    if let (Some(s), Some(f)) = (w.start, w.flatten_at)
        && f <= s
    {
        issue("flatten_at", format!("must be after start ({s}), got {f}"));
    }
    for (i, b) in w.blackouts.iter().enumerate() {
        if !(b.start.is_valid() && b.end.is_valid() && b.start < b.end) {
            issue(
                &format!("blackouts[{i}]"),
                format!("must be HH:MM-HH:MM with start before end, got {b}"),
            );
        }
    }
    if let Some(exchange) = w.calendar
        && w.tz != exchange.time_zone_name()
    {
        issue(
            "tz",
            format!(
                "the {exchange} calendar's sessions are in {}; leave tz out or give that zone, got {}",
                exchange.time_zone_name(),
                w.tz
            ),
        );
    }
    if w.calendar.is_none()
        && w.start.is_none()
        && w.end.is_none()
        && w.blackouts.is_empty()
        && w.flatten_at.is_none()
    {
        issue(
            "start",
            "a trading window needs at least one of start, end, blackouts, flatten_at".into(),
        );
    }
}

/// Why `tz` is not a usable time zone, if it is not. Also called by the file loader so
/// the problem is reported even when another field of the window failed to decode.
pub(crate) fn tz_problem(tz: &str) -> Option<String> {
    jiff::tz::TimeZone::get(tz).err().map(|e| {
        format!("unknown time zone {tz:?} (use an IANA name such as America/New_York): {e}")
    })
}

/// Checks across rules: unique names, one active rule per non-repeatable kind, and no
/// symbol both allowed and blocked.
fn check_conflicts(set: &RuleSet, out: &mut Vec<RuleIssue>) {
    let mut names = BTreeSet::new();
    let mut kinds: BTreeMap<&str, &str> = BTreeMap::new();
    for rule in &set.rules {
        if !names.insert(rule.name.as_str()) {
            out.push(duplicate_name(&rule.name));
        }
        if !rule.active || rule.kind.repeatable() {
            continue;
        }
        let kind = rule.kind.kind_name();
        match kinds.get(kind) {
            Some(first) => out.push(RuleIssue::new(
                &rule.name,
                "kind",
                format!(
                    "only one active {kind} rule is allowed and rule {:?} already is one; \
                     give this rule the same name to override it, or set active = false on one",
                    echo(first)
                ),
            )),
            None => {
                kinds.insert(kind, &rule.name);
            }
        }
    }
    let allowed: Vec<(&Rule, &tradelab_core::Symbol)> = symbols_of(set, true);
    for (blocker, sym) in symbols_of(set, false) {
        if let Some((allower, _)) = allowed.iter().find(|(_, s)| *s == sym) {
            out.push(RuleIssue::new(
                &blocker.name,
                "symbols",
                format!(
                    "{sym} is blocked here but allowed by rule {:?}",
                    echo(&allower.name)
                ),
            ));
        }
    }
}

/// The issue for a later rule reusing an earlier rule's name (the file loader reports
/// it too, for rules whose kind did not decode; identical issues are merged).
pub(crate) fn duplicate_name(name: &str) -> RuleIssue {
    RuleIssue::new(
        name,
        "name",
        format!(
            "duplicate name: an earlier rule is also called {:?}; names must be unique",
            echo(name)
        ),
    )
}

/// (rule, symbol) pairs of the active allowed (or blocked) symbol lists.
fn symbols_of(set: &RuleSet, allowed: bool) -> Vec<(&Rule, &tradelab_core::Symbol)> {
    let mut pairs = Vec::new();
    for rule in set.rules.iter().filter(|r| r.active) {
        let symbols = match (&rule.kind, allowed) {
            (RuleKind::AllowedSymbols { symbols }, true)
            | (RuleKind::BlockedSymbols { symbols }, false) => symbols,
            _ => continue,
        };
        pairs.extend(symbols.iter().map(|s| (rule, s)));
    }
    pairs
}
