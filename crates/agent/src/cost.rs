//! What model calls cost: a price table per model name (US dollars per million input,
//! cached input and output tokens), built in for well-known hosted models and
//! overridable by a TOML file. A model not in the table has an unknown cost (`None`),
//! never a cost of zero.
//!
//! Override file:
//! ```toml
//! [models."my-model"]
//! input = 0.50         # $ per million prompt tokens
//! cached_input = 0.25  # $ per million cached prompt tokens (default: input)
//! output = 1.50        # $ per million completion tokens
//! ```

use crate::client::Tokens;
use crate::settings::base_model_name;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Prices of one model, in US dollars per million tokens.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct ModelPrice {
    /// Prompt tokens not served from cache.
    pub input: f64,
    /// Prompt tokens served from the server's prefix cache (default: `input`).
    #[serde(default)]
    pub cached_input: Option<f64>,
    /// Completion tokens.
    pub output: f64,
}

impl ModelPrice {
    const fn of(input: f64, cached: f64, output: f64) -> Self {
        ModelPrice {
            input,
            cached_input: Some(cached),
            output,
        }
    }

    /// The cost of `tokens` in US dollars.
    pub fn cost(&self, tokens: Tokens) -> f64 {
        let cached = tokens.cached.min(tokens.prompt);
        let fresh = tokens.prompt - cached;
        (fresh as f64 * self.input
            + cached as f64 * self.cached_input.unwrap_or(self.input)
            + tokens.completion as f64 * self.output)
            / 1e6
    }
}

/// Published list prices of well-known hosted models ($ per million tokens).
const DEFAULT_PRICES: &[(&str, ModelPrice)] = &[
    ("gpt-4o", ModelPrice::of(2.50, 1.25, 10.00)),
    ("gpt-4o-mini", ModelPrice::of(0.15, 0.075, 0.60)),
    ("gpt-4.1", ModelPrice::of(2.00, 0.50, 8.00)),
    ("gpt-4.1-mini", ModelPrice::of(0.40, 0.10, 1.60)),
    ("gpt-4.1-nano", ModelPrice::of(0.10, 0.025, 0.40)),
    ("o3-mini", ModelPrice::of(1.10, 0.55, 4.40)),
    ("o4-mini", ModelPrice::of(1.10, 0.275, 4.40)),
    ("gpt-5", ModelPrice::of(1.25, 0.125, 10.00)),
    ("gpt-5-mini", ModelPrice::of(0.25, 0.025, 2.00)),
    ("gpt-5-nano", ModelPrice::of(0.05, 0.005, 0.40)),
];

/// Model name → price.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceTable {
    prices: BTreeMap<String, ModelPrice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    #[serde(default)]
    models: BTreeMap<String, ModelPrice>,
}

impl Default for PriceTable {
    /// The built-in table.
    fn default() -> Self {
        PriceTable {
            prices: DEFAULT_PRICES
                .iter()
                .map(|(n, p)| (n.to_string(), *p))
                .collect(),
        }
    }
}

impl PriceTable {
    /// The built-in table with the models of a TOML override text added or replaced.
    pub fn with_overrides(mut self, toml_text: &str) -> Result<Self, String> {
        let file: PriceFile = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        for (name, price) in file.models {
            let fields = [
                ("input", Some(price.input)),
                ("cached_input", price.cached_input),
                ("output", Some(price.output)),
            ];
            for (field, value) in fields {
                if let Some(v) = value
                    && !(v.is_finite() && v >= 0.0)
                {
                    return Err(format!(
                        "models.{name}.{field} ({v}) must be a non-negative number"
                    ));
                }
            }
            self.prices.insert(name, price);
        }
        Ok(self)
    }

    /// The price of `model`: its exact name first, then without a provider prefix or
    /// a date suffix (`gpt-4o-2024-08-06` → `gpt-4o`).
    pub fn price(&self, model: &str) -> Option<ModelPrice> {
        self.prices
            .get(model)
            .or_else(|| self.prices.get(base_model_name(model)))
            .copied()
    }

    /// The cost of `tokens` on `model`, or `None` when its price is unknown.
    pub fn cost(&self, model: &str, tokens: Tokens) -> Option<f64> {
        self.price(model).map(|p| p.cost(tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(prompt: u64, completion: u64, cached: u64) -> Tokens {
        Tokens {
            prompt,
            completion,
            cached,
        }
    }

    #[test]
    fn cached_prompt_tokens_are_counted_at_their_own_price() {
        let t = PriceTable::default();
        // gpt-4o-mini: 900 fresh × 0.15 + 100 cached × 0.075 + 200 out × 0.60, per 1e6.
        let c = t.cost("gpt-4o-mini", tokens(1000, 200, 100)).unwrap();
        assert!((c - (900.0 * 0.15 + 100.0 * 0.075 + 200.0 * 0.60) / 1e6).abs() < 1e-15);
        assert_eq!(
            t.cost("gpt-4o-2024-08-06", tokens(1_000_000, 0, 0)),
            Some(2.5)
        );
    }

    #[test]
    fn an_unknown_model_has_an_unknown_cost_not_zero() {
        assert_eq!(
            PriceTable::default().cost("llama3.1:8b", tokens(10, 10, 0)),
            None
        );
    }

    #[test]
    fn an_override_file_adds_and_replaces_models_and_refuses_bad_prices() {
        let t = PriceTable::default()
            .with_overrides(
                "[models.\"llama3.1:8b\"]\ninput = 0.1\noutput = 0.2\n\
                 [models.gpt-4o]\ninput = 1\ncached_input = 0.5\noutput = 2\n",
            )
            .unwrap();
        assert_eq!(
            t.cost("llama3.1:8b", tokens(1_000_000, 0, 500_000)),
            Some(0.1)
        );
        assert_eq!(t.cost("gpt-4o", tokens(0, 1_000_000, 0)), Some(2.0));
        let e = PriceTable::default()
            .with_overrides("[models.x]\ninput = -1\noutput = 1\n")
            .unwrap_err();
        assert!(e.contains("models.x.input (-1)"), "{e}");
        assert!(PriceTable::default().with_overrides("[model]\n").is_err());
    }
}
