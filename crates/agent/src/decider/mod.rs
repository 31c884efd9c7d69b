//! [`LlmDecider`]: the LLM agent as a synchronous [`Decider`], as the runner and the CLI
//! drive it.
//!
//! The decider owns a small tokio runtime (two workers) for its HTTP calls. It hands
//! each call to that runtime and waits for the answer on a std channel, never with
//! `Runtime::block_on` on the caller's thread: the caller may itself be inside a tokio
//! runtime (a `spawn_blocking` thread, a `#[tokio::main]` CLI), where that would panic.
//! Everything else (prompts, tools, validation, the trace) runs on the caller's thread.

mod asking;
mod decision_style;
mod loop_style;
mod step_log;

use crate::anonymize::Lens;
use crate::client::{ApiKey, ChatClient, ClientConfig};
use crate::cost::PriceTable;
use crate::recording::{RecordingFile, Recordings};
use crate::settings::{LlmSettings, Mode, STRATEGY, Style};
use serde_json::{Map, Value};
use step_log::Spent;
use tradelab_data::NewsArchive;
use tradelab_engine::strategies::StrategyError;
use tradelab_engine::{
    DecideError, Decider, DeciderArgs, Decision, DecisionContext, DecisionTrace,
};

/// The LLM trading agent. Build it with [`LlmDecider::from_args`] (what the registry
/// does) or [`LlmDecider::new`].
pub struct LlmDecider {
    settings: LlmSettings,
    client: Option<ChatClient>,
    runtime: Option<tokio::runtime::Runtime>,
    prices: PriceTable,
    instructions: String,
    rules: Vec<String>,
    news: NewsArchive,
    /// The run's label, the first part of client order ids.
    run: String,
    recordings: Recordings,
    file: Option<RecordingFile>,
    /// Request fields passed through (`temperature`, …).
    params: Map<String, Value>,
    lens: Option<Lens>,
    style: Option<Style>,
    /// `on_step` calls so far.
    steps: usize,
    /// Steps at which the model was asked.
    asked: usize,
    /// Rejections seen at steps the model was not asked, for its next prompt.
    pending_rejections: Vec<String>,
    /// The model's summary at its last loop step.
    last_note: Option<String>,
    spent: Spent,
    /// A budget passed during the step: the step ends, then halts the run.
    halt: Option<DecideError>,
}

impl std::fmt::Debug for LlmDecider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmDecider")
            .field("settings", &self.settings)
            .field("client", &self.client)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

/// What the agent knows besides its settings: the model's instructions, the rules in
/// words, a parent run's traces (for replay) and news.
#[derive(Clone, Debug, Default)]
pub struct AgentContext {
    /// The model's free-text instructions.
    pub instructions: String,
    /// Active structured rules, each in words.
    pub rules: Vec<String>,
    /// Decision traces of a parent run, whose recorded exchanges a replay answers from.
    pub prior: Vec<DecisionTrace>,
    /// News searchable point-in-time.
    pub news: NewsArchive,
    /// The run's label (its id, or `backtest`): the first part of every client order
    /// id, so an order is known by run, asked step and call.
    pub run: String,
}

fn invalid(message: String) -> StrategyError {
    StrategyError::Invalid {
        strategy: STRATEGY.into(),
        message,
    }
}

impl LlmDecider {
    /// Builds the agent from the registry's arguments: settings from `args.params`,
    /// the key from the environment variable they name, recordings from the file they
    /// name and from `args.prior`. A run given a parent's traces that hold recorded
    /// exchanges (a replay of a recorded run) answers from them: it replays.
    pub fn from_args(args: DeciderArgs<'_>) -> Result<Self, StrategyError> {
        let mut settings = LlmSettings::from_params(args.params)?;
        if settings.mode != Mode::Replay && !args.prior.is_empty() {
            let mut parent = Recordings::default();
            parent.add_traces(args.prior);
            if parent.is_empty() {
                // Replaying would mean paying for every answer again, silently.
                return Err(invalid(
                    "the run being replayed kept no model exchanges (it ran with mode=live):                      ask the model again on purpose (runs replay --ask-again), or record runs                      with mode=record (--llm-mode record) to replay them for free"
                        .into(),
                ));
            }
            settings.mode = Mode::Replay;
        }
        LlmDecider::new(
            settings,
            AgentContext {
                instructions: args.instructions.to_string(),
                rules: args.rules.to_vec(),
                prior: args.prior.to_vec(),
                news: args.news.clone(),
                run: args.run.to_string(),
            },
        )
    }

