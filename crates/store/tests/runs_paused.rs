//! The `paused` status of live runs: a run waits for its market data and runs again,
//! and the migration that added the status keeps every run, link and trail.

mod common;

use common::{create_model, exec_raw, new_run, owner};
use tradelab_store::RunStatus;

store_test!(
    a_live_run_pauses_while_its_data_is_out_and_runs_again_after,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let runs = db.store.runs();
        let run = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        assert!(
            !runs.pause(run.id, "alpaca: timed out").await.unwrap(),
            "a queued run does not pause"
        );
        runs.start(run.id).await.unwrap();
        assert!(runs.pause(run.id, "alpaca: timed out").await.unwrap());
        let paused = runs.get(alice.id, run.id).await.unwrap();
        assert_eq!(paused.status, RunStatus::Paused);
        assert!(!paused.status.is_terminal());
        assert_eq!(paused.status_reason.as_deref(), Some("alpaca: timed out"));
        assert!(
            !runs.pause(run.id, "again").await.unwrap(),
            "paused already"
        );
        assert!(runs.unpause(run.id).await.unwrap());
        let running = runs.get(alice.id, run.id).await.unwrap();
        assert_eq!(
            (running.status, running.status_reason),
            (RunStatus::Running, None)
        );
        assert!(!runs.unpause(run.id).await.unwrap(), "running already");
        // A paused run can still end (a stop, the end of its period).
        assert!(runs.pause(run.id, "alpaca: 503").await.unwrap());
        let ended = runs
            .finish(
                run.id,
                RunStatus::Stopped,
                Some("stopped by its owner"),
                None,
            )
            .await
            .unwrap();
        assert_eq!(ended.status, RunStatus::Stopped);
        assert!(
            !runs.unpause(run.id).await.unwrap(),
            "an ended run stays ended"
        );

        // A live run ends with its last rows in one transaction, paused or not.
        let live = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        runs.start(live.id).await.unwrap();
        assert!(runs.pause(live.id, "binance: 503").await.unwrap());
        let ended = runs
            .finish_with(
                live.id,
                RunStatus::Stopped,
                Some("stopped by its owner"),
                None,
                &tradelab_store::AuditBatch::default(),
            )
            .await
            .unwrap();
        assert_eq!(ended.status, RunStatus::Stopped);
    }
);

store_test!(
    runs_gaining_the_paused_status_keep_every_run_link_and_trail,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let runs = db.store.runs();
        let parent = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        runs.start(parent.id).await.unwrap();
        let events = tradelab_store::AuditBatch {
            events: (1..=3)
                .map(|seq| tradelab_store::EventRow {
                    seq,
                    ts: tradelab_core::Timestamp::from_secs(1_600_000_000 + seq),
                    symbol: None,
                    kind: "feed".into(),
                    detail: serde_json::json!({"notice": "paused", "seq": seq}),
                })
                .collect(),
            ..Default::default()
        };
        db.store.audit().append(parent.id, &events).await.unwrap();
        let child = runs
            .create(
                alice.id,
                &tradelab_store::NewRun {
                    parent: Some(parent.id),
                    ..new_run(m.id)
                },
            )
            .await
            .unwrap();
        let before = (
            runs.get(alice.id, parent.id).await.unwrap(),
            runs.get(alice.id, child.id).await.unwrap(),
        );
        // The migration to the paused status runs again over these rows (on SQLite it
        // rebuilds the runs table that the trail and the child reference).
        exec_raw(db, "DELETE FROM schema_version WHERE version >= 10").await;
        let store = tradelab_store::Store::open(&db.config()).await.unwrap();
        let runs = store.runs();
        let after = (
            runs.get(alice.id, parent.id).await.unwrap(),
            runs.get(alice.id, child.id).await.unwrap(),
        );
        assert_eq!(after, before);
        assert_eq!(after.1.parent, Some(parent.id));
        let trail = common::whole_trail(&store, alice.id, parent.id, 100).await;
        assert_eq!(trail.len(), 3, "{trail:?}");
        assert!(runs.pause(parent.id, "yahoo: 503").await.unwrap());
        assert_eq!(
            runs.get(alice.id, parent.id).await.unwrap().status,
            RunStatus::Paused
        );
        store.close().await;
    }
);
