//! Parsing and validation of `key=value` strategy parameters.

use super::{ParamInfo, StrategyError};

/// The parameters given to one strategy, checked against its declared parameters.
pub(super) struct Params<'a> {
    strategy: &'static str,
    given: &'a [(String, String)],
    declared: &'static [ParamInfo],
}

/// Largest accepted period or lookback, in bars.
const MAX_PERIOD: usize = 1_000_000;

impl<'a> Params<'a> {
    /// Rejects unknown and repeated parameter names.
    pub(super) fn new(
        strategy: &'static str,
        declared: &'static [ParamInfo],
        given: &'a [(String, String)],
    ) -> Result<Self, StrategyError> {
        for (k, (name, _)) in given.iter().enumerate() {
            if !declared.iter().any(|p| p.name == name.as_str()) {
                let known = if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared
                        .iter()
                        .map(|p| p.name.as_ref())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(StrategyError::UnknownParam {
                    strategy,
                    param: name.clone(),
                    known,
                });
            }
            if given[..k].iter().any(|(n, _)| n == name) {
                return Err(StrategyError::DuplicateParam {
                    strategy,
                    param: name.clone(),
                });
            }
        }
        Ok(Params {
            strategy,
            given,
            declared,
        })
    }

    /// The text of parameter `name`: the given value, else its default.
    fn text(&self, name: &'static str) -> &str {
        self.given
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .or_else(|| {
                self.declared
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.default.as_ref())
            })
            .unwrap_or("")
    }

    /// A whole number of bars in `1..=1_000_000`.
    pub(super) fn period(&self, name: &'static str) -> Result<usize, StrategyError> {
        let text = self.text(name);
        let value: i64 = text.parse().map_err(|_| StrategyError::NotANumber {
            strategy: self.strategy,
            param: name,
            value: text.to_string(),
            expected: "a whole number",
        })?;
        if value < 1 || value > MAX_PERIOD as i64 {
            return Err(self.out_of_range(name, text, format!("between 1 and {MAX_PERIOD}")));
        }
        Ok(value as usize)
    }

    /// A finite number in `min..=max`.
    pub(super) fn number(
        &self,
        name: &'static str,
        min: f64,
        max: f64,
    ) -> Result<f64, StrategyError> {
        let text = self.text(name);
        let value: f64 = text
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| StrategyError::NotANumber {
                strategy: self.strategy,
                param: name,
                value: text.to_string(),
                expected: "a number",
            })?;
        if !(min..=max).contains(&value) {
            return Err(self.out_of_range(name, text, format!("between {min} and {max}")));
        }
        Ok(value)
    }

    fn out_of_range(&self, name: &'static str, value: &str, rule: String) -> StrategyError {
        out_of_range(self.strategy, name, value, rule)
    }
}

/// An error for parameter `param` of `strategy` whose `value` breaks `rule`.
pub(super) fn out_of_range(
    strategy: &'static str,
    param: &'static str,
    value: impl ToString,
    rule: String,
) -> StrategyError {
    StrategyError::OutOfRange {
        strategy,
        param,
        value: value.to_string(),
        rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DECLARED: [ParamInfo; 2] = [
        ParamInfo::fixed("n", "5", ""),
        ParamInfo::fixed("x", "0.5", ""),
    ];

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn missing_parameters_take_their_defaults() {
        let g = given(&[("x", " 0.25 ")]);
        let p = Params::new("t", &DECLARED, &g).unwrap();
        assert_eq!(p.period("n").unwrap(), 5);
        assert_eq!(p.number("x", 0.0, 1.0).unwrap(), 0.25);
    }

    #[test]
    fn rejects_repeated_parameters() {
        let g = given(&[("n", "3"), ("n", "4")]);
        let e = Params::new("t", &DECLARED, &g).err().unwrap();
        assert_eq!(e.to_string(), "t: parameter n is given more than once");
    }

    #[test]
    fn rejects_fractional_negative_and_huge_periods() {
        for (v, msg) in [
            ("2.5", "t: n (2.5) is not a whole number"),
            ("-3", "t: n (-3) must be between 1 and 1000000"),
            ("0", "t: n (0) must be between 1 and 1000000"),
            ("1000001", "t: n (1000001) must be between 1 and 1000000"),
        ] {
            let g = given(&[("n", v)]);
            let e = Params::new("t", &DECLARED, &g)
                .unwrap()
                .period("n")
                .unwrap_err();
            assert_eq!(e.to_string(), msg);
        }
    }

    #[test]
    fn rejects_nan_and_infinite_numbers() {
        for v in ["NaN", "inf", "abc", ""] {
            let g = given(&[("x", v)]);
            let p = Params::new("t", &DECLARED, &g).unwrap();
            assert!(matches!(
                p.number("x", 0.0, 1.0),
                Err(StrategyError::NotANumber { .. })
            ));
        }
    }
}
