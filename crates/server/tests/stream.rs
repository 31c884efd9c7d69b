//! A run's live stream (SSE): every stored row in seq order with its seq as the id,
//! then `end` with the final status; a reconnect with `Last-Event-ID` continues
//! without a gap or a repeat; a run still going streams to its end.

mod common;
mod run_fixtures;

use run_fixtures::*;

fn row_ids(events: &[Sse]) -> Vec<i64> {
    events.iter().filter_map(|e| e.id).collect()
}

fn stored_seqs(rows: &[serde_json::Value]) -> Vec<i64> {
    rows.iter()
        .map(|e| e["seq"].as_i64().expect("seq"))
        .collect()
}

server_test!(a_finished_runs_stream_replays_every_row_then_ends, |srv| {
    import_bars(&srv, "APX", 300).await;
    let alice = srv.user("alice@x.io").await;
    let model = sma_model(&srv, user_id(&alice).await, "cross", "APX").await;
    let id = start_run(&alice, model).await;
    wait_for_end(&alice, id).await;
    let stored = stored_seqs(&all_events(&alice, id, 1000).await);

    let events = read_stream(&alice, id, None).await;
    assert_eq!(events.first().map(|e| e.kind.as_str()), Some("status"));
    let end = events.last().expect("events");
    assert_eq!(end.kind, "end");
    assert_eq!(end.data["status"], "completed");
    assert_eq!(row_ids(&events), stored, "every stored row, in order, once");
    assert!(events.iter().any(|e| e.kind == "fill"));
    assert!(events.iter().any(|e| e.kind == "trade"));

    // Reconnecting after a row in the middle continues right after it.
    let middle = stored[stored.len() / 2];
    let rest = read_stream(&alice, id, Some(middle)).await;
    assert_eq!(rest.last().map(|e| e.kind.as_str()), Some("end"));
    let mut joined: Vec<i64> = stored.iter().copied().filter(|s| *s <= middle).collect();
    joined.extend(row_ids(&rest));
    assert_eq!(joined, stored);
});

server_test!(a_running_runs_stream_follows_it_to_its_end, |srv| {
    import_long_bars(&srv, "LNG", 80_000).await;
    let alice = srv.user("alice@x.io").await;
    let model = sma_model(&srv, user_id(&alice).await, "long", "LNG").await;
    let id = start_run(&alice, model).await;
    let events = read_stream(&alice, id, None).await;
    let end = events.last().expect("events");
    assert_eq!(
        end.kind,
        "end",
        "{:?}",
        events.iter().rev().take(3).collect::<Vec<_>>()
    );
    assert_eq!(end.data["status"], "completed");
    let stored = stored_seqs(&all_events(&alice, id, 1000).await);
    assert_eq!(row_ids(&events), stored, "no gap and no repeat at the seam");
});
