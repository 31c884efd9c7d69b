//! Decoding a rule document (a rules file once parsed, or a stored snapshot).
//!
//! Text formats are parsed elsewhere (`tradelab-rules-file` reads TOML and JSON files)
//! into a JSON value; here it is decoded field by field so that every structural
//! mistake (missing or unknown key, wrong type, bad time, unknown kind) becomes a
//! [`RuleIssue`] naming the rule and field, and all of them are reported together with
//! the semantic problems found by validation.

use super::fields::{Fields, kind_of};
use super::kind::{Breach, Category, KIND_NAMES, Origin, RuleKind, TradingWindow};
use super::rule::{Rule, RuleIssue, RuleSet, RuleSetError};
use super::time::{LocalTime, TimeRange};
use super::validate::tz_problem;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

impl RuleSet {
    /// Decodes and validates a rule document already parsed into a JSON value (a rules
    /// file read by `tradelab-rules-file`, or rules rebuilt from the store); `source`
    /// labels errors (e.g. the path). Every problem is reported at once, each naming
    /// the rule and the field.
    pub fn from_document(document: Value, source: &str) -> Result<RuleSet, RuleSetError> {
        load_value(document, source)
    }

    /// The set as pretty JSON (`{"rules": [...], "instructions": "..."}`); decoding it
    /// gives back an equal set.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("rule sets always serialize to JSON")
    }
}

/// Decodes and validates a parsed file, ordering issues by the rule they name.
fn load_value(value: Value, source: &str) -> Result<RuleSet, RuleSetError> {
    let (set, labels, mut issues) = decode_set(value);
    // Rules whose kind failed to decode are not in `set`: check their names here too.
    let mut seen = std::collections::BTreeSet::new();
    for label in &labels {
        if !label.starts_with('#') && !seen.insert(label) {
            issues.push(super::validate::duplicate_name(label));
        }
    }
    issues.extend(super::validate::issues(&set));
    if issues.is_empty() {
        return Ok(set);
    }
    // Identical issues once (first kept), in time linear in their number.
    let mut seen = std::collections::HashSet::with_capacity(issues.len());
    let mut issues: Vec<RuleIssue> = issues
        .into_iter()
        .filter(|i| seen.insert((i.rule.clone(), i.field.clone(), i.problem.clone())))
        .collect();
    // Top-level problems first, then rule by rule in file order (stable); a label's
    // position is its first occurrence, looked up in a map.
    let mut first_at: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(labels.len());
    for (p, l) in labels.iter().enumerate() {
        first_at.entry(l.as_str()).or_insert(p + 1);
    }
    issues.sort_by_key(|i| match i.rule.as_str() {
        "" => 0,
        name => first_at.get(name).copied().unwrap_or(usize::MAX),
    });
    Err(RuleSetError::Invalid {
        source_name: source.to_string(),
        issues,
    })
}

/// Decodes the file structure: the set of rules that decoded, the label of every rule
/// in file order (its name, or `#N`), and the structural issues found.
fn decode_set(value: Value) -> (RuleSet, Vec<String>, Vec<RuleIssue>) {
    let mut issues = Vec::new();
    let mut set = RuleSet::default();
    let mut labels = Vec::new();
    let Value::Object(mut map) = value else {
        issues.push(RuleIssue::new("", "(document)", "must be a table of keys"));
        return (set, labels, issues);
    };
    match map.remove("instructions") {
        None => {}
        Some(Value::String(s)) => set.instructions = s,
        Some(other) => issues.push(RuleIssue::new(
            "",
            "instructions",
            format!("must be a string, got {}", kind_of(&other)),
        )),
    }
    let rules = match (map.remove("rule"), map.remove("rules")) {
        (Some(_), Some(_)) => {
            issues.push(RuleIssue::new(
                "",
                "rule",
                "give either `rule` or `rules`, not both",
            ));
            Vec::new()
        }
        (Some(Value::Array(a)), None) | (None, Some(Value::Array(a))) => a,
        (None, None) => Vec::new(),
        (Some(other), None) | (None, Some(other)) => {
            issues.push(RuleIssue::new(
                "",
                "rule",
                format!(
                    "must be a list of rules (in TOML write [[rule]], not [rule]), got {}",
                    kind_of(&other)
                ),
            ));
            Vec::new()
        }
    };
    for key in map.keys() {
        issues.push(RuleIssue::new(
            "",
            key,
            "unknown key; expected `instructions` and `rule`",
        ));
    }
    for (i, item) in rules.into_iter().enumerate() {
        let label = match item.get("name") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("#{}", i + 1),
        };
        if let Some(rule) = decode_rule(&label, item, &mut issues) {
            set.rules.push(rule);
        }
        labels.push(label);
    }
    (set, labels, issues)
}

