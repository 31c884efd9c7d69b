//! Persistence for tradelab: SQLite (one file under the data directory, the default)
//! or PostgreSQL, versioned migrations, and typed repositories for users, models,
//! rules, runs, the audit trail, bars, news, global settings, and the accounts of the
//! HTTP service (login sessions, API keys, the admin audit log).
//!
//! Open with [`Store::open`], then use the repositories: `store.users()`,
//! `store.models()`, `store.rules()`, `store.runs()`, `store.audit()`, `store.bars()`,
//! `store.news()`, `store.snapshots()`, `store.settings()`, `store.sessions()`, `store.api_keys()`,
//! `store.admin_log()`; [`Store::stats`] counts across every owner. Every call is
//! atomic: a failed call changes nothing stored.
//!
//! Tenancy: every method reading or changing a user's model, rule, run or audit trail
//! takes the owner and scopes its query by it; another owner's id is
//! [`StoreError::NotFound`], as a missing one. Methods without an owner (`get_any`,
//! `list_all_owners`, `list_by_status_all_owners`, the runner's `start`, `finish`,
//! `append`, `mark_interrupted_runs`, the admin log, `stats`, and the user changes
//! `set_role` and `set_disabled`) are for admin and system paths only. Lists are
//! paged: a [`PageRequest`] (limit and keyset cursor) in, a [`Page`] out.
//!
//! Storage conventions, the same on both backends: times are UTC nanoseconds
//! (`BIGINT`), ledger values (money, prices, quantities) exact decimal text, market
//! data (bar prices) floating point, documents JSON (`JSONB` on PostgreSQL; the audit
//! trail's `run_events.payload` is `JSON`, kept as written). The audit trail is rows an
//! SQL client reads (`run_events`, the view `run_orders`); bars and equity curves are
//! chunks (see the `audit` and `bars` modules for their layouts).

mod admin_log;
mod api_keys;
mod audit;
mod bars;
mod db;
mod error;
mod health;
mod ids;
mod migrate;
mod models;
mod news;
mod page;
mod rules;
mod runs;
mod runs_shutdown;
mod sessions;
mod settings;
mod snapshots;
mod stats;
mod store;
#[cfg(test)]
mod test_pools;
mod users;
mod worker;

pub use admin_log::{AdminAction, AdminLog, MAX_ADMIN_ACTION_CHARS, MAX_ADMIN_TARGET_CHARS};
pub use api_keys::{ApiKey, ApiKeys, MAX_API_KEY_NAME_CHARS, MAX_API_KEY_PREFIX_CHARS};
pub use audit::{
    Audit, AuditBatch, AuditBatchOf, AuditCounts, AuditEvent, DecisionRow, EquityRow, EventFilter,
    EventRow, FillRow, OrderRow, OrderStatus, RESERVED_KINDS,
};
pub use bars::{
    BARS_IN_USE, BarConflict, Bars, DeleteReport, ImportMode, ImportReport, MAX_REPORTED_CONFLICTS,
    RunUsingBars, SHARED_BARS, SeriesCursor, SeriesCursorError, SeriesInfo, SpacingMismatch,
    StoredBar, spacing_mismatch,
};
pub use db::Backend;
pub use error::{Result, StoreError};
pub use ids::{AdminActionId, ApiKeyId, ModelId, NewsId, RuleId, RunId, SessionId, UserId};
pub use migrate::SCHEMA_VERSION;
pub use models::{DeciderConfig, Model, ModelSpec, Models};
pub use news::{MAX_HEADLINE_BYTES, MAX_SOURCE_BYTES, News, NewsImported, StoredNews};
pub use page::{DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, Page, PageRequest};
pub use rules::{Rule, RuleOrigin, RuleSpec, Rules};
pub use runs::{LiveFeedSpec, NewRun, Run, RunMode, RunSource, RunStatus, Runs, StrategySnapshot};
pub use sessions::{Session, SessionKind, Sessions};
pub use settings::{Setting, Settings};
pub use snapshots::{NewSnapshot, Snapshot, SnapshotInfo, Snapshots, WarmStart};
pub use stats::SystemStats;
pub use store::{SQLITE_FILE, Store, StoreConfig, redact_url};
pub use users::{LOCAL_ADMIN_EMAIL, MAX_EMAIL_LEN, NewUser, Role, User, Users, normalize_email};
pub use worker::{STALE_AFTER_SECS, worker_id};

impl Store {
    /// User accounts.
    pub fn users(&self) -> Users<'_> {
        Users { store: self }
    }

    /// Models (strategy definitions).
    pub fn models(&self) -> Models<'_> {
        Models { store: self }
    }

    /// Structured rules of models.
    pub fn rules(&self) -> Rules<'_> {
        Rules { store: self }
    }

    /// The audit trail of runs.
    pub fn audit(&self) -> Audit<'_> {
        Audit { store: self }
    }

    /// Imported market data.
    pub fn bars(&self) -> Bars<'_> {
        Bars { store: self }
    }

    /// Imported news, private to its owner.
    pub fn news(&self) -> News<'_> {
        News { store: self }
    }

    /// Global settings.
    pub fn settings(&self) -> Settings<'_> {
        Settings { store: self }
    }

    /// Runs and their lifecycle.
    pub fn runs(&self) -> Runs<'_> {
        Runs { store: self }
    }

    /// Snapshots of online learners' state, versioned per run.
    pub fn snapshots(&self) -> Snapshots<'_> {
        Snapshots { store: self }
    }

    /// Login sessions of the HTTP service (browser cookies and bearer tokens).
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions { store: self }
    }

    /// API keys users made for programs.
    pub fn api_keys(&self) -> ApiKeys<'_> {
        ApiKeys { store: self }
    }

    /// The admin audit log. Admin only.
    pub fn admin_log(&self) -> AdminLog<'_> {
        AdminLog { store: self }
    }
}
