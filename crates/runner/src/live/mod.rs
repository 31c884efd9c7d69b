//! Live paper runs: the same engine, decider, risk rules and fill model as a replay,
//! fed bar by bar as bars close on a clock — a provider's market data on the wall
//! clock, or stored bars replayed as live at N× speed.
//!
//! The feed ([`feed`]) listens to the provider's websocket stream where it has one
//! (`stream_feed`: bars grouped per bar time, a REST backfill for what the stream left
//! out, reconnects with a catch-up) and otherwise asks the provider for each bar when
//! it closes on the exchange calendar ([`schedule`]), so it never polls a shut market; an outage pauses the run
//! (a `feed` event says why) and the bars missed are applied in order when data comes
//! back. Every bar a live run saw is kept in the bar store, so replaying the run over
//! stored bars gives the same events.

pub mod clock;
pub mod feed;
pub mod resume;
pub mod schedule;
pub mod sources;
pub mod stored;
mod stream_feed;
pub mod suspend;

pub use clock::{LiveClock, ScaledClock, SimClock, WallClock};
pub use feed::{FeedConfig, KeepBars};
pub use schedule::Schedule;
pub use sources::{FeedPeriod, class_of, market_feed, stored_feed};
pub use stored::StoredBars;
pub use suspend::Suspend;