/// Decodes one rule; `None` when its kind could not be decoded (issues say why).
fn decode_rule(label: &str, item: Value, issues: &mut Vec<RuleIssue>) -> Option<Rule> {
    let Value::Object(map) = item else {
        issues.push(RuleIssue::new(label, "(rule)", "must be a table of keys"));
        return None;
    };
    let mut f = Fields::new(label, map, issues);
    let name = f.req::<String>("name");
    let kind = decode_kind(&mut f);
    let category = f.opt::<Category>("category").flatten();
    let description = f.opt::<String>("description").flatten();
    let priority = f.priority();
    let active = f.opt::<bool>("active").flatten();
    let origin = f.opt::<Origin>("origin").flatten();
    f.finish();
    let kind = kind?;
    Some(Rule {
        name: name.unwrap_or_else(|| label.to_string()),
        category: category.unwrap_or_else(|| kind.default_category()),
        description: description.unwrap_or_else(|| kind.summary()),
        priority: priority.unwrap_or_else(|| kind.default_priority()),
        active: active.unwrap_or(true),
        origin: origin.unwrap_or_default(),
        kind,
    })
}

/// Reads the `kind` key and that kind's parameters.
fn decode_kind(f: &mut Fields<'_>) -> Option<RuleKind> {
    let Some(kind) = f.req::<String>("kind") else {
        f.skip_unknown = true;
        return None;
    };
    let kind = match kind.as_str() {
        "max_position_pct" => {
            let (pct, on_breach) = (f.req("pct"), f.opt::<Breach>("on_breach"));
            RuleKind::MaxPositionPct {
                pct: pct?,
                on_breach: on_breach?.unwrap_or_default(),
            }
        }
        "max_open_positions" => RuleKind::MaxOpenPositions {
            max: f.count("max")?,
        },
        "min_cash_reserve_pct" => RuleKind::MinCashReservePct { pct: f.req("pct")? },
        "max_order_value" => RuleKind::MaxOrderValue {
            value: f.req("value")?,
        },
        "max_order_qty" => RuleKind::MaxOrderQty { qty: f.req("qty")? },
        "allowed_symbols" => RuleKind::AllowedSymbols {
            symbols: f.list("symbols")?,
        },
        "blocked_symbols" => RuleKind::BlockedSymbols {
            symbols: f.list("symbols")?,
        },
        "allow_short" => RuleKind::AllowShort {
            allowed: f.opt("allowed")?.unwrap_or(true),
        },
        "stop_loss_pct" => RuleKind::StopLossPct { pct: f.req("pct")? },
        "take_profit_pct" => RuleKind::TakeProfitPct { pct: f.req("pct")? },
        "trailing_stop_pct" => RuleKind::TrailingStopPct { pct: f.req("pct")? },
        "daily_loss_limit_pct" => RuleKind::DailyLossLimitPct { pct: f.req("pct")? },
        "max_drawdown_halt_pct" => RuleKind::MaxDrawdownHaltPct { pct: f.req("pct")? },
        "trading_window" => {
            let tz = f.opt::<String>("tz");
            let start = f.opt::<LocalTime>("start");
            let end = f.opt::<LocalTime>("end");
            let blackouts = f.opt_list::<TimeRange>("blackouts");
            let flatten_at = f.opt::<LocalTime>("flatten_at");
            let calendar = match f.opt::<String>("calendar") {
                Some(Some(name)) => match name.parse::<tradelab_calendar::Exchange>() {
                    Ok(exchange) => Some(Some(exchange)),
                    Err(e) => {
                        f.issue("calendar", e.to_string());
                        None
                    }
                },
                Some(None) => Some(None),
                None => None,
            };
            if let Some(problem) = tz.as_ref().and_then(|t| t.as_deref()).and_then(tz_problem) {
                f.issue("tz", problem); // identical to validation's; merged when both fire
            }
            let calendar = calendar?;
            RuleKind::TradingWindow(TradingWindow {
                tz: tz?.unwrap_or_else(|| {
                    calendar
                        .map_or(super::kind::DEFAULT_TZ, |c| c.time_zone_name())
                        .to_string()
                }),
                start: start?,
                end: end?,
                blackouts: blackouts?,
                flatten_at: flatten_at?,
                calendar,
            })
        }
        "max_trades_per_day" => RuleKind::MaxTradesPerDay {
            max: f.count("max")?,
        },
        "max_trades_per_session" => RuleKind::MaxTradesPerSession {
            max: f.count("max")?,
        },
        "max_orders_per_minute" => RuleKind::MaxOrdersPerMinute {
            max: f.count("max")?,
        },
        "cooldown_after_loss" => RuleKind::CooldownAfterLoss {
            bars: f.count("bars")?,
        },
        other => {
            f.issue(
                "kind",
                format!(
                    "unknown kind {other:?}; known kinds: {}",
                    KIND_NAMES.join(", ")
                ),
            );
            f.skip_unknown = true;
            return None;
        }
    };
    Some(kind)
}

/// Joins issues for a serde error message.
fn joined(issues: &[RuleIssue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Structural decoding only (no range checks), so stored snapshots keep loading.
impl<'de> Deserialize<'de> for RuleSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (set, _, issues) = decode_set(Value::deserialize(d)?);
        if issues.is_empty() {
            Ok(set)
        } else {
            Err(D::Error::custom(joined(&issues)))
        }
    }
}

/// Structural decoding only (no range checks), like [`RuleSet`]'s.
impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut issues = Vec::new();
        let value = Value::deserialize(d)?;
        let label = value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("#1")
            .to_string();
        match decode_rule(&label, value, &mut issues) {
            Some(rule) if issues.is_empty() => Ok(rule),
            _ => Err(D::Error::custom(joined(&issues))),
        }
    }
}
