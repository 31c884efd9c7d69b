//! A rule set as the JSON that `tradelab rules check --output json` prints and the
//! API answers (`POST /api/v1/rules/check`, `GET /api/v1/templates/{name}`): each
//! rule as a rules file has it, with its summary and scope in words, highest priority
//! first. One function for both, so the CLI and the server cannot drift apart.

use serde_json::{Map, Value};
use tradelab_engine::risk::{Rule, RuleSet};

/// The rules in the order people read them: highest priority first, then by name.
pub fn by_priority(set: &RuleSet) -> Vec<&Rule> {
    let mut all: Vec<_> = set.rules.iter().collect();
    all.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.name.cmp(&b.name)));
    all
}

/// One rule as a rules file has it (`name`, `kind`, its parameters with exact
/// amounts as strings, …) plus its `summary` and its `scope` in words.
pub fn describe_rule(rule: &Rule) -> Value {
    let mut v = serde_json::to_value(rule).expect("a rule serializes to JSON");
    if let Some(obj) = v.as_object_mut() {
        obj.insert("summary".into(), rule.kind.summary().into());
        obj.insert("scope".into(), rule.kind.scope().to_string().into());
    }
    v
}

/// Each rule of the set described by [`describe_rule`], in [`by_priority`] order.
pub fn describe_rules(set: &RuleSet) -> Vec<Value> {
    by_priority(set).into_iter().map(describe_rule).collect()
}

/// A valid set: `{"valid": true, "rules": [...], "instructions": "..."}` with the
/// rules of [`describe_rules`].
pub fn describe(set: &RuleSet) -> Value {
    let mut out = Map::new();
    out.insert("valid".into(), true.into());
    out.insert("rules".into(), describe_rules(set).into());
    out.insert("instructions".into(), set.instructions.clone().into());
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_rules_highest_priority_first_with_summary_and_scope() {
        let set = crate::from_toml_str(
            "instructions = \"be careful\"\n\
             [[rule]]\nname = \"low\"\nkind = \"max_open_positions\"\nmax = 3\npriority = 2\n\
             [[rule]]\nname = \"stop\"\nkind = \"stop_loss_pct\"\npct = 5\npriority = 9\n",
            "test",
        )
        .expect("a valid file");
        let v = describe(&set);
        assert_eq!(v["valid"], true);
        assert_eq!(v["instructions"], "be careful");
        let names: Vec<&str> = v["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert_eq!(names, ["stop", "low"]);
        assert_eq!(v["rules"][0]["kind"], "stop_loss_pct");
        assert!(
            v["rules"][0]["summary"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
        assert!(
            v["rules"][0]["scope"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
    }
}
