//! Replays and the data they run on: a replay verifies its parent's data fingerprint,
//! refuses changed bars unless allowed, and records the change when allowed; runs read
//! the bars their model's owner sees (shared, or the owner's private upload).

#[path = "../../store/tests/common/mod.rs"]
mod common;

use common::account;
use serde_json::json;
use tradelab_core::{BarSeries, Money, Symbol, Timeframe};
use tradelab_engine::risk::RuleSet;
use tradelab_runner::{ReplayOptions, Runner, RunnerError, StartRun, compare};
use tradelab_store::ImportMode::{self, KeepExisting, Replace};
use tradelab_store::{DeciderConfig, ModelId, ModelSpec, Role, RunId, RunStatus, Store, User};

/// `n` daily bars of `symbol` from 2000-01-01, a zigzag around `base`.
fn series(symbol: &str, n: usize, base: f64) -> BarSeries {
    common::daily_series(symbol, n, |k| base + ((k * 7) % 13) as f64)
}

/// `actor` imports `bars` (1d) in `mode`.
async fn import(store: &Store, actor: &User, bars: &BarSeries, mode: ImportMode) {
    store
        .bars()
        .import_series_as(actor, bars, Timeframe::DAY, mode)
        .await
        .expect("import bars");
}

/// The error a replay of `run` that must be refused ends with.
async fn refused_replay(runner: &Runner, run: RunId) -> RunnerError {
    match runner
        .replay(
            common::owner_of(runner.store(), run).await,
            run,
            no_rules(),
            None,
        )
        .await
    {
        Err(e) => e,
        Ok(f) => panic!("replayed on changed bars as run {}", f.run.id),
    }
}

async fn model(store: &Store, owner: &User, name: &str) -> ModelId {
    let spec = ModelSpec {
        name: name.into(),
        description: String::new(),
        decider: DeciderConfig {
            kind: "sma_cross".into(),
            params: json!({"fast": "3", "slow": "8"}),
        },
        initial_cash: Money::from(10_000),
        allowed_symbols: vec![rw(), Symbol::new("MINE").expect("symbol")],
        rules_text: String::new(),
        instructions: String::new(),
        fill_model: tradelab_runner::ExecutionSettings::default().to_json(),
    };
    store
        .models()
        .create(owner.id, &spec)
        .await
        .expect("model")
        .id
}

fn rw() -> Symbol {
    Symbol::new("RW").expect("symbol")
}

fn no_rules() -> RuleSet {
    tradelab_rules_file::from_toml_str("", "none.toml").expect("rules")
}

