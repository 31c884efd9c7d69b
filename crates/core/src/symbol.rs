//! Instrument identifiers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A ticker such as `AAPL` or `ES`. Cheap to clone (shared string).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Symbol(Arc<str>);

/// Why a text is not a valid symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    #[error("symbol is empty")]
    Empty,
    #[error("symbol {0:?} is longer than 32 characters")]
    TooLong(String),
    #[error("symbol {0:?} contains {1:?}; allowed are letters, digits and . - _ / : ^ =")]
    InvalidChar(String, char),
}

impl Symbol {
    /// Validates and creates a symbol; surrounding whitespace is trimmed.
    pub fn new(text: &str) -> Result<Self, SymbolError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(SymbolError::Empty);
        }
        if t.chars().count() > 32 {
            return Err(SymbolError::TooLong(t.to_string()));
        }
        if let Some(c) = t
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".-_/:^=".contains(*c)))
        {
            return Err(SymbolError::InvalidChar(t.to_string(), c));
        }
        Ok(Symbol(Arc::from(t)))
    }

    /// The ticker text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Symbol {
    type Error = SymbolError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Symbol::new(&s)
    }
}

impl From<Symbol> for String {
    fn from(s: Symbol) -> String {
        s.0.to_string()
    }
}

impl std::str::FromStr for Symbol {
    type Err = SymbolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Symbol::new(s)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_tickers() {
        for t in ["AAPL", "BRK.B", "ES", "EUR/USD", "^GSPC", "BTC-USD"] {
            assert_eq!(Symbol::new(t).unwrap().as_str(), t);
        }
    }

    #[test]
    fn rejects_empty_and_spaces() {
        assert_eq!(Symbol::new("  "), Err(SymbolError::Empty));
        assert!(matches!(
            Symbol::new("A B"),
            Err(SymbolError::InvalidChar(_, ' '))
        ));
    }
}