    /// Builds the agent. Refuses what would fail later: a replay without recordings, a
    /// cost limit on a model of unknown price, an unreadable price or recordings file.
    pub fn new(settings: LlmSettings, context: AgentContext) -> Result<Self, StrategyError> {
        let mut prices = PriceTable::default();
        if let Some(path) = &settings.prices {
            let text = std::fs::read_to_string(path)
                .map_err(|e| invalid(format!("prices file {}: {e}", path.display())))?;
            prices = prices
                .with_overrides(&text)
                .map_err(|e| invalid(format!("prices file {}: {e}", path.display())))?;
        }
        if settings.max_cost_usd.is_some() && prices.price(&settings.model).is_none() {
            return Err(invalid(format!(
                "max_cost needs the price of model {:?}, which is not in the price table; \
                 add it with prices=FILE or use max_tokens",
                settings.model
            )));
        }
        let mut recordings = Recordings::default();
        let mut file = None;
        match settings.mode {
            Mode::Replay => {
                if let Some(path) = &settings.recordings {
                    recordings
                        .load_jsonl(path)
                        .map_err(|e| invalid(e.to_string()))?;
                }
                recordings.add_traces(&context.prior);
                if recordings.is_empty() {
                    return Err(invalid(
                        "mode=replay needs recorded exchanges: give recordings=FILE, or replay \
                         a run recorded with mode=record"
                            .into(),
                    ));
                }
            }
            Mode::Record => {
                if let Some(path) = &settings.recordings {
                    file = Some(RecordingFile::append(path).map_err(|e| invalid(e.to_string()))?);
                }
            }
            Mode::Live => {}
        }
        let (client, runtime) = if settings.mode == Mode::Replay {
            (None, None)
        } else {
            let client = ChatClient::new(ClientConfig {
                base_url: settings.base_url.clone(),
                key: ApiKey::from_env(&settings.api_key_env),
                timeout: settings.timeout,
                retries: settings.retries,
                backoff: settings.backoff,
                concurrency: settings.concurrency,
            })
            .map_err(invalid)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("llm-agent")
                .enable_all()
                .build()
                .map_err(|e| invalid(format!("cannot start the agent's runtime: {e}")))?;
            (Some(client), Some(runtime))
        };
        let params = settings.params.iter().cloned().collect();
        Ok(LlmDecider {
            client,
            runtime,
            prices,
            instructions: context.instructions,
            rules: context.rules,
            news: context.news,
            run: if context.run.is_empty() {
                "backtest".into()
            } else {
                context.run
            },
            recordings,
            file,
            params,
            lens: None,
            style: match settings.style {
                Style::Auto => None,
                fixed => Some(fixed),
            },
            settings,
            steps: 0,
            asked: 0,
            pending_rejections: Vec::new(),
            last_note: None,
            spent: Spent::default(),
            halt: None,
        })
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    /// Tokens and cost spent so far: (prompt, completion, cost in US dollars or
    /// `None` when the model's price is unknown).
    pub fn spent(&self) -> (u64, u64, Option<f64>) {
        (
            self.spent.prompt,
            self.spent.completion,
            self.spent.cost_known.then_some(self.spent.cost),
        )
    }

    /// The style for this step: the fixed one, or judged from the bar spacing (20 h or
    /// more between a symbol's last two bars: daily, so loop; less: decision; a first
    /// bar at midnight UTC counts as daily until a second bar shows the spacing).
    fn style_now(&mut self, ctx: &DecisionContext<'_>) -> Style {
        if let Some(style) = self.style {
            return style;
        }
        let spacing = (0..ctx.view.len()).find_map(|i| {
            let bars = ctx.view.bars(i);
            (bars.len() >= 2)
                .then(|| bars[bars.len() - 1].ts().nanos() - bars[bars.len() - 2].ts().nanos())
        });
        match spacing {
            Some(gap) => {
                let style = if gap >= 20 * 3_600_000_000_000 {
                    Style::Loop
                } else {
                    Style::Decision
                };
                self.style = Some(style);
                style
            }
            None if ctx.now.is_utc_midnight() => Style::Loop,
            None => Style::Decision,
        }
    }
}

impl Drop for LlmDecider {
    fn drop(&mut self) {
        // Never blocks, so dropping the agent inside an async context is safe.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Decider for LlmDecider {
    fn name(&self) -> String {
        format!("llm({})", self.settings.model)
    }

    fn on_step(
        &mut self,
        ctx: &DecisionContext<'_>,
        decision: &mut Decision,
    ) -> Result<(), DecideError> {
        self.steps += 1;
        let lens = match &mut self.lens {
            Some(lens) => {
                lens.update(&ctx.view);
                &*lens
            }
            None => self
                .lens
                .insert(Lens::new(&ctx.view, self.settings.anonymize)),
        };
        for r in ctx.rejections {
            let text = format!(
                "{} {} {} at {}: {}",
                r.intent.side,
                r.intent.sizing,
                r.intent.symbol,
                lens.time(r.ts),
                r.reason
            );
            self.pending_rejections.push(lens.hide_symbols(&text));
        }
        if ctx.updated.is_empty() || !(self.steps - 1).is_multiple_of(self.settings.every) {
            return Ok(());
        }
        self.asked += 1;
        match self.style_now(ctx) {
            Style::Decision => self.decision_step(ctx, decision)?,
            _ => self.loop_step(ctx, decision)?,
        }
        self.pending_rejections.clear();
        match self.halt.take() {
            Some(passed) => Err(passed),
            None => Ok(()),
        }
    }
}
