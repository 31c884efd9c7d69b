//! A named, prioritized rule and the rule set a run is configured with, plus the
//! errors that decoding one can produce.

use super::echo::{PROBLEM_CHARS, echo, echo_at};
use super::kind::{Category, Origin, RuleKind};
use serde::Serialize;
use std::fmt;

/// One structured rule: a typed [`RuleKind`] plus the name, priority and provenance
/// that audit trails and listings show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rule {
    /// Unique within its rule set; names the rule in rejections and overrides.
    pub name: String,
    /// The typed parameters; serialized flat, with a `kind` key.
    #[serde(flatten)]
    pub kind: RuleKind,
    /// Grouping for listings (default: [`RuleKind::default_category`]).
    pub category: Category,
    /// Human text (default: [`RuleKind::summary`]).
    pub description: String,
    /// 1..=10; higher is checked first (default: [`RuleKind::default_priority`]).
    pub priority: u8,
    /// Inactive rules are kept (and snapshotted) but never enforced.
    pub active: bool,
    /// Who wrote the rule.
    pub origin: Origin,
}

impl Rule {
    /// A rule with every optional field at its default for `kind`: category and
    /// priority per kind, description = summary, active, origin `user`.
    pub fn new(name: impl Into<String>, kind: RuleKind) -> Rule {
        Rule {
            name: name.into(),
            category: kind.default_category(),
            description: kind.summary(),
            priority: kind.default_priority(),
            active: true,
            origin: Origin::User,
            kind,
        }
    }

    /// The same rule with another origin (builder style, for templates and agents).
    pub fn with_origin(mut self, origin: Origin) -> Rule {
        self.origin = origin;
        self
    }

    /// The same rule with another priority (builder style).
    pub fn with_priority(mut self, priority: u8) -> Rule {
        self.priority = priority;
        self
    }
}

/// The structured rules and free-text instructions a run is configured with.
///
/// Build from a parsed document with [`RuleSet::from_document`], which decodes and
/// validates (rules files are read and parsed by the `tradelab-rules-file` crate); the
/// serde `Deserialize` impl checks structure only (so old snapshots keep loading if
/// validation tightens).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RuleSet {
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// Free-text rules and guidance for an LLM decider; never enforced by the engine.
    pub instructions: String,
}

impl RuleSet {
    /// The active rules in words, highest priority first, as a decider that reads
    /// text (an LLM) is told them: `max_pos: max 20 % of equity per symbol (rejects)`,
    /// with the rule's own description when it differs from the summary.
    pub fn in_words(&self) -> Vec<String> {
        self.active_by_priority()
            .into_iter()
            .map(|r| {
                let summary = r.kind.summary();
                if r.description.is_empty() || r.description == summary {
                    format!("{}: {summary}", r.name)
                } else {
                    format!("{}: {summary} — {}", r.name, r.description)
                }
            })
            .collect()
    }

    /// Active rules, highest priority first, ties broken by name, so enforcement and
    /// its audit trail are deterministic whatever the file order.
    pub fn active_by_priority(&self) -> Vec<&Rule> {
        let mut active: Vec<&Rule> = self.rules.iter().filter(|r| r.active).collect();
        active.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
        active
    }

    /// This set with `other` layered on top: a rule of `other` replaces the rule of the
    /// same name in place, new names are appended; `other`'s instructions replace
    /// these unless blank. Used for a template plus a user's overrides.
    ///
    /// Linear in the number of rules: names are looked up in a map, not searched.
    pub fn merged(&self, other: &RuleSet) -> RuleSet {
        let mut rules = self.rules.clone();
        let mut at: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(rules.len() + other.rules.len());
        for (i, r) in rules.iter().enumerate() {
            at.entry(r.name.clone()).or_insert(i);
        }
        for rule in &other.rules {
            match at.get(rule.name.as_str()) {
                Some(&i) => rules[i] = rule.clone(),
                None => {
                    at.insert(rule.name.clone(), rules.len());
                    rules.push(rule.clone());
                }
            }
        }
        let instructions = if other.instructions.trim().is_empty() {
            self.instructions.clone()
        } else {
            other.instructions.clone()
        };
        RuleSet {
            rules,
            instructions,
        }
    }

    /// The rule with this name, if any.
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// Whether short entries are allowed: only when an active `allow_short` rule says
    /// so (shorting is off by default).
    pub fn shorts_allowed(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.active && matches!(r.kind, RuleKind::AllowShort { allowed: true }))
    }

    /// Checks every rule and the set as a whole, returning all problems at once.
    pub fn validate(&self) -> Result<(), Vec<RuleIssue>> {
        let issues = super::validate::issues(self);
        if issues.is_empty() {
            Ok(())
        } else {
            Err(issues)
        }
    }
}

/// One problem with one field of one rule, e.g.
/// `rule "tight_stop" field pct: must be > 0 and < 100, got 150`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleIssue {
    /// The rule's name (or `#N`, its 1-based position, when it has none); empty for a
    /// problem with the file's top level.
    pub rule: String,
    /// The offending key, e.g. `pct` or `blackouts[1]`.
    pub field: String,
    /// What is wrong, with the value found.
    pub problem: String,
}

impl RuleIssue {
    /// Builds an issue.
    pub fn new(rule: &str, field: &str, problem: impl Into<String>) -> RuleIssue {
        RuleIssue {
            rule: rule.to_string(),
            field: field.to_string(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for RuleIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names, keys and problems quote the file: cut what is too long to repeat.
        let field = echo(&self.field);
        let problem = echo_at(&self.problem, PROBLEM_CHARS);
        if self.rule.is_empty() {
            write!(f, "top-level field {field}: {problem}")
        } else {
            write!(f, "rule {:?} field {field}: {problem}", echo(&self.rule))
        }
    }
}

/// Why a rule set could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleSetError {
    /// The document parsed but some rules are wrong; every problem is listed.
    #[error("{source_name}: {} problem(s) in rules:{}", issues.len(), list_issues(issues))]
    Invalid {
        /// The file name or other label of the text.
        source_name: String,
        /// Every problem found, in file order.
        issues: Vec<RuleIssue>,
    },
    /// No built-in template has this name.
    #[error("unknown rule template {:?}; known templates: {}", echo(name), known.join(", "))]
    UnknownTemplate {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: Vec<&'static str>,
    },
}

/// Each issue on its own indented line.
fn list_issues(issues: &[RuleIssue]) -> String {
    issues.iter().map(|i| format!("\n  {i}")).collect()
}
