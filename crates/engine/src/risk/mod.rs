//! The risk-rule model: typed, validated, serializable rules that the run loop enforces
//! on every order (enforcement lives in the run loop, not here).
//!
//! A [`RuleSet`] holds [`Rule`]s and free-text `instructions` for an LLM decider. Each
//! rule has a unique name, a [`RuleKind`] with typed parameters, a [`Category`], a
//! priority (1..=10, higher checked first), an active flag and an [`Origin`]. Every kind
//! states its [`Scope`]: does it block entries only, block all orders, exit positions,
//! or halt the run? An **entry** opens or increases a position; an **exit** reduces or
//! closes one; the engine's own exits (stops, flatten, halt) are never blocked.
//!
//! # File format (TOML; JSON is the same shape with `"rules"` as the list key)
//!
//! Files are read and parsed by the `tradelab-rules-file` crate, which hands the
//! parsed document to [`RuleSet::from_document`]; this module has no text parser.
//!
//! ```toml
//! instructions = "Free text for an LLM decider."
//!
//! [[rule]]
//! name = "max_position"          # required, unique
//! kind = "max_position_pct"      # required, one of the kinds below
//! pct = 20                       # the kind's parameters
//! on_breach = "reject"           # or "resize"
//! priority = 5                   # optional, 1..=10, default per kind
//! category = "position_sizing"   # optional, default per kind
//! description = "…"              # optional, default: a summary of the parameters
//! active = true                  # optional, default true
//! origin = "user"                # optional: user (default), template, ai_suggested
//! ```
//!
//! Decoding reports every problem at once, each naming the rule and the field:
//! unknown keys and kinds, wrong types, out-of-range values, bad times or time zones,
//! duplicate names, two active rules of a kind that allows only one, a symbol both
//! allowed and blocked. Times are exchange-local `"HH:MM"`; ranges `"HH:MM-HH:MM"`.
//!
//! # Kinds, parameters and defaults
//!
//! | kind | parameters | scope | category | priority |
//! |---|---|---|---|---|
//! | `max_drawdown_halt_pct` | `pct` (0–100) | halts the run | risk | 10 |
//! | `daily_loss_limit_pct` | `pct` (0–100) | blocks entries till next session | risk | 10 |
//! | `allowed_symbols` | `symbols` | blocks entries | entry_exit | 9 |
//! | `blocked_symbols` ¹ | `symbols` | blocks entries | entry_exit | 9 |
//! | `allow_short` | `allowed` (default true) | blocks short entries | entry_exit | 9 |
//! | `trading_window` | `tz`, `start`, `end`, `blackouts`, `flatten_at`, `calendar` | blocks entries, flattens | timing | 9 |
//! | `stop_loss_pct` | `pct` (0–100) | exits position | stop_loss | 8 |
//! | `trailing_stop_pct` | `pct` (0–100) | exits position | stop_loss | 8 |
//! | `take_profit_pct` | `pct` (0–1000] | exits position | entry_exit | 8 |
//! | `max_orders_per_minute` | `max` ≥ 1 | blocks all orders | rate_limit | 7 |
//! | `max_trades_per_day` | `max` ≥ 1 | blocks entries | rate_limit | 7 |
//! | `max_trades_per_session` | `max` ≥ 1 | blocks entries | rate_limit | 7 |
//! | `cooldown_after_loss` | `bars` ≥ 1 | blocks entries (per symbol) | timing | 7 |
//! | `max_open_positions` | `max` ≥ 1 | blocks entries | position_sizing | 6 |
//! | `max_order_value` | `value` > 0 | blocks all orders | position_sizing | 6 |
//! | `max_order_qty` | `qty` > 0 | blocks all orders | position_sizing | 6 |
//! | `max_position_pct` | `pct` (0–100], `on_breach` | rejects or resizes entries | position_sizing | 5 |
//! | `min_cash_reserve_pct` | `pct` (0–100) | blocks entries | risk | 4 |
//!
//! ¹ The only kind that may have several active rules (their lists add up); any other
//! kind may appear again only with `active = false`. Without an active `allow_short`
//! rule, shorting is off. Percentage ranges are exclusive unless marked `]`.
//!
//! Built-in [`templates`]: `day_trader`, `swing_trader`, `scalper`,
//! `long_term_investor`; `examples/rules/` has them as files, plus `custom.toml`
//! showing every kind.

mod decode;
mod describe;
mod echo;
mod fields;
mod kind;
mod rule;
mod templates;
mod time;
mod validate;

pub use echo::{ECHO_CHARS, PROBLEM_CHARS, echo, echo_at};
pub use kind::{Breach, Category, DEFAULT_TZ, KIND_NAMES, Origin, RuleKind, Scope, TradingWindow};
pub use rule::{Rule, RuleIssue, RuleSet, RuleSetError};
pub use templates::{Template, template, templates};
pub use time::{LocalTime, TimeParseError, TimeRange};
