//! The decider registry: builds a [`Decider`] from a strategy name and its parameters.
//!
//! Whoever drives runs (the CLI's `backtest`, the runner, a server) holds a
//! [`DeciderRegistry`] value and builds every decider through it, so a crate that
//! brings a new kind of decider (an LLM agent, a learner) registers it by name and is
//! run without the driver depending on it. [`DeciderRegistry::builtin`] holds the
//! rule-based strategies of [`crate::strategies`].
//!
//! Building happens once per run; nothing here is on the engine's per-bar path.

use crate::decider::{Decider, DecisionTrace};
use crate::strategies::{self, StrategyError, StrategyInfo};
use std::fmt;
use std::sync::Arc;
use tradelab_data::{EMPTY_NEWS, NewsArchive};

/// What a constructor gets: the run's `key=value` parameters (missing ones take the
/// decider's defaults), its shorting permission and, for deciders that read them (an LLM
/// agent), the model's instructions, the active rules in words, the run's label, the
/// traces of a parent run and the news archive. Build with [`DeciderArgs::new`] and the
/// `with_…` methods; fields not given are empty.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct DeciderArgs<'a> {
    /// Parameters as given (`fast=10` → `("fast", "10")`), in the order given.
    pub params: &'a [(String, String)],
    /// The run's `allow_short`: whether sell signals may open short positions.
    pub allow_short: bool,
    /// The model's free-text instructions (may be empty).
    pub instructions: &'a str,
    /// The active structured risk rules, each in words (`max 5 open positions`).
    pub rules: &'a [String],
    /// A label of the run (its id, or `backtest`), for ids the decider derives.
    pub run: &'a str,
    /// Decision traces of a parent run, oldest first, for a decider that replays what
    /// it recorded there (an LLM agent's exchanges); empty otherwise.
    pub prior: &'a [DecisionTrace],
    /// News the decider may search, point-in-time (empty by default).
    pub news: &'a NewsArchive,
}

impl<'a> DeciderArgs<'a> {
    /// Arguments with parameters and shorting permission, and nothing else.
    pub fn new(params: &'a [(String, String)], allow_short: bool) -> Self {
        DeciderArgs {
            params,
            allow_short,
            instructions: "",
            rules: &[],
            run: "backtest",
            prior: &[],
            news: &EMPTY_NEWS,
        }
    }

    /// With the model's free-text instructions.
    pub fn with_instructions(mut self, instructions: &'a str) -> Self {
        self.instructions = instructions;
        self
    }

    /// With the active structured rules in words.
    pub fn with_rules(mut self, rules: &'a [String]) -> Self {
        self.rules = rules;
        self
    }

    /// With the run's label (default `backtest`).
    pub fn with_run(mut self, run: &'a str) -> Self {
        self.run = run;
        self
    }

    /// With a parent run's decision traces.
    pub fn with_prior(mut self, prior: &'a [DecisionTrace]) -> Self {
        self.prior = prior;
        self
    }

    /// With a news archive.
    pub fn with_news(mut self, news: &'a NewsArchive) -> Self {
        self.news = news;
        self
    }
}

/// Builds one kind of decider from its arguments; the error names the parameter and
/// the value at fault (see [`StrategyError`]).
pub type DeciderConstructor =
    Arc<dyn Fn(DeciderArgs<'_>) -> Result<Box<dyn Decider>, StrategyError> + Send + Sync>;

/// Why a decider cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A decider of that name is registered already.
    #[error(
        "a decider named {name:?} is registered already; give the new one another name \
         (registered: {known})"
    )]
    DuplicateName {
        /// The name asked for.
        name: String,
        /// Comma-separated names already registered.
        known: String,
    },
    /// The name cannot be typed on a command line or stored as a model's strategy.
    #[error(
        "{name:?} is not a usable decider name: use lower-case letters, digits and `_`, \
         starting with a letter"
    )]
    BadName {
        /// The name asked for.
        name: String,
    },
}

struct Entry {
    info: StrategyInfo,
    build: DeciderConstructor,
}

/// Deciders by strategy name, in registration order (the order `tradelab strategies`
/// lists them in). Cloning is cheap: constructors are shared.
#[derive(Clone, Default)]
pub struct DeciderRegistry {
    entries: Vec<Arc<Entry>>,
}

