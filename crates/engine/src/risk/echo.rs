//! Quoting user input back in messages without flooding the terminal: a 10 MB rule
//! name is shown as its first characters and its size, never in full.

use std::borrow::Cow;

/// Characters of user input an error message repeats before cutting it.
pub const ECHO_CHARS: usize = 60;

/// Characters of a longer text that may quote input (a problem, a line of a parser's
/// message) shown before it is cut with [`echo_at`].
pub const PROBLEM_CHARS: usize = 300;

/// `text` for an error message: unchanged when at most [`ECHO_CHARS`] characters,
/// else its first [`ECHO_CHARS`] characters, `…` and its length in bytes, e.g.
/// `aaaa…aaaa… (10485760 bytes)`.
pub fn echo(text: &str) -> Cow<'_, str> {
    echo_at(text, ECHO_CHARS)
}

/// [`echo`] with another limit, for longer texts that quote input (parser messages).
pub fn echo_at(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}… ({} bytes)", &text[..cut], text.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_echoed_as_is_and_long_text_is_cut_with_its_size() {
        assert_eq!(echo("tight_stop"), "tight_stop");
        let exact = "é".repeat(ECHO_CHARS);
        assert_eq!(echo(&exact), exact.as_str());
        let long = "é".repeat(1_000_000);
        let shown = echo(&long);
        assert_eq!(
            shown,
            format!("{}… (2000000 bytes)", "é".repeat(ECHO_CHARS))
        );
        assert_eq!(echo_at("abcdef", 3), "abc… (6 bytes)");
    }
}
