//! The sink of a live run that may be resuming: while the run replays the steps its
//! trail already holds (rebuilding its state after a restart), events only rebuild the
//! report and the working orders; from the first new step on they are written and
//! broadcast, numbered after the last number the trail holds.

use crate::broadcast::Broadcast;
use crate::sink::StoreSink;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tradelab_core::Timestamp;
use tradelab_engine::{EventSink, RunEvent, Seq, SinkResult};

/// Whether a resuming run is still replaying its committed steps; the input stream
/// clears it when it hands the engine the first new input.
#[derive(Clone, Debug, Default)]
pub struct Replaying(Arc<AtomicBool>);

impl Replaying {
    /// Set: the run starts by replaying.
    pub fn new(replaying: bool) -> Self {
        Replaying(Arc::new(AtomicBool::new(replaying)))
    }

    /// Whether the run still replays.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// The replay is over.
    pub fn done(&self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The live run's sink: the store sink, the broadcast, and the renumbering of a
/// resumed run.
pub(crate) struct LiveSink<'a> {
    pub store: &'a mut StoreSink,
    pub broadcast: Option<Broadcast>,
    pub replaying: Replaying,
    /// The last number the trail holds (0 for a new run).
    pub stored_through: i64,
    /// The last number the replay gave.
    replayed_through: i64,
    /// Once the run ends for a suspension, nothing more is recorded.
    pub suspend: super::Suspend,
}

impl<'a> LiveSink<'a> {
    pub fn new(
        store: &'a mut StoreSink,
        broadcast: Option<Broadcast>,
        replaying: Replaying,
        stored_through: i64,
        suspend: super::Suspend,
    ) -> Self {
        LiveSink {
            store,
            broadcast,
            replaying,
            stored_through,
            replayed_through: 0,
            suspend,
        }
    }

    /// The number an event of the engine gets in the trail.
    fn renumbered(&self, seq: Seq) -> Seq {
        let offset = self.stored_through - self.replayed_through;
        (seq as i64 + offset).max(0) as Seq
    }
}

impl EventSink for LiveSink<'_> {
    fn on_event(&mut self, seq: Seq, event: &RunEvent) -> SinkResult {
        if self.suspend.taken() {
            return Ok(());
        }
        if self.replaying.get() {
            self.replayed_through = seq as i64;
            return self.store.replayed(seq, event);
        }
        let seq = self.renumbered(seq);
        self.store.on_event(seq, event)?;
        match &mut self.broadcast {
            Some(b) => b.on_event(seq, event),
            None => Ok(()),
        }
    }

    fn wants_positions(&self) -> bool {
        self.broadcast.is_some() || self.store.wants_positions()
    }

    fn on_equity(&mut self, seq: Seq, ts: Timestamp, equity: f64, invested: bool) -> SinkResult {
        if self.suspend.taken() {
            return Ok(());
        }
        if self.replaying.get() {
            self.replayed_through = seq as i64;
            return self.store.report.on_equity(seq, ts, equity, invested);
        }
        let seq = self.renumbered(seq);
        self.store.on_equity(seq, ts, equity, invested)?;
        match &mut self.broadcast {
            Some(b) => b.on_equity(seq, ts, equity, invested),
            None => Ok(()),
        }
    }
}
