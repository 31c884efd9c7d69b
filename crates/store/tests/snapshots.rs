//! Learner snapshots: numbered 1, 2, … per run, listed oldest first without their
//! state, read back by version or latest with the state exactly as written, private to
//! the run's owner, deleted with their run.

mod common;

use common::{create_model, create_run, exec_raw, new_run, owner, query_text};
use tradelab_core::Timestamp;
use tradelab_store::{NewSnapshot, RunId, StoreError};

fn snap(bars: u64, state: &str) -> NewSnapshot {
    NewSnapshot {
        bar_ts: Some(Timestamp::from_secs(1_600_000_000 + bars as i64 * 86_400)),
        bars,
        state: state.into(),
    }
}

store_test!(versions_count_per_run_from_one, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let m = create_model(&db.store, alice.id, "m").await;
    let a = create_run(&db.store, &new_run(m.id)).await.unwrap();
    let b = create_run(&db.store, &new_run(m.id)).await.unwrap();
    let s = db.store.snapshots();
    let versions = [
        s.save(a.id, &snap(500, "{\"w\":1}")).await.unwrap().version,
        s.save(a.id, &snap(1000, "{\"w\":2}"))
            .await
            .unwrap()
            .version,
        s.save(b.id, &snap(500, "{}")).await.unwrap().version,
        s.save(a.id, &snap(1200, "{\"w\":3}"))
            .await
            .unwrap()
            .version,
    ];
    assert_eq!(versions, [1, 2, 1, 3]);
    let listed = s.list(alice.id, a.id).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|i| (i.version, i.bars, i.size_bytes))
            .collect::<Vec<_>>(),
        [(1, 500, 7), (2, 1000, 7), (3, 1200, 7)]
    );
    assert_eq!(listed[1].bar_ts, snap(1000, "").bar_ts);
});

store_test!(
    get_reads_a_version_or_the_latest_with_its_state_as_written,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let run = create_run(&db.store, &new_run(m.id)).await.unwrap();
        let s = db.store.snapshots();
        // Text, not a JSON document: floats and key order come back bit for bit.
        let exact = "{\"z\":0.1000000000000000055511151231257827,\"a\":1e-300}";
        s.save(run.id, &snap(10, exact)).await.unwrap();
        s.save(run.id, &snap(20, "{\"v\":2}")).await.unwrap();
        let first = s.get(alice.id, run.id, Some(1)).await.unwrap();
        assert_eq!((first.info.version, first.state.as_str()), (1, exact));
        let latest = s.get(alice.id, run.id, None).await.unwrap();
        assert_eq!((latest.info.version, latest.info.bars), (2, 20));
        let missing = s.get(alice.id, run.id, Some(3)).await.unwrap_err();
        assert!(
            matches!(&missing, StoreError::NotFound { what: "snapshot", id } if id == &format!("{}@3", run.id)),
            "{missing}"
        );
    }
);

store_test!(
    another_owners_run_reads_as_not_found_and_runs_without_snapshots_say_so,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let bob = owner(&db.store, "bob@example.com").await;
        let m = create_model(&db.store, alice.id, "m").await;
        let run = create_run(&db.store, &new_run(m.id)).await.unwrap();
        let s = db.store.snapshots();
        let none = s.get(alice.id, run.id, None).await.unwrap_err();
        assert!(
            matches!(
                none,
                StoreError::NotFound {
                    what: "snapshot of run",
                    ..
                }
            ),
            "{none}"
        );
        s.save(run.id, &snap(10, "{}")).await.unwrap();
        for err in [
            s.get(bob.id, run.id, None).await.unwrap_err(),
            s.list(bob.id, run.id).await.unwrap_err(),
            s.get(alice.id, RunId(run.id.0 + 1000), None)
                .await
                .unwrap_err(),
        ] {
            assert!(
                matches!(err, StoreError::NotFound { what: "run", .. }),
                "{err}"
            );
        }
        let unknown = s
            .save(RunId(run.id.0 + 1000), &snap(1, "{}"))
            .await
            .unwrap_err();
        assert!(
            matches!(unknown, StoreError::NotFound { what: "run", .. }),
            "{unknown}"
        );
    }
);

store_test!(deleting_a_run_deletes_its_snapshots, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let m = create_model(&db.store, alice.id, "m").await;
    let run = create_run(&db.store, &new_run(m.id)).await.unwrap();
    db.store
        .snapshots()
        .save(run.id, &snap(10, "{}"))
        .await
        .unwrap();
    exec_raw(db, &format!("DELETE FROM runs WHERE id = {}", run.id.0)).await;
    let left = query_text(db, "SELECT CAST(COUNT(*) AS TEXT) FROM learner_snapshots").await;
    assert_eq!(left, vec![vec![Some("0".to_string())]]);
});
