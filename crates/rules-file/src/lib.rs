//! Rules files: TOML or JSON text → the engine's [`RuleSet`], and a set back to TOML.
//!
//! The engine owns the rule model (kinds, validation, decoding of a parsed document,
//! templates); this crate owns the text formats, so the engine does not depend on a
//! TOML parser. Both formats are parsed into one JSON value and handed to
//! [`RuleSet::from_document`], which reports every problem at once, each naming the
//! rule and the field. A syntax error keeps the parser's line and column, with each of
//! its lines cut to [`PROBLEM_CHARS`] characters (parsers quote the input).
//!
//! The file format is documented in [`tradelab_engine::risk`]. A loaded set is
//! described as JSON by [`describe`] (the CLI's `rules check --output json`, the
//! API's rules check and template detail).

mod describe;

pub use describe::{by_priority, describe, describe_rule, describe_rules};

use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tradelab_engine::risk::{PROBLEM_CHARS, Rule, RuleSet, RuleSetError, echo_at};

/// Why a rules file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesFileError {
    /// The file could not be read.
    #[error("cannot read rules file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file's extension is neither `.toml` nor `.json`.
    #[error("rules file {} must end in .toml or .json", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The text is not valid TOML or JSON; the message has the line and column (each
    /// of its lines cut to [`PROBLEM_CHARS`] characters: parsers quote the input).
    #[error("{source_name}: {}", echo_lines(message))]
    Parse {
        /// The file name or other label of the text.
        source_name: String,
        /// The parser's message.
        message: String,
    },
    /// The text parsed but the rules are wrong (every problem is listed).
    #[error(transparent)]
    Rules(#[from] RuleSetError),
}

/// Parses and validates a TOML rule file; `source` labels errors (e.g. the path).
pub fn from_toml_str(text: &str, source: &str) -> Result<RuleSet, RulesFileError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| RulesFileError::Parse {
        source_name: source.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    Ok(RuleSet::from_document(
        toml_to_json(toml::Value::Table(table)),
        source,
    )?)
}

/// Parses and validates a JSON rule file; `source` labels errors.
pub fn from_json_str(text: &str, source: &str) -> Result<RuleSet, RulesFileError> {
    let value: Value = serde_json::from_str(text).map_err(|e| RulesFileError::Parse {
        source_name: source.to_string(),
        message: e.to_string(),
    })?;
    Ok(RuleSet::from_document(value, source)?)
}

/// Reads, parses and validates a rule file, choosing the format by extension
/// (`.toml` or `.json`, any case).
pub fn load(path: &Path) -> Result<RuleSet, RulesFileError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let parse = match ext.as_deref() {
        Some("toml") => from_toml_str,
        Some("json") => from_json_str,
        _ => return Err(RulesFileError::UnknownFormat { path: path.into() }),
    };
    let text = std::fs::read_to_string(path).map_err(|source| RulesFileError::Io {
        path: path.into(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

/// The set as a TOML rule file (`instructions`, then one `[[rule]]` per rule, every
/// field written out); loading it gives back an equal set.
pub fn to_toml(set: &RuleSet) -> String {
    #[derive(Serialize)]
    struct TomlFile<'a> {
        #[serde(skip_serializing_if = "str::is_empty")]
        instructions: &'a str,
        rule: &'a [Rule],
    }
    let file = TomlFile {
        instructions: &set.instructions,
        rule: &set.rules,
    };
    toml::to_string_pretty(&file).expect("rule sets contain only TOML-representable values")
}

/// TOML value → JSON value. Datetimes (e.g. an unquoted `09:35:00`) become their text;
/// non-finite floats become text so that decoding reports them by field.
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map_or_else(|| Value::String(f.to_string()), Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// A parser message with each line cut by [`echo_at`].
fn echo_lines(message: &str) -> String {
    message
        .lines()
        .map(|l| echo_at(l, PROBLEM_CHARS))
        .collect::<Vec<_>>()
        .join("\n")
}
