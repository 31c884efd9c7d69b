//! The live view of a run: a sink that broadcasts every event, with the engine's
//! number, to whoever subscribed (a server's SSE stream, a UI, a test). A subscriber
//! that falls behind misses events (it is told how many) rather than slowing the run;
//! it can read what it missed from the store by number, since both carry the engine's
//! sequence numbers.

use std::sync::Arc;
use tokio::sync::broadcast;
use tradelab_core::Timestamp;
use tradelab_engine::{EventSink, RunEvent, Seq, SinkResult};

/// One event of a run with its number.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Numbered {
    pub seq: Seq,
    #[serde(flatten)]
    pub event: RunEvent,
}

/// Events a subscriber may lag behind before it misses some.
pub const DEFAULT_CAPACITY: usize = 4096;

/// Sends every event of a run to its subscribers. Sending costs nothing while nobody
/// listens.
pub struct Broadcast {
    tx: broadcast::Sender<Arc<Numbered>>,
}

impl Broadcast {
    /// A broadcast keeping up to `capacity` events for slow subscribers.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        Broadcast { tx }
    }

    /// A new subscriber, receiving the events sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Numbered>> {
        self.tx.subscribe()
    }

    /// Another handle on the same broadcast (to subscribe from elsewhere).
    pub fn sender(&self) -> broadcast::Sender<Arc<Numbered>> {
        self.tx.clone()
    }

    /// A broadcast sending on an existing channel.
    pub fn from_sender(tx: broadcast::Sender<Arc<Numbered>>) -> Self {
        Broadcast { tx }
    }

    fn send(&self, seq: Seq, event: &RunEvent) {
        if self.tx.receiver_count() > 0 {
            // No subscriber left between the check and the send is not an error.
            let _ = self.tx.send(Arc::new(Numbered {
                seq,
                event: event.clone(),
            }));
        }
    }
}

impl EventSink for Broadcast {
    fn on_event(&mut self, seq: Seq, event: &RunEvent) -> SinkResult {
        self.send(seq, event);
        Ok(())
    }

    fn wants_positions(&self) -> bool {
        true
    }

    #[inline]
    fn on_equity(&mut self, seq: Seq, ts: Timestamp, equity: f64, invested: bool) -> SinkResult {
        if self.tx.receiver_count() > 0 {
            self.send(
                seq,
                &RunEvent::EquityPoint {
                    ts,
                    equity,
                    invested,
                },
            );
        }
        Ok(())
    }
}
