//! Runs: numbering, strategy snapshots, lifecycle, interrupted runs.

mod common;

use common::{create_model, exec_raw, model_spec, new_run, owner, query_text, rule_spec};
use tradelab_store::{ModelId, PageRequest, RunId, RunStatus, StoreError};

store_test!(run_numbers_count_per_model_from_one, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let a = create_model(&db.store, alice.id, "a").await;
    let b = create_model(&db.store, alice.id, "b").await;
    let runs = db.store.runs();
    let numbers = [
        runs.create(alice.id, &new_run(a.id)).await.unwrap().number,
        runs.create(alice.id, &new_run(a.id)).await.unwrap().number,
        runs.create(alice.id, &new_run(b.id)).await.unwrap().number,
        runs.create(alice.id, &new_run(a.id)).await.unwrap().number,
    ];
    assert_eq!(numbers, [1, 2, 1, 3]);
    let third = runs.get_by_number(alice.id, a.id, 3).await.unwrap();
    assert_eq!(third.status, RunStatus::Queued);
    assert_eq!(
        runs.list_by_model(alice.id, a.id, PageRequest::default())
            .await
            .unwrap()
            .items
            .iter()
            .map(|r| r.number)
            .collect::<Vec<_>>(),
        [3, 2, 1]
    );
});

store_test!(
    concurrent_run_creation_numbers_without_gaps_or_duplicates,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let store = db.store.clone();
                tokio::spawn(async move {
                    common::create_run(&store, &new_run(m.id))
                        .await
                        .map(|r| r.number)
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for t in tasks {
            numbers.push(t.await.unwrap().unwrap());
        }
        numbers.sort();
        assert_eq!(numbers, (1..=12).collect::<Vec<i64>>());
    }
);

store_test!(
    a_runs_snapshot_does_not_change_when_the_model_is_edited,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let rules = db.store.rules();
        let cap = rules
            .create(alice.id, m.id, &rule_spec("cap", 2))
            .await
            .unwrap();
        let mut off = rule_spec("dormant", 1);
        off.active = false;
        rules.create(alice.id, m.id, &off).await.unwrap();
        let run = common::create_run(&db.store, &new_run(m.id)).await.unwrap();

        let snap = &run.snapshot;
        assert_eq!((snap.model, snap.model_name.as_str()), (m.id, "m"));
        assert_eq!(snap.decider, m.spec.decider);
        assert_eq!(snap.initial_cash, m.spec.initial_cash);
        assert_eq!(snap.rules, vec![cap.spec.clone()], "active rules only");
        assert_eq!(snap.fill_model, m.spec.fill_model);
        assert_eq!(snap.data_fingerprint.as_deref(), Some("sha256:abc"));

        let mut edited = model_spec("m2");
        edited.decider.params = serde_json::json!({"fast": 5});
        edited.rules_text = "changed".into();
        db.store
            .models()
            .update(common::model_owner(&db.store, m.id).await, m.id, &edited)
            .await
            .unwrap();
        let mut cap2 = cap.spec.clone();
        cap2.params = serde_json::json!({"max_fraction": "0.5"});
        rules.update(alice.id, cap.id, &cap2).await.unwrap();
        rules
            .create(alice.id, m.id, &rule_spec("new", 0))
            .await
            .unwrap();

        let again = db.store.runs().get_any(run.id).await.unwrap();
        assert_eq!(again.snapshot, run.snapshot);
        let next = common::create_run(&db.store, &new_run(m.id)).await.unwrap();
        assert_eq!(next.snapshot.rules.len(), 2);
        assert_eq!(next.snapshot.rules_text, "changed");
    }
);

store_test!(
    a_replay_keeps_its_parent_and_may_carry_changed_rules,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let parent = common::create_run(&db.store, &new_run(m.id)).await.unwrap();
        let mut strategy = parent.snapshot.clone();
        strategy.rules.push(rule_spec("tighter-stop", 1));
        let mut replay = new_run(m.id);
        replay.parent = Some(parent.id);
        replay.strategy = Some(strategy.clone());
        let child = common::create_run(&db.store, &replay).await.unwrap();
        assert_eq!(child.parent, Some(parent.id));
        assert_eq!(child.snapshot, strategy);

        replay.parent = Some(RunId(9999));
        assert!(matches!(
            common::create_run(&db.store, &replay).await,
            Err(StoreError::NotFound { what: "run", .. })
        ));
        assert_eq!(
            db.store
                .runs()
                .list_by_model(
                    common::model_owner(&db.store, m.id).await,
                    m.id,
                    tradelab_store::PageRequest::max()
                )
                .await
                .unwrap()
                .items
                .len(),
            2
        );
    }
);