impl fmt::Debug for DeciderRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl DeciderRegistry {
    /// A registry with nothing in it.
    pub fn empty() -> Self {
        DeciderRegistry::default()
    }

    /// The built-in rule-based strategies: `buy_and_hold`, `sma_cross`,
    /// `rsi_reversion`, `breakout`.
    pub fn builtin() -> Self {
        let mut r = DeciderRegistry::empty();
        for (info, build) in strategies::builtin_constructors() {
            r.entries.push(Arc::new(Entry {
                info,
                build: Arc::new(build),
            }));
        }
        r
    }

    /// Adds a decider under `info.name`, described by `info` (summary and parameters
    /// with defaults, as listed to people), built by `build`.
    pub fn register<F>(&mut self, info: StrategyInfo, build: F) -> Result<(), RegistryError>
    where
        F: Fn(DeciderArgs<'_>) -> Result<Box<dyn Decider>, StrategyError> + Send + Sync + 'static,
    {
        let name = info.name.as_ref();
        let usable = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !usable {
            return Err(RegistryError::BadName { name: name.into() });
        }
        if self.info(name).is_some() {
            return Err(RegistryError::DuplicateName {
                name: name.into(),
                known: self.known(),
            });
        }
        self.entries.push(Arc::new(Entry {
            info,
            build: Arc::new(build),
        }));
        Ok(())
    }

    /// [`DeciderRegistry::register`], chained: `DeciderRegistry::builtin().with(…)?`.
    pub fn with<F>(mut self, info: StrategyInfo, build: F) -> Result<Self, RegistryError>
    where
        F: Fn(DeciderArgs<'_>) -> Result<Box<dyn Decider>, StrategyError> + Send + Sync + 'static,
    {
        self.register(info, build)?;
        Ok(self)
    }

    /// Builds the decider registered as `name` from `key=value` parameters. An unknown
    /// name is refused listing the registered ones.
    pub fn build(
        &self,
        name: &str,
        params: &[(String, String)],
        allow_short: bool,
    ) -> Result<Box<dyn Decider>, StrategyError> {
        self.build_with(name, DeciderArgs::new(params, allow_short))
    }

    /// Builds the decider registered as `name` from all its arguments (instructions,
    /// rules, prior traces, news: what an LLM agent reads besides its parameters).
    pub fn build_with(
        &self,
        name: &str,
        args: DeciderArgs<'_>,
    ) -> Result<Box<dyn Decider>, StrategyError> {
        let entry = self
            .entries
            .iter()
            .find(|e| e.info.name == name)
            .ok_or_else(|| StrategyError::UnknownStrategy {
                name: name.to_string(),
                known: self.known(),
            })?;
        (entry.build)(args)
    }

    /// The description of the decider registered as `name`.
    pub fn info(&self, name: &str) -> Option<&StrategyInfo> {
        self.entries
            .iter()
            .map(|e| &e.info)
            .find(|info| info.name == name)
    }

    /// Every registered decider's description, in registration order.
    pub fn catalog(&self) -> impl Iterator<Item = &StrategyInfo> {
        self.entries.iter().map(|e| &e.info)
    }

    /// Registered names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.info.name.as_ref())
    }

    /// `buy_and_hold, sma_cross, …`: the registered names for a message.
    fn known(&self) -> String {
        let names: Vec<&str> = self.names().collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::DecisionContext;
    use crate::strategies::ParamInfo;
    use crate::{DecideError, Decision};

    struct Idle;

    impl Decider for Idle {
        fn name(&self) -> String {
            "idle".into()
        }
        fn on_step(
            &mut self,
            _: &DecisionContext<'_>,
            _: &mut Decision,
        ) -> Result<(), DecideError> {
            Ok(())
        }
    }

    const IDLE: StrategyInfo = StrategyInfo::fixed("idle", "never orders", &[]);

    #[test]
    fn builtin_registry_lists_the_catalog_in_order() {
        let r = DeciderRegistry::builtin();
        let names: Vec<_> = r.names().collect();
        let catalog: Vec<_> = strategies::catalog().iter().map(|s| &*s.name).collect();
        assert_eq!(names, catalog);
        assert_eq!(
            r.catalog().cloned().collect::<Vec<_>>(),
            strategies::catalog()
        );
    }

    #[test]
    fn registered_decider_is_built_by_name_and_listed_after_the_builtins() {
        let r = DeciderRegistry::builtin()
            .with(IDLE, |_| Ok(Box::new(Idle)))
            .unwrap();
        assert_eq!(r.build("idle", &[], false).unwrap().name(), "idle");
        assert_eq!(r.names().last(), Some("idle"));
        let e = r.build("golden_goose", &[], false).err().unwrap();
        assert_eq!(
            e.to_string(),
            "unknown strategy \"golden_goose\"; known strategies: \
             buy_and_hold, sma_cross, rsi_reversion, breakout, idle"
        );
    }

    #[test]
    fn registers_a_decider_described_by_text_made_at_run_time() {
        // As a plug-in would: its name and parameters come from its configuration.
        let config = ["desk_7", "window", "30"].map(String::from);
        let info = StrategyInfo::new(
            config[0].clone(),
            format!("agent of desk {}", 7),
            vec![ParamInfo::new(
                config[1].clone(),
                config[2].clone(),
                "bars it reads",
            )],
        );
        let r = DeciderRegistry::builtin()
            .with(info, |_| Ok(Box::new(Idle)))
            .unwrap();
        drop(config);
        let listed = r.info("desk_7").expect("registered");
        assert_eq!(listed.summary, "agent of desk 7");
        let window = listed.param("window").expect("declared");
        assert_eq!((&*window.default, &*window.help), ("30", "bars it reads"));
        assert_eq!(r.names().last(), Some("desk_7"));
        assert!(r.build("desk_7", &[], false).is_ok());
    }

    #[test]
    fn refuses_a_second_decider_under_a_registered_name() {
        let mut r = DeciderRegistry::builtin();
        let info = StrategyInfo {
            name: "sma_cross".into(),
            ..IDLE
        };
        let e = r.register(info, |_| Ok(Box::new(Idle))).unwrap_err();
        assert!(
            matches!(&e, RegistryError::DuplicateName { name, .. } if name == "sma_cross"),
            "{e}"
        );
        assert_eq!(r.names().count(), 4);
    }

    #[test]
    fn refuses_a_name_that_cannot_be_typed_as_a_strategy() {
        let mut r = DeciderRegistry::empty();
        for bad in ["", "Idle", "my agent", "9lives"] {
            let info = StrategyInfo {
                name: bad.into(),
                ..IDLE
            };
            assert!(r.register(info, |_| Ok(Box::new(Idle))).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn empty_registry_says_nothing_is_registered() {
        let e = DeciderRegistry::empty()
            .build("sma_cross", &[], false)
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "unknown strategy \"sma_cross\"; known strategies: none"
        );
    }

    #[test]
    fn constructor_gets_the_parameters_and_the_shorting_permission() {
        let r = DeciderRegistry::empty()
            .with(IDLE, |args| {
                if args.allow_short && args.params.len() == 1 {
                    Ok(Box::new(Idle))
                } else {
                    Err(StrategyError::Invalid {
                        strategy: "idle".into(),
                        message: format!("{} parameters", args.params.len()),
                    })
                }
            })
            .unwrap();
        let p = vec![("x".to_string(), "1".to_string())];
        assert!(r.build("idle", &p, true).is_ok());
        let e = r.build("idle", &[], true).err().unwrap();
        assert_eq!(e.to_string(), "idle: 0 parameters");
    }

    #[test]
    fn build_with_hands_instructions_rules_run_and_news_to_the_constructor() {
        let r = DeciderRegistry::empty()
            .with(IDLE, |args| {
                let seen = format!(
                    "{}|{}|{}|{}|{}",
                    args.instructions,
                    args.rules.join(";"),
                    args.run,
                    args.prior.len(),
                    args.news.len()
                );
                if seen == "be careful|max 5 open positions|run-7|1|0" {
                    Ok(Box::new(Idle))
                } else {
                    Err(StrategyError::Invalid {
                        strategy: "idle".into(),
                        message: seen,
                    })
                }
            })
            .unwrap();
        let rules = vec!["max 5 open positions".to_string()];
        let prior = vec![DecisionTrace::default()];
        let args = DeciderArgs::new(&[], false)
            .with_instructions("be careful")
            .with_rules(&rules)
            .with_run("run-7")
            .with_prior(&prior);
        assert!(r.build_with("idle", args).is_ok());
        let e = r.build("idle", &[], false).err().unwrap();
        assert_eq!(e.to_string(), "idle: ||backtest|0|0");
    }
}
