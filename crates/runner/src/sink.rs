//! The store sink: turns the engine's events into audit rows and hands them, in
//! batches, to a writer that commits each batch in one transaction.
//!
//! The engine runs on a blocking thread; batches travel over a bounded channel to the
//! async writer, so computing and writing overlap and a 1M-bar replay is a few hundred
//! transactions, not a million. The writer hands each written batch back, emptied, so
//! its buffers are reused instead of being allocated (and faulted in) anew.

use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Sender;
use tradelab_core::{OrderIntent, Sizing, Symbol, Timestamp};
use tradelab_engine::ModelNote;
use tradelab_engine::report::ReportSink;
use tradelab_engine::risk_engine::RiskEvent;
use tradelab_engine::{EventSink, RejectReason, RunEvent, Seq, SinkError, SinkResult};
use tradelab_store::{
    AuditBatchOf, DecisionRow, EquityRow, EventRow, FillRow, NewSnapshot, OrderRow, OrderStatus,
};

/// Rows per batch (one transaction each).
pub const DEFAULT_BATCH_ROWS: usize = 50_000;

/// A batch as the sink builds it: JSON documents serialized straight to text.
pub type RawBatch = AuditBatchOf<Box<RawValue>>;

/// A batch sent to the writer, with the engine's number of the last event it covers:
/// once it is committed, every event numbered up to `through` is stored (or is not a
/// row, like an equity point), which a live view needs to join stored and live events
/// without a gap.
pub struct Flushed {
    pub batch: RawBatch,
    pub through: i64,
    /// Learner snapshots taken in the batch's steps, saved (as the run's next
    /// versions) once the batch is written.
    pub snapshots: Vec<NewSnapshot>,
}

/// The longest a step's rows wait in the sink before they are sent to the writer (a
/// slow run, such as one asking a language model, is then stored and visible within
/// this time instead of once a batch fills).
const FLUSH_AFTER: Duration = Duration::from_millis(200);

/// Steps between two looks at the clock while steps are fast (a look costs about as
/// much as a fast step); slow steps (a millisecond or more) look at every step.
const STEPS_PER_CLOCK_LOOK: u32 = 16;