store_test!(
    a_run_goes_from_queued_to_running_to_an_end_state_once,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let runs = db.store.runs();
        let run = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        let started = runs.start(run.id).await.unwrap();
        assert_eq!(started.status, RunStatus::Running);
        assert!(started.started_at.is_some());
        assert!(matches!(
            runs.start(run.id).await,
            Err(StoreError::Conflict { .. })
        ));
        let summary = serde_json::json!({"total_return": "0.1234", "sharpe": 1.5});
        let done = runs
            .finish(
                run.id,
                RunStatus::Halted,
                Some("drawdown_halt: 20% > 15%"),
                Some(&summary),
            )
            .await
            .unwrap();
        assert_eq!(done.status, RunStatus::Halted);
        assert_eq!(
            done.status_reason.as_deref(),
            Some("drawdown_halt: 20% > 15%")
        );
        assert_eq!(done.summary, Some(summary));
        assert!(done.ended_at.is_some());
        let err = runs
            .finish(run.id, RunStatus::Completed, None, None)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("is halted"), "{err}");
        assert!(matches!(
            runs.finish(run.id, RunStatus::Running, None, None).await,
            Err(StoreError::InvalidData { .. })
        ));
        assert!(matches!(
            runs.start(RunId(9999)).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            runs.create(alice.id, &new_run(ModelId(9999))).await,
            Err(StoreError::NotFound { what: "model", .. })
        ));
    }
);

store_test!(
    runs_left_running_are_marked_interrupted_at_their_last_event,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let runs = db.store.runs();
        let queued = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        let with_events = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        let silent = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        let finished = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        // Started by a process of this host that no longer exists (pids never reach
        // u32::MAX), as after a crash.
        let gone = tradelab_store::worker_id(u32::MAX - 1);
        for r in [&with_events, &silent, &finished] {
            runs.start_by(r.id, &gone).await.unwrap();
        }
        // A run of this (live) process is not touched.
        let alive = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        runs.start(alive.id).await.unwrap();
        // Created, never started, by a process that is gone.
        let never_started = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        set_worker(db, never_started.id, Some(&gone)).await;
        runs.finish(finished.id, RunStatus::Completed, None, None)
            .await
            .unwrap();
        let last = tradelab_core::Timestamp::from_secs(1_650_000_000);
        let batch = tradelab_store::AuditBatch {
            equity: vec![tradelab_store::EquityRow {
                ts: last,
                equity: "100000".parse().unwrap(),
                invested: false,
            }],
            ..Default::default()
        };
        db.store
            .audit()
            .append(with_events.id, &batch)
            .await
            .unwrap();

        let marked = runs.mark_interrupted_runs().await.unwrap();
        assert_eq!(marked, vec![with_events.id, silent.id, never_started.id]);
        let r = runs.get_any(with_events.id).await.unwrap();
        assert_eq!(
            (r.status, r.ended_at, r.last_event_at),
            (RunStatus::Interrupted, Some(last), Some(last))
        );
        let s = runs.get_any(silent.id).await.unwrap();
        assert_eq!(s.status, RunStatus::Interrupted);
        assert_eq!(s.ended_at, s.started_at);
        assert_eq!(
            s.status_reason.as_deref(),
            Some("the process ended while the run was running")
        );
        let q = runs.get_any(never_started.id).await.unwrap();
        assert_eq!(
            (q.status, q.status_reason.as_deref()),
            (
                RunStatus::Interrupted,
                Some("the process ended before the run started")
            )
        );
        assert_eq!((q.started_at, q.ended_at), (None, Some(q.created_at)));
        assert_eq!(
            runs.get_any(queued.id).await.unwrap().status,
            RunStatus::Queued
        );
        assert_eq!(
            runs.get_any(finished.id).await.unwrap().status,
            RunStatus::Completed
        );
        assert!(runs.mark_interrupted_runs().await.unwrap().is_empty());
        assert_eq!(
            runs.get_any(alive.id).await.unwrap().status,
            RunStatus::Running
        );
        assert_eq!(
            runs.list_by_status_all_owners(RunStatus::Interrupted, PageRequest::default())
                .await
                .unwrap()
                .items
                .len(),
            3
        );
    }
);

