//! The field separator of a CSV file: detected from the header line, or forced by
//! `--delimiter`. Both the fast path and the `csv`-crate path split on it.

use std::fmt;

/// A field separator tradelab reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Delimiter {
    /// `,` (the default, and what tradelab writes).
    #[default]
    Comma,
    /// `;` (common where the decimal separator is a comma).
    Semicolon,
    /// A tab character.
    Tab,
    /// `|`.
    Pipe,
}

impl Delimiter {
    /// Every delimiter, in the order detection prefers them on a tie.
    pub const ALL: [Delimiter; 4] = [
        Delimiter::Comma,
        Delimiter::Semicolon,
        Delimiter::Tab,
        Delimiter::Pipe,
    ];

    /// The separator byte.
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
            Delimiter::Pipe => b'|',
        }
    }

    /// The name `--delimiter` takes (`comma`, `semicolon`, `tab`, `pipe`).
    pub fn name(self) -> &'static str {
        match self {
            Delimiter::Comma => "comma",
            Delimiter::Semicolon => "semicolon",
            Delimiter::Tab => "tab",
            Delimiter::Pipe => "pipe",
        }
    }

    /// The separator of a CSV text, read from its first line: the candidate that
    /// occurs most often outside quotes (comma first on a tie; comma when none occurs).
    pub fn detect(bytes: &[u8]) -> Delimiter {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let line = match memchr::memchr(b'\n', bytes) {
            Some(end) => &bytes[..end],
            None => bytes,
        };
        let mut counts = [0usize; 4];
        let mut quoted = false;
        for &b in line {
            if b == b'"' {
                quoted = !quoted;
            } else if !quoted && let Some(k) = Self::ALL.iter().position(|d| d.byte() == b) {
                counts[k] += 1;
            }
        }
        let mut best = Delimiter::Comma;
        let mut most = 0;
        for (d, &n) in Self::ALL.iter().zip(&counts) {
            if n > most {
                most = n;
                best = *d;
            }
        }
        best
    }
}

impl fmt::Display for Delimiter {
    /// The name and the character, e.g. `semicolon (;)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Delimiter::Tab => f.write_str("tab"),
            d => write!(f, "{} ({})", d.name(), char::from(d.byte())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_separator_of_the_header_line() {
        assert_eq!(
            Delimiter::detect(b"Date,Open,High\n1,2,3"),
            Delimiter::Comma
        );
        assert_eq!(
            Delimiter::detect(b"Date;Open;High\n2020-01-02;1,5;2,5"),
            Delimiter::Semicolon
        );
        assert_eq!(Delimiter::detect(b"Date\tOpen\tHigh\n"), Delimiter::Tab);
        assert_eq!(
            Delimiter::detect(b"\xEF\xBB\xBFDate|Open|High"),
            Delimiter::Pipe
        );
        assert_eq!(Delimiter::detect(b"\"a;b\",c\n"), Delimiter::Comma);
        assert_eq!(Delimiter::detect(b"price\n1\n"), Delimiter::Comma);
        assert_eq!(Delimiter::detect(b""), Delimiter::Comma);
    }
}