/// `v` as compact JSON text, without building a `serde_json::Value` tree (`null` if
/// it cannot be serialized, which the engine's types always can).
fn raw_json<T: serde::Serialize + ?Sized>(v: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(v).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// Writes a run's events to the store (through `tx`) and builds its report.
pub struct StoreSink {
    batch: RawBatch,
    batch_rows: usize,
    tx: Sender<Flushed>,
    /// Written batches coming back empty, for reuse.
    spare: Option<Receiver<RawBatch>>,
    seq: i64,
    /// The number of the last event seen (a row or not).
    through: i64,
    /// When the last batch was sent.
    flushed_at: Instant,
    /// Steps since the clock was last read, when it was, and every how many steps.
    steps_unlooked: u32,
    looked_at: Instant,
    look_every: u32,
    /// Intents of working orders, for the rows of their cancellation.
    orders: HashMap<u64, OrderIntent>,
    /// Learner snapshots waiting to go with the next batch.
    snapshots: Vec<NewSnapshot>,
    /// The version of the run's last learner snapshot (0: none yet): the store numbers
    /// them 1, 2, … per run in the order this sink sends them, so a `snapshot` event
    /// can say the version its snapshot is saved as.
    snapshot_version: i64,
    /// The report builder fed with the same events.
    pub report: ReportSink,
    /// Set when the writer has gone away (its error is reported by the runner).
    pub closed: bool,
}

impl StoreSink {
    /// A sink sending batches of about `batch_rows` rows to `tx`.
    pub fn new(tx: Sender<Flushed>, batch_rows: usize, steps: usize) -> Self {
        StoreSink {
            batch: RawBatch::default(),
            batch_rows: batch_rows.max(1),
            tx,
            spare: None,
            seq: 0,
            through: 0,
            flushed_at: Instant::now(),
            steps_unlooked: 0,
            looked_at: Instant::now(),
            look_every: STEPS_PER_CLOCK_LOOK,
            orders: HashMap::new(),
            snapshots: Vec::new(),
            snapshot_version: 0,
            report: ReportSink::with_capacity(steps),
            closed: false,
        }
    }

    /// Numbers this run's snapshots after `last`, the version its stored snapshots
    /// reach already (a resumed live run's).
    pub fn snapshots_after(mut self, last: i64) -> Self {
        self.snapshot_version = last;
        self
    }

    /// Takes the next batch's buffers from the written batches the writer hands back
    /// through `spare`.
    pub fn reuse_batches(mut self, spare: Receiver<RawBatch>) -> Self {
        self.spare = Some(spare);
        self
    }

    /// Sends what is buffered.
    pub fn flush(&mut self) {
        if self.batch.is_empty() || self.closed {
            return;
        }
        let mut next = self
            .spare
            .as_ref()
            .and_then(|spare| spare.try_recv().ok())
            .unwrap_or_default();
        next.clear();
        let batch = std::mem::replace(&mut self.batch, next);
        let through = self.through;
        let snapshots = std::mem::take(&mut self.snapshots);
        self.flushed_at = Instant::now();
        let flushed = Flushed {
            batch,
            through,
            snapshots,
        };
        if self.tx.blocking_send(flushed).is_err() {
            self.closed = true;
        }
    }

    /// Takes an event a resumed run replays to rebuild its state: the report and the
    /// working orders learn of it; nothing is written (the trail holds it already).
    pub fn replayed(&mut self, seq: Seq, event: &RunEvent) -> SinkResult {
        self.report.on_event(seq, event)?;
        match event {
            RunEvent::OrderAccepted { order } => {
                self.orders.insert(order.id.0, order.intent.clone());
            }
            RunEvent::OrderCancelled { order_id, .. } => {
                self.orders.remove(&order_id.0);
            }
            RunEvent::Fill { fill } => {
                self.orders.remove(&fill.order_id.0);
            }
            _ => {}
        }
        Ok(())
    }

    /// Takes what is buffered instead of sending it: the run's last batch, which the
    /// runner writes in one transaction with the run's final status.
    pub fn take_last(&mut self) -> RawBatch {
        std::mem::take(&mut self.batch)
    }

    /// The number of the audit row being written: the engine's number of its event
    /// (one row per event; equity points and position events, which are not rows,
    /// leave gaps). The one place rows are numbered.
    fn next_seq(&mut self) -> i64 {
        self.seq
    }

    /// Fails once the writer has gone away: the run stops instead of going on
    /// unrecorded.
    fn alive(&self) -> SinkResult {
        if self.closed {
            return Err(Box::new(SinkError::new(
                "the store's audit writer stopped; the run's events can no longer be saved",
            )));
        }
        Ok(())
    }

    fn event(&mut self, ts: Timestamp, symbol: Option<&Symbol>, kind: &str, detail: Box<RawValue>) {
        let seq = self.next_seq();
        self.batch.events.push(EventRow {
            seq,
            ts,
            symbol: symbol.cloned(),
            kind: kind.to_string(),
            detail,
        });
    }

    fn order_row(
        &mut self,
        intent: &OrderIntent,
        id: Option<u64>,
        ts: Timestamp,
        status: OrderStatus,
    ) -> OrderRow {
        OrderRow {
            seq: self.next_seq(),
            order_id: id.and_then(|i| i64::try_from(i).ok()),
            client_order_id: intent.client_order_id.as_ref().map(|c| c.to_string()),
            ts,
            symbol: intent.symbol.clone(),
            side: intent.side,
            order_type: intent.order_type,
            qty: match intent.sizing {
                Sizing::Shares(q) => Some(q),
                _ => None,
            },
            sizing: intent.sizing,
            status,
            reject_rule: None,
            reject_reason: None,
        }
    }

    /// Sends the batch when it is full, or when its oldest rows waited
    /// [`FLUSH_AFTER`] (the clock is read every few steps only).
    fn maybe_flush(&mut self) {
        if self.batch.len() >= self.batch_rows {
            self.flush();
            return;
        }
        self.steps_unlooked += 1;
        if self.steps_unlooked >= self.look_every {
            let now = Instant::now();
            let per_step = (now - self.looked_at) / self.steps_unlooked;
            self.look_every = if per_step >= Duration::from_millis(1) {
                1
            } else {
                STEPS_PER_CLOCK_LOOK
            };
            self.steps_unlooked = 0;
            self.looked_at = now;
            if now - self.flushed_at >= FLUSH_AFTER {
                self.flush();
            }
        }
    }
}

fn action(intent: &OrderIntent) -> String {
    format!("{} {} ({})", intent.side, intent.sizing, intent.order_type)
}

impl EventSink for StoreSink {
    fn on_equity(&mut self, seq: Seq, ts: Timestamp, equity: f64, invested: bool) -> SinkResult {
        self.report.on_equity(seq, ts, equity, invested)?;
        self.through = seq as i64;
        self.batch.equity.push(EquityRow {
            ts,
            equity,
            invested,
        });
        // A step ends with its equity point: batches hold whole steps only, so the
        // last committed event of a crashed run is the close of a complete step.
        if self.snapshots.is_empty() {
            self.maybe_flush();
        } else {
            self.flush();
        }
        self.alive()
    }

    fn on_event(&mut self, seq: Seq, event: &RunEvent) -> SinkResult {
        self.seq = seq as i64;
        self.through = self.seq;
        self.report.on_event(seq, event)?;
        match event {
            RunEvent::Decision { ts, intent } => {
                let seq = self.next_seq();
                self.batch.decisions.push(DecisionRow {
                    seq,
                    ts: *ts,
                    symbol: Some(intent.symbol.clone()),
                    action: action(intent),
                    quantity: match intent.sizing {
                        Sizing::Shares(q) => Some(q),
                        _ => None,
                    },
                    reasoning: intent.reason.to_string(),
                    inputs: raw_json(intent),
                });
            }
            RunEvent::OrderAccepted { order } => {
                self.orders.insert(order.id.0, order.intent.clone());
                let row = self.order_row(
                    &order.intent,
                    Some(order.id.0),
                    order.created_at,
                    OrderStatus::Accepted,
                );
                self.batch.orders.push(row);
            }
            RunEvent::OrderRejected {
                ts,
                order_id,
                intent,
                reason,
            } => {
                let mut row =
                    self.order_row(intent, order_id.map(|o| o.0), *ts, OrderStatus::Rejected);
                row.reject_rule = Some(match reason {
                    RejectReason::Risk { rule, .. } => rule.clone(),
                    other => other.kind().to_string(),
                });
                row.reject_reason = Some(reason.to_string());
                self.batch.orders.push(row);
            }
            RunEvent::OrderCancelled {
                ts,
                order_id,
                reason,
            } => {
                if let Some(intent) = self.orders.remove(&order_id.0) {
                    let mut row =
                        self.order_row(&intent, Some(order_id.0), *ts, OrderStatus::Cancelled);
                    row.reject_reason = Some(reason.clone());
                    self.batch.orders.push(row);
                }
            }
            RunEvent::Fill { fill } => {
                // The fill row says the order is filled: it needs no order row, and
                // its intent is no longer working.
                self.orders.remove(&fill.order_id.0);
                let seq = self.next_seq();
                self.batch.fills.push(FillRow {
                    seq,
                    fill: fill.clone(),
                });
            }
            RunEvent::TradeClosed { trade } => {
                self.event(
                    trade.exit_ts,
                    Some(&trade.symbol),
                    "trade_closed",
                    raw_json(trade),
                );
            }
            RunEvent::Risk { ts, risk } => {
                let symbol = match risk {
                    RiskEvent::AutoExit { symbol, .. } => Some(symbol),
                    _ => None,
                };
                self.event(*ts, symbol, "risk", raw_json(risk));
            }
            RunEvent::RunFinished { ts, .. } => {
                self.event(*ts, None, "run_finished", raw_json(event));
            }
            RunEvent::RunFailed { ts, .. } => {
                self.event(*ts, None, "run_failed", raw_json(event));
            }
            RunEvent::Decided { ts, .. } => {
                self.event(*ts, None, "decided", raw_json(event));
            }
            RunEvent::DeciderFailed { ts, .. } => {
                self.event(*ts, None, "decider_failed", raw_json(event));
            }
            RunEvent::Command { ts, command } => {
                self.event(*ts, None, "command", raw_json(command));
            }
            RunEvent::Feed { ts, notice } => {
                self.event(*ts, None, "feed", raw_json(notice));
            }
            RunEvent::Model { ts, note } => {
                let data = match note {
                    ModelNote::Snapshot { bars, size, .. } => {
                        // The version the store gives it: the run's next.
                        self.snapshot_version += 1;
                        raw_json(&serde_json::json!({
                            "model": "snapshot",
                            "bars": bars,
                            "size": size,
                            "version": self.snapshot_version,
                        }))
                    }
                    _ => raw_json(note),
                };
                self.event(*ts, None, "model", data);
                if let ModelNote::Snapshot { bars, state, .. } = note {
                    // Saved with the batch that holds its event, sent at the step's end.
                    self.snapshots.push(NewSnapshot {
                        bar_ts: Some(*ts),
                        bars: *bars,
                        state: state.clone(),
                    });
                }
            }
            RunEvent::PositionChanged { .. } | RunEvent::EquityPoint { .. } => {}
        }
        self.alive()
    }
}

/// Symbols as text, for messages.
pub(crate) fn symbols_text(symbols: &[Symbol]) -> String {
    symbols
        .iter()
        .map(Symbol::as_str)
        .collect::<Vec<_>>()
        .join(",")
}
