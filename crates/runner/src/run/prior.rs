//! A parent run's decision traces, for a replay that answers as the parent did (an
//! LLM run's recorded model exchanges travel in its traces).

use super::RunnerError;
use tradelab_engine::DecisionTrace;
use tradelab_store::{AuditEvent, EventFilter, RunId, Store, UserId};

/// Rows read per page.
const PAGE: u32 = 1_000;

/// The traces of `owner`'s run `parent`, in run order: one per `decided` row that
/// carries one. A row whose trace cannot be read is an error naming it (a replay must
/// not silently ask the model where the parent was answered).
pub(super) async fn parent_traces(
    store: &Store,
    owner: UserId,
    parent: RunId,
) -> Result<Vec<DecisionTrace>, RunnerError> {
    let filter = EventFilter {
        kinds: vec!["decided".into()],
        ..EventFilter::default()
    };
    let mut traces = Vec::new();
    for row in store.audit().all(owner, parent, &filter, PAGE).await? {
        let AuditEvent::Event(e) = row else { continue };
        let Some(trace) = e.detail.get("trace").filter(|t| !t.is_null()) else {
            continue;
        };
        let trace = serde_json::from_value::<DecisionTrace>(trace.clone()).map_err(|err| {
            RunnerError::Engine {
                run: parent,
                message: format!(
                    "the decision trace of event {} cannot be read for a replay: {err}",
                    e.seq
                ),
            }
        })?;
        traces.push(trace);
    }
    Ok(traces)
}