store_test!(rejects_replay_when_bars_changed_since_the_run, |db| {
    let admin = account(&db.store, "admin@x.io", Role::Admin).await;
    let alice = account(&db.store, "alice@x.io", Role::User).await;
    import(&db.store, &admin, &series("RW", 120, 50.0), KeepExisting).await;
    let m = model(&db.store, &alice, "trend").await;
    let runner = Runner::new(db.store.clone());
    let first = runner
        .start(
            StartRun::new(
                common::model_owner(&db.store, m).await,
                m,
                vec![rw()],
                Timeframe::DAY,
            ),
            None,
        )
        .await
        .unwrap();
    // The same bars: the replay goes ahead.
    runner
        .replay(
            common::owner_of(&db.store, first.run.id).await,
            first.run.id,
            no_rules(),
            None,
        )
        .await
        .unwrap();
    // An admin replaces the bars behind the run.
    import(&db.store, &admin, &series("RW", 120, 60.0), Replace).await;
    let err = refused_replay(&runner, first.run.id).await;
    let text = err.to_string();
    assert!(matches!(err, RunnerError::DataChanged { .. }), "{text}");
    for part in [
        "trend#1",
        "RW",
        "same 120 bars in count, with other values",
        "--allow-changed-data",
    ] {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
    assert!(
        text.contains(first.run.snapshot.data_fingerprint.as_deref().unwrap()),
        "{text}"
    );
    // Appended bars are a change too, and the message says how many.
    import(&db.store, &admin, &series("RW", 130, 60.0), Replace).await;
    let text = refused_replay(&runner, first.run.id).await.to_string();
    assert!(
        text.contains("it read 120 bars, 130 are stored now"),
        "{text}"
    );
    // No run was created by the refusals.
    let runs = common::runs_of(&db.store, m).await;
    assert_eq!(runs.len(), 2);
});

store_test!(
    replays_changed_bars_when_allowed_and_records_both_fingerprints,
    |db| {
        let admin = account(&db.store, "admin@x.io", Role::Admin).await;
        import(&db.store, &admin, &series("RW", 120, 50.0), KeepExisting).await;
        let m = model(&db.store, &admin, "trend").await;
        let runner = Runner::new(db.store.clone());
        let first = runner
            .start(
                StartRun::new(
                    common::model_owner(&db.store, m).await,
                    m,
                    vec![rw()],
                    Timeframe::DAY,
                ),
                None,
            )
            .await
            .unwrap();
        import(&db.store, &admin, &series("RW", 120, 70.0), Replace).await;
        let allow = ReplayOptions {
            allow_changed_data: true,
            ..ReplayOptions::default()
        };
        let second = runner
            .replay_with(
                common::owner_of(&db.store, first.run.id).await,
                first.run.id,
                no_rules(),
                allow,
                None,
            )
            .await
            .unwrap();
        assert_eq!(second.run.status, RunStatus::Completed);
        let then = first.run.snapshot.data_fingerprint.clone().unwrap();
        let now = second.run.snapshot.data_fingerprint.clone().unwrap();
        assert_ne!(then, now);
        assert_eq!(
            second.run.snapshot.data_changed_from.as_deref(),
            Some(then.as_str())
        );
        let stored = db.store.runs().get_any(second.run.id).await.unwrap();
        assert_eq!(
            stored.snapshot.data_changed_from.as_deref(),
            Some(then.as_str())
        );
        let events = db
            .store
            .audit()
            .events(
                common::owner_of(&db.store, second.run.id).await,
                second.run.id,
            )
            .await
            .unwrap();
        let first_event = &events[0];
        assert_eq!(first_event.kind, "data_changed");
        assert_eq!(first_event.detail["parent_fingerprint"], json!(then));
        assert_eq!(first_event.detail["fingerprint"], json!(now));
        assert_eq!(first_event.detail["parent"], json!("trend#1"));
        assert!(events.iter().any(|e| e.kind == "run_finished"));
        // runs compare shows both fingerprints and the recorded change.
        let c = compare(&[first.run.clone(), stored], vec!["a".into(), "b".into()]);
        let diff = |key: &str| {
            c.differences
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            diff("data_fingerprint"),
            Some(vec![json!(then), json!(now)])
        );
        assert_eq!(
            diff("data_changed_from"),
            Some(vec![serde_json::Value::Null, json!(then)])
        );
        // A replay on unchanged data records nothing.
        let third = runner
            .replay(
                common::owner_of(&db.store, second.run.id).await,
                second.run.id,
                no_rules(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(third.run.snapshot.data_changed_from, None);
        let events = db
            .store
            .audit()
            .events(
                common::owner_of(&db.store, third.run.id).await,
                third.run.id,
            )
            .await
            .unwrap();
        assert!(events.iter().all(|e| e.kind != "data_changed"));
    }
);

store_test!(a_run_reads_the_bars_its_model_owner_sees, |db| {
    let admin = account(&db.store, "admin@x.io", Role::Admin).await;
    let alice = account(&db.store, "alice@x.io", Role::User).await;
    let bob = account(&db.store, "bob@x.io", Role::User).await;
    import(&db.store, &admin, &series("RW", 100, 50.0), KeepExisting).await;
    // Alice's private upload of another symbol.
    import(&db.store, &alice, &series("MINE", 100, 20.0), KeepExisting).await;
    let runner = Runner::new(db.store.clone());
    let hers = model(&db.store, &alice, "hers").await;
    let his = model(&db.store, &bob, "his").await;
    let mine = Symbol::new("MINE").unwrap();
    let f = runner
        .start(
            StartRun::new(
                common::model_owner(&db.store, hers).await,
                hers,
                vec![mine.clone(), rw()],
                Timeframe::DAY,
            ),
            None,
        )
        .await
        .unwrap();
    assert_eq!(f.run.status, RunStatus::Completed);
    assert_eq!(
        runner
            .stored_timeframe(alice.id, std::slice::from_ref(&mine))
            .await
            .unwrap(),
        Some(Timeframe::DAY)
    );
    assert_eq!(
        runner
            .stored_timeframe(bob.id, std::slice::from_ref(&mine))
            .await
            .unwrap(),
        None
    );
    let err = match runner
        .start(
            StartRun::new(
                common::model_owner(&db.store, his).await,
                his,
                vec![mine],
                Timeframe::DAY,
            ),
            None,
        )
        .await
    {
        Err(e) => e,
        Ok(f) => panic!("Bob ran on Alice's private bars as run {}", f.run.id),
    };
    assert!(
        matches!(&err, RunnerError::NoBars { hint, .. } if hint.contains("import them")),
        "{err}"
    );
});
