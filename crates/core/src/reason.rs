//! Why an order was asked for: the decision's reasoning, kept in the audit trail.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// The reasoning behind an order intent: a text, or a fixed phrase around one or two
/// numbers that is written out only when someone reads it.
///
/// Rule-based strategies decide often and explain each decision with the same phrase
/// and fresh numbers ("SMA(10) 101.25 crossed above SMA(20) 100.90"). Writing those
/// numbers on every signal cost more than the decision itself, for runs whose sinks
/// never read the text (a backtest report). A phrase is shared, so such a reason is a
/// pointer and two numbers; its text is always the same as if it had been written at
/// once. Equality, display and serialization are by text.
#[derive(Clone)]
pub struct Reason(Repr);

#[derive(Clone)]
enum Repr {
    Text(Arc<str>),
    Phrase(Arc<Phrase>, [f64; 2]),
}

/// A fixed phrase around one or two numbers: `parts[0] n₀ parts[1] (n₁ parts[2])`.
#[derive(Debug, PartialEq, Eq)]
pub struct Phrase {
    parts: Box<[Box<str>]>,
}

impl Phrase {
    /// `before n after`.
    pub fn one(before: &str, after: &str) -> Arc<Phrase> {
        Arc::new(Phrase {
            parts: Box::new([before.into(), after.into()]),
        })
    }

    /// `before n₀ between n₁ after`.
    pub fn two(before: &str, between: &str, after: &str) -> Arc<Phrase> {
        Arc::new(Phrase {
            parts: Box::new([before.into(), between.into(), after.into()]),
        })
    }

    /// Writes the phrase with `numbers` in its gaps (numbers past its gaps unused).
    fn write(&self, out: &mut impl fmt::Write, numbers: &[f64; 2]) -> fmt::Result {
        for (k, part) in self.parts.iter().enumerate() {
            if k > 0 {
                write_number(out, numbers[k - 1])?;
            }
            out.write_str(part)?;
        }
        Ok(())
    }
}

impl Reason {
    /// A reason given as text.
    pub fn text(text: impl Into<Arc<str>>) -> Reason {
        Reason(Repr::Text(text.into()))
    }

    /// `phrase` with `numbers` in its gaps, each written like [`number`].
    pub fn phrase(phrase: &Arc<Phrase>, numbers: [f64; 2]) -> Reason {
        Reason(Repr::Phrase(Arc::clone(phrase), numbers))
    }

    /// The text (written out now for a phrase).
    pub fn as_text(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Text(t) => Cow::Borrowed(t),
            Repr::Phrase(..) => Cow::Owned(self.to_string()),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(t) => f.write_str(t),
            Repr::Phrase(phrase, numbers) => phrase.write(f, numbers),
        }
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.as_text(), f)
    }
}

impl PartialEq for Reason {
    fn eq(&self, other: &Self) -> bool {
        self.as_text() == other.as_text()
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Reason {
        Reason::text(text)
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Reason {
        Reason::text(text)
    }
}

impl From<Arc<str>> for Reason {
    fn from(text: Arc<str>) -> Reason {
        Reason::text(text)
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Text(t) => s.serialize_str(t),
            Repr::Phrase(..) => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Reason::from)
    }
}

/// A number as reasons write it: up to 4 decimals, trailing zeros dropped (at least 2
/// decimals kept), so `312.45` and `49.929` read naturally.
pub fn number(x: f64) -> String {
    let mut out = String::with_capacity(24);
    // Writing to a String cannot fail.
    let _ = write_number(&mut out, x);
    out
}

/// Writes `x` like [`number`], with integer arithmetic only.
fn write_number(out: &mut impl fmt::Write, x: f64) -> fmt::Result {
    if !x.is_finite() || x.abs() >= 1e14 {
        return write!(out, "{x}");
    }
    // Ten-thousandths, rounded half away from zero as `f64::round` (a library call
    // without SSE4.1): the fraction `s − trunc(s)` is exact in binary floating point.
    let s = (x * 10_000.0).abs();
    let mut units = s as u64;
    if s - units as f64 >= 0.5 {
        units += 1;
    }
    if x < 0.0 && units != 0 {
        out.write_char('-')?;
    }
    out.write_str(itoa::Buffer::new().format(units / 10_000))?;
    out.write_char('.')?;
    let frac = units % 10_000;
    let digits = [frac / 1000, frac / 100 % 10, frac / 10 % 10, frac % 10];
    // Two to four decimals: trailing zeros after the second are dropped.
    let keep = if digits[3] != 0 {
        4
    } else if digits[2] != 0 {
        3
    } else {
        2
    };
    for d in &digits[..keep] {
        out.write_char(char::from(b'0' + *d as u8))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_two_to_four_decimals() {
        assert_eq!(number(312.45), "312.45");
        assert_eq!(number(49.928999999999995), "49.929");
        assert_eq!(number(30.0), "30.00");
        assert_eq!(number(1.23456), "1.2346");
        assert_eq!(number(-1.23456), "-1.2346");
        assert_eq!(number(-0.00001), "0.00");
        assert_eq!(number(0.0), "0.00");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn numbers_round_half_away_from_zero_like_f64_round() {
        let mut x = -2_000.0_f64;
        while x < 2_000.0 {
            for v in [x, x + 0.00005, x - 0.00005, x * 1.000_000_1] {
                let expected = (v * 10_000.0).round() / 10_000.0;
                let text = number(v);
                let got: f64 = text.parse().expect("a number");
                assert_eq!(got, expected + 0.0, "{v} gave {text}");
            }
            x += 0.123_456_7;
        }
    }

    #[test]
    fn a_phrase_reads_as_the_text_written_at_once() {
        let two = Phrase::two("SMA(10) ", " crossed above SMA(20) ", "");
        let r = Reason::phrase(&two, [101.25, 100.9]);
        let text = "SMA(10) 101.25 crossed above SMA(20) 100.90";
        assert_eq!(r.to_string(), text);
        assert_eq!(r.as_text(), text);
        assert_eq!(r, Reason::from(text));
        assert_eq!(format!("{r:?}"), format!("{text:?}"));
        assert_eq!(serde_json::to_string(&r).unwrap(), format!("{text:?}"));
        let back: Reason = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        let one = Phrase::one("RSI(2) ", " below 30: buy");
        assert_eq!(
            Reason::phrase(&one, [0.0, f64::NAN]).to_string(),
            "RSI(2) 0.00 below 30: buy"
        );
        assert_ne!(r, Reason::from("other"));
    }
}
