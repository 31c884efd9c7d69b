//! Field-by-field decoding of one rule's keys, turning each missing, mistyped or
//! unknown key into a [`RuleIssue`] that names the rule and the key.

use super::rule::RuleIssue;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The keys of one rule, consumed one by one; whatever is left at the end is unknown.
pub(crate) struct Fields<'a> {
    label: &'a str,
    map: Map<String, Value>,
    expected: Vec<&'static str>,
    issues: &'a mut Vec<RuleIssue>,
    /// Set when the kind is unknown, so its parameters cannot be judged.
    pub(crate) skip_unknown: bool,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(
        label: &'a str,
        map: Map<String, Value>,
        issues: &'a mut Vec<RuleIssue>,
    ) -> Self {
        Fields {
            label,
            map,
            expected: Vec::new(),
            issues,
            skip_unknown: false,
        }
    }

    pub(crate) fn issue(&mut self, field: &str, problem: String) {
        self.issues.push(RuleIssue::new(self.label, field, problem));
    }

    pub(crate) fn take(&mut self, key: &'static str) -> Option<Value> {
        self.expected.push(key);
        self.map.remove(key)
    }

    pub(crate) fn parse<T: DeserializeOwned>(&mut self, key: &str, value: Value) -> Option<T> {
        // TOML's nan/inf arrive as text (JSON has no such numbers); say so plainly.
        let non_finite = match &value {
            Value::String(s) => s.parse::<f64>().is_ok_and(|f| !f.is_finite()),
            _ => false,
        };
        serde_json::from_value(value.clone())
            .map_err(|e| {
                let problem = if non_finite {
                    format!("must be a finite number, got {value}")
                } else {
                    e.to_string()
                };
                self.issue(key, problem);
            })
            .ok()
    }

    /// A required key; `None` (with an issue) when missing or malformed.
    pub(crate) fn req<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<T> {
        match self.take(key) {
            Some(v) => self.parse(key, v),
            None => {
                self.issue(key, "is required".into());
                None
            }
        }
    }

    /// An optional key: `Some(None)` when absent, `None` when malformed.
    pub(crate) fn opt<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<Option<T>> {
        match self.take(key) {
            Some(v) => self.parse(key, v).map(Some),
            None => Some(None),
        }
    }

    /// A list whose items are checked one by one (issues name `key[i]`).
    pub(crate) fn opt_list<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<Vec<T>> {
        let items = match self.take(key) {
            None => return Some(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.issue(key, format!("must be a list, got {}", kind_of(&other)));
                return None;
            }
        };
        let parsed: Vec<Option<T>> = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| self.parse(&format!("{key}[{i}]"), v))
            .collect();
        parsed.into_iter().collect()
    }

    /// A required list, checked item by item.
    pub(crate) fn list<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<Vec<T>> {
        if !self.map.contains_key(key) {
            self.expected.push(key);
            self.issue(key, "is required".into());
            return None;
        }
        self.opt_list(key)
    }

    /// A required whole number; range (>= 1) is checked by validation.
    pub(crate) fn count(&mut self, key: &'static str) -> Option<u32> {
        let n: i64 = self.req(key)?;
        u32::try_from(n)
            .map_err(|_| self.issue(key, format!("must be a whole number >= 1, got {n}")))
            .ok()
    }

    /// The optional `priority`; range (1..=10) is checked by validation.
    pub(crate) fn priority(&mut self) -> Option<u8> {
        let n: i64 = self.opt("priority").flatten()?;
        u8::try_from(n)
            .map_err(|_| self.issue("priority", format!("must be between 1 and 10, got {n}")))
            .ok()
    }

    /// Reports every key nobody asked for.
    pub(crate) fn finish(self) {
        if self.skip_unknown {
            return;
        }
        for key in self.map.keys() {
            let problem = format!(
                "unknown field; expected one of: {}",
                self.expected.join(", ")
            );
            self.issues.push(RuleIssue::new(self.label, key, problem));
        }
    }
}

/// `string`, `number`, … for messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}