/// Sets the recorded worker of a run, as another process would have recorded it.
async fn set_worker(db: &common::TestDb, run: RunId, worker: Option<&str>) {
    let worker = worker.map_or("NULL".to_string(), |w| format!("'{w}'"));
    exec_raw(
        db,
        &format!("UPDATE runs SET worker = {worker} WHERE id = {run}"),
    )
    .await;
}

store_test!(
    a_queued_run_records_the_process_that_created_it_as_its_worker,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let run = db
            .store
            .runs()
            .create(alice.id, &new_run(m.id))
            .await
            .unwrap();
        let stored = query_text(
            db,
            &format!("SELECT worker FROM runs WHERE id = {}", run.id),
        )
        .await;
        assert_eq!(
            stored,
            vec![vec![Some(tradelab_store::worker_id(std::process::id()))]]
        );
        // Starting it records the worker that runs it.
        db.store.runs().start_by(run.id, "box:7").await.unwrap();
        let stored = query_text(
            db,
            &format!("SELECT worker FROM runs WHERE id = {}", run.id),
        )
        .await;
        assert_eq!(stored, vec![vec![Some("box:7".to_string())]]);
    }
);

store_test!(
    queued_runs_without_a_worker_or_long_silent_on_another_host_are_marked_interrupted,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let runs = db.store.runs();
        // Queued by a build that recorded no creator.
        let legacy = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        set_worker(db, legacy.id, None).await;
        // Queued on another host a moment ago: its creator may well be starting it.
        let elsewhere = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        set_worker(db, elsewhere.id, Some("another-host:42@1-abcdef01")).await;
        // Queued on another host longer ago than a live process leaves a run queued.
        let stale = runs.create(alice.id, &new_run(m.id)).await.unwrap();
        set_worker(db, stale.id, Some("another-host:43@1-abcdef01")).await;
        let long_ago =
            stale.created_at.nanos() - (tradelab_store::STALE_AFTER_SECS + 60) * 1_000_000_000;
        exec_raw(
            db,
            &format!(
                "UPDATE runs SET created_at_ns = {long_ago} WHERE id = {}",
                stale.id
            ),
        )
        .await;
        // Queued by this live process.
        let mine = runs.create(alice.id, &new_run(m.id)).await.unwrap();

        let marked = runs.mark_interrupted_runs().await.unwrap();
        assert_eq!(marked, vec![legacy.id, stale.id]);
        let s = runs.get_any(stale.id).await.unwrap();
        assert_eq!(
            (s.status, s.ended_at),
            (
                RunStatus::Interrupted,
                Some(tradelab_core::Timestamp::from_nanos(long_ago))
            )
        );
        for id in [elsewhere.id, mine.id] {
            assert_eq!(runs.get_any(id).await.unwrap().status, RunStatus::Queued);
        }
        // The live process still starts its run.
        assert_eq!(
            runs.start(mine.id).await.unwrap().status,
            RunStatus::Running
        );
        assert!(runs.mark_interrupted_runs().await.unwrap().is_empty());
    }
);

/// A run of a new model of a new owner, started by `worker`.
async fn started_run(db: &common::TestDb, worker: &str) -> tradelab_store::Run {
    let alice = match db
        .store
        .users()
        .find_by_email("a@example.com")
        .await
        .unwrap()
    {
        Some(u) => u,
        None => owner(&db.store, "a@example.com").await,
    };
    let name = format!(
        "m{}",
        db.store
            .models()
            .list_all_owners(tradelab_store::PageRequest::max())
            .await
            .unwrap()
            .items
            .len()
    );
    let m = db
        .store
        .models()
        .create(alice.id, &model_spec(&name))
        .await
        .unwrap();
    let run = common::create_run(&db.store, &new_run(m.id)).await.unwrap();
    db.store.runs().start_by(run.id, worker).await.unwrap()
}

/// A child process that lives until killed.
fn live_child() -> std::process::Child {
    std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("spawn sleep")
}

#[cfg(target_os = "linux")]
store_test!(
    a_run_whose_worker_pid_now_belongs_to_another_process_is_recognised_dead,
    |db| {
        let mut child = live_child();
        let child_worker = tradelab_store::worker_id(child.id());
        let my_worker = tradelab_store::worker_id(std::process::id());
        let (child_base, _) = child_worker.rsplit_once('@').expect("a start time");
        let (_, my_start) = my_worker.rsplit_once('@').expect("a start time");
        // The child's PID, recorded with another process's start: the process that
        // ran the run ended and the child got its PID.
        let reused = started_run(db, &format!("{child_base}@{my_start}")).await;
        // The child itself, as it is.
        let alive = started_run(db, &child_worker).await;
        // Queued runs created by each: the creator's PID reused, the child alive.
        let owner_id = common::owner_of(&db.store, reused.id).await;
        let queued_reused = db
            .store
            .runs()
            .create(owner_id, &new_run(reused.model))
            .await
            .unwrap();
        set_worker(
            db,
            queued_reused.id,
            Some(&format!("{child_base}@{my_start}")),
        )
        .await;
        let queued_alive = db
            .store
            .runs()
            .create(owner_id, &new_run(reused.model))
            .await
            .unwrap();
        set_worker(db, queued_alive.id, Some(&child_worker)).await;
        let marked = db.store.runs().mark_interrupted_runs().await.unwrap();
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(marked, vec![reused.id, queued_reused.id]);
        assert_eq!(
            db.store
                .runs()
                .get_any(queued_alive.id)
                .await
                .unwrap()
                .status,
            RunStatus::Queued
        );
        assert_eq!(
            db.store.runs().get_any(reused.id).await.unwrap().status,
            RunStatus::Interrupted
        );
        assert_eq!(
            db.store.runs().get_any(alive.id).await.unwrap().status,
            RunStatus::Running
        );
    }
);

fn finished_event(seq: i64) -> tradelab_store::AuditBatch {
    tradelab_store::AuditBatch {
        events: vec![tradelab_store::EventRow {
            seq,
            ts: tradelab_core::Timestamp::from_secs(1_650_000_000),
            symbol: None,
            kind: "run_finished".into(),
            detail: serde_json::json!({"status": "completed"}),
        }],
        ..Default::default()
    }
}

store_test!(
    the_last_batch_and_the_final_status_commit_together_or_not_at_all,
    |db| {
        let runs = db.store.runs();
        let me = tradelab_store::worker_id(std::process::id());
        let run = started_run(db, &me).await;
        let done = runs
            .finish_with(
                run.id,
                RunStatus::Completed,
                None,
                Some(&serde_json::json!({"trades": 0})),
                &finished_event(1),
            )
            .await
            .unwrap();
        assert_eq!(done.status, RunStatus::Completed);
        assert!(done.ended_at.is_some());
        assert_eq!(done.summary, Some(serde_json::json!({"trades": 0})));
        assert_eq!(
            db.store
                .audit()
                .events(common::owner_of(&db.store, run.id).await, run.id)
                .await
                .unwrap()
                .len(),
            1
        );

        // The batch fails (a seq already stored): the status does not change.
        let other = started_run(db, &me).await;
        db.store
            .audit()
            .append(other.id, &finished_event(1))
            .await
            .unwrap();
        let err = runs
            .finish_with(
                other.id,
                RunStatus::Completed,
                None,
                None,
                &finished_event(1),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate { .. }), "{err}");
        assert_eq!(
            runs.get_any(other.id).await.unwrap().status,
            RunStatus::Running
        );

        // The run cannot finish (it has): the batch is not written.
        let err = runs
            .finish_with(run.id, RunStatus::Failed, None, None, &finished_event(2))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("is completed"), "{err}");
        assert_eq!(
            db.store
                .audit()
                .events(common::owner_of(&db.store, run.id).await, run.id)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(matches!(
            runs.finish_with(other.id, RunStatus::Running, None, None, &finished_event(3))
                .await,
            Err(StoreError::InvalidData { .. })
        ));
    }
);
