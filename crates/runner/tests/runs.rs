//! Specifications of durable runs, on SQLite and (when configured) PostgreSQL: the
//! same test bodies on both backends.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use serde_json::json;
use tradelab_core::{Bar, BarSeries, Money, Symbol, Timeframe, Timestamp};
use tradelab_runner::{
    ExecutionSettings, Runner, RunnerError, StartRun, compare, rules_from_specs, rules_to_specs,
};
use tradelab_store::{
    AuditEvent, Backend, DeciderConfig, ImportMode, ModelId, ModelSpec, NewUser, OrderStatus, Role,
    RunStatus, Store,
};

fn walk(symbol: &str, n: usize, seed: u64) -> BarSeries {
    let mut state = seed | 1;
    let mut cents: i64 = 10_000;
    let bars = (0..n)
        .map(|k| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let open = cents;
            cents = (cents + (state % 201) as i64 - 100).max(500);
            Bar::new(
                Timestamp::from_secs(946_684_800 + 86_400 * k as i64),
                open as f64 / 100.0,
                (open.max(cents) + 30) as f64 / 100.0,
                (open.min(cents) - 30) as f64 / 100.0,
                cents as f64 / 100.0,
                1000.0,
            )
            .unwrap()
        })
        .collect();
    BarSeries::new(Symbol::new(symbol).unwrap(), bars).unwrap()
}

async fn model(store: &Store, name: &str, rules: &str) -> ModelId {
    let user = match store.users().find_by_email("t@x.io").await.unwrap() {
        Some(u) => u,
        None => store
            .users()
            .create(&NewUser {
                email: "t@x.io".into(),
                password_hash: "!".into(),
                role: Role::User,
                display_name: "t".into(),
            })
            .await
            .unwrap(),
    };
    let settings = ExecutionSettings {
        allow_short: true,
        commission: tradelab_engine::Commission {
            rate: "0.001".parse().unwrap(),
            ..Default::default()
        },
        ..Default::default()
    };
    let spec = ModelSpec {
        name: name.into(),
        description: String::new(),
        decider: DeciderConfig {
            kind: "sma_cross".into(),
            params: json!({"fast": "5", "slow": "20"}),
        },
        initial_cash: Money::from(10_000),
        allowed_symbols: vec![Symbol::new("RW").unwrap(), Symbol::new("NOPE").unwrap()],
        rules_text: String::new(),
        instructions: String::new(),
        fill_model: settings.to_json(),
    };
    let m = store.models().create(user.id, &spec).await.unwrap();
    let set = tradelab_rules_file::from_toml_str(rules, "t.toml").unwrap();
    for r in rules_to_specs(&set) {
        store.rules().create(user.id, m.id, &r).await.unwrap();
    }
    m.id
}

async fn import(store: &Store, s: &BarSeries) {
    store
        .bars()
        .import_series(s, Timeframe::DAY, ImportMode::KeepExisting)
        .await
        .unwrap();
}

const STOP: &str = "[[rule]]\nname = \"stop\"\nkind = \"stop_loss_pct\"\npct = 1\n";

store_test!(run_persists_its_audit_trail_and_report, |db| {
    let s = walk("RW", 600, 7);
    import(&db.store, &s).await;
    let m = model(&db.store, "trend", STOP).await;
    let mut req = StartRun::new(
        common::model_owner(&db.store, m).await,
        m,
        vec![Symbol::new("RW").unwrap()],
        Timeframe::DAY,
    );
    req.batch_rows = 100; // many small transactions
    let f = Runner::new(db.store.clone())
        .start(req, None)
        .await
        .unwrap();
    assert_eq!(f.run.status, RunStatus::Completed);
    assert_eq!(f.run.number, 1);
    let counts = db
        .store
        .audit()
        .counts(common::owner_of(&db.store, f.run.id).await, f.run.id)
        .await
        .unwrap();
    let text = format!("{counts:?}");
    assert!(text.contains("equity: 600"), "{text}");
    let fills = db
        .store
        .audit()
        .fills(common::owner_of(&db.store, f.run.id).await, f.run.id)
        .await
        .unwrap();
    assert_eq!(fills.len(), f.report.fills);
    assert!(f.report.fills > 10);
    let equity = db
        .store
        .audit()
        .equity(common::owner_of(&db.store, f.run.id).await, f.run.id)
        .await
        .unwrap();
    assert_eq!(equity.len(), 600);
    let last = equity.last().unwrap().equity;
    assert!((last - f.report.final_equity).abs() < 0.01);
    let summary = f.run.summary.as_ref().unwrap();
    assert_eq!(summary["closed_trades"], json!(f.report.closed_trades));
    let auto_exits: usize = f.report.auto_exits.values().sum();
    let risk_rows = db
        .store
        .audit()
        .events(common::owner_of(&db.store, f.run.id).await, f.run.id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == "risk")
        .count();
    assert!(auto_exits > 0, "{:?}", f.report.auto_exits);
    assert_eq!(risk_rows, auto_exits);
});

store_test!(
    every_event_of_a_run_is_one_row_numbered_in_run_order,
    |db| {
        let s = walk("RW", 600, 7);
        import(&db.store, &s).await;
        let m = model(&db.store, "trend", STOP).await;
        let mut req = StartRun::new(
            common::model_owner(&db.store, m).await,
            m,
            vec![Symbol::new("RW").unwrap()],
            Timeframe::DAY,
        );
        req.batch_rows = 100; // many small transactions
        let f = Runner::new(db.store.clone())
            .start(req, None)
            .await
            .unwrap();
        let owner = common::owner_of(&db.store, f.run.id).await;
        let audit = db.store.audit();
        let rows = common::whole_trail(&db.store, owner, f.run.id, 50).await;
        // The engine's numbers, one per row, rising in the order it emitted the events
        // (equity points and position events are numbered but are not rows).
        let seqs: Vec<i64> = rows.iter().map(AuditEvent::seq).collect();
        assert!(seqs[0] >= 1);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        assert!(rows.windows(2).all(|w| w[0].ts() <= w[1].ts()));
        let kinds = |k: &str| rows.iter().filter(|e| e.kind() == k).count();
        let counts = audit.counts(owner, f.run.id).await.unwrap();
        assert_eq!(kinds("decision") as i64, counts.decisions);
        assert!(counts.decisions > 10);
        assert_eq!(kinds("fill"), f.report.fills);
        assert_eq!(kinds("trade_closed"), f.report.closed_trades);
        assert_eq!(rows.last().map(AuditEvent::kind), Some("run_finished"));
        // Each fill follows the acceptance of its order; no order row repeats a fill.
        for (i, row) in rows.iter().enumerate() {
            if let AuditEvent::Fill(fill) = row {
                let id = i64::try_from(fill.fill.order_id.0).unwrap();
                let accepted = rows[..i].iter().any(|e| {
                    matches!(e, AuditEvent::Order(o)
                        if o.order_id == Some(id) && o.status == OrderStatus::Accepted)
                });
                assert!(accepted, "fill of order {id} at seq {}", fill.seq);
            }
        }
        assert!(
            !rows
                .iter()
                .any(|e| matches!(e, AuditEvent::Order(o) if o.status == OrderStatus::Filled))
        );
    }
);

store_test!(snapshot_does_not_change_when_the_model_is_edited, |db| {
    let s = walk("RW", 200, 3);
    import(&db.store, &s).await;
    let m = model(&db.store, "snap", STOP).await;
    let f = Runner::new(db.store.clone())
        .start(
            StartRun::new(
                common::model_owner(&db.store, m).await,
                m,
                vec![Symbol::new("RW").unwrap()],
                Timeframe::DAY,
            ),
            None,
        )
        .await
        .unwrap();
    let mut spec = db.store.models().get_any(m).await.unwrap().spec;
    spec.decider.params = json!({"fast": "2", "slow": "3"});
    db.store
        .models()
        .update(common::model_owner(&db.store, m).await, m, &spec)
        .await
        .unwrap();
    for r in db
        .store
        .rules()
        .list(
            common::model_owner(&db.store, m).await,
            m,
            tradelab_store::PageRequest::max(),
        )
        .await
        .unwrap()
        .items
    {
        let owner = common::model_owner(&db.store, m).await;
        db.store.rules().delete(owner, r.id).await.unwrap();
    }
    let again = db.store.runs().get_any(f.run.id).await.unwrap();
    assert_eq!(
        again.snapshot.decider.params,
        json!({"fast": "5", "slow": "20"})
    );
    assert_eq!(again.snapshot.rules.len(), 1);
});

store_test!(
    replay_runs_the_same_data_with_other_rules_and_links_its_parent,
    |db| {
        let s = walk("RW", 400, 11);
        import(&db.store, &s).await;
        let m = model(&db.store, "replayed", STOP).await;
        let runner = Runner::new(db.store.clone());
        let first = runner
            .start(
                StartRun::new(
                    common::model_owner(&db.store, m).await,
                    m,
                    vec![Symbol::new("RW").unwrap()],
                    Timeframe::DAY,
                ),
                None,
            )
            .await
            .unwrap();
        let other = tradelab_rules_file::from_toml_str(
        "[[rule]]\nname = \"stop\"\nkind = \"stop_loss_pct\"\npct = 2\n\n[[rule]]\nname = \"target\"\nkind = \"take_profit_pct\"\npct = 2\n",
        "o.toml",
    )
    .unwrap();
        let second = runner
            .replay(
                common::owner_of(&db.store, first.run.id).await,
                first.run.id,
                other,
                None,
            )
            .await
            .unwrap();
        assert_eq!(second.run.parent, Some(first.run.id));
        assert_eq!(second.run.number, 2);
        assert_eq!(
            second.run.snapshot.data_fingerprint,
            first.run.snapshot.data_fingerprint
        );
        assert_eq!(second.run.snapshot.decider, first.run.snapshot.decider);
        let rules = rules_from_specs(&second.run.snapshot.rules, "").unwrap();
        assert_eq!(rules.rules.len(), 2);
        let c = compare(
            &[first.run.clone(), second.run.clone()],
            vec!["a".into(), "b".into()],
        );
        let diffs: Vec<&str> = c.differences.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            diffs,
            vec!["rules[stop]", "rules[target]"],
            "only the rules differ"
        );
        assert_ne!(first.report.final_equity, second.report.final_equity);
    }
);

store_test!(identical_runs_give_identical_results, |db| {
    let s = walk("RW", 300, 5);
    import(&db.store, &s).await;
    let m = model(&db.store, "det", STOP).await;
    let runner = Runner::new(db.store.clone());
    let a = runner
        .start(
            StartRun::new(
                common::model_owner(&db.store, m).await,
                m,
                vec![Symbol::new("RW").unwrap()],
                Timeframe::DAY,
            ),
            None,
        )
        .await
        .unwrap();
    let b = runner
        .start(
            StartRun::new(
                common::model_owner(&db.store, m).await,
                m,
                vec![Symbol::new("RW").unwrap()],
                Timeframe::DAY,
            ),
            None,
        )
        .await
        .unwrap();
    assert_eq!(a.run.summary, b.run.summary);
    assert_eq!(
        db.store
            .audit()
            .fills(common::owner_of(&db.store, a.run.id).await, a.run.id)
            .await
            .unwrap(),
        db.store
            .audit()
            .fills(common::owner_of(&db.store, b.run.id).await, b.run.id)
            .await
            .unwrap()
    );
});

store_test!(missing_bars_fail_clearly_and_store_no_run, |db| {
    let m = model(&db.store, "empty", STOP).await;
    let err = Runner::new(db.store.clone())
        .start(
            StartRun::new(
                common::model_owner(&db.store, m).await,
                m,
                vec![Symbol::new("NOPE").unwrap()],
                Timeframe::DAY,
            ),
            None,
        )
        .await
        .err()
        .unwrap();
    assert!(matches!(err, RunnerError::NoBars { .. }), "{err}");
    assert!(err.to_string().contains("tradelab data import"));
    assert!(common::runs_of(&db.store, m).await.is_empty());
});

store_test!(
    missing_bars_name_the_timeframe_or_period_that_is_stored,
    |db| {
        let m = model(&db.store, "hint", STOP).await;
        let s = walk("RW", 30, 3);
        import(&db.store, &s).await;
        let runner = Runner::new(db.store.clone());
        let minutes = StartRun::new(
            common::model_owner(&db.store, m).await,
            m,
            vec![Symbol::new("RW").unwrap()],
            Timeframe::MINUTE,
        );
        let err = runner.start(minutes, None).await.err().unwrap();
        assert_eq!(
            err.to_string(),
            "no stored 1m bars for RW in the requested period; RW is stored as 1d bars: \
         pass --timeframe 1d"
        );
        let mut later = StartRun::new(
            common::model_owner(&db.store, m).await,
            m,
            vec![Symbol::new("RW").unwrap()],
            Timeframe::DAY,
        );
        later.from = Some(Timestamp::from_secs(4_102_444_800));
        let err = runner.start(later, None).await.err().unwrap();
        assert_eq!(
            err.to_string(),
            "no stored 1d bars for RW in the requested period; its 1d bars run from \
         2000-01-01T00:00:00Z to 2000-01-30T00:00:00Z: change --from/--to"
        );
        assert!(common::runs_of(&db.store, m).await.is_empty());
    }
);

store_test!(
    an_unknown_model_or_another_owners_model_is_not_found,
    |db| {
        let m = model(&db.store, "mine", "").await;
        let me = common::model_owner(&db.store, m).await;
        let stranger = common::owner(&db.store, "stranger@x.io").await.id;
        let runner = Runner::new(db.store.clone());
        for (owner, id) in [(me, ModelId(999)), (stranger, m)] {
            let err = runner
                .start(StartRun::new(owner, id, vec![], Timeframe::DAY), None)
                .await
                .err()
                .unwrap();
            assert!(err.to_string().contains(&id.0.to_string()), "{err}");
        }
        assert!(common::runs_of(&db.store, m).await.is_empty());
    }
);

/// Makes the database refuse to mark a run completed, as if the process died just
/// before that write.
const REFUSE_COMPLETION_SQLITE: &str = "CREATE TRIGGER refuse_completion BEFORE UPDATE OF status \
     ON runs WHEN NEW.status = 'completed' \
     BEGIN SELECT RAISE(ABORT, 'the process died here'); END;";
const REFUSE_COMPLETION_POSTGRES: &str = "CREATE FUNCTION refuse_completion() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the process died here'; END $$; \
     CREATE TRIGGER refuse_completion BEFORE UPDATE ON runs FOR EACH ROW \
     WHEN (NEW.status = 'completed') EXECUTE FUNCTION refuse_completion();";

store_test!(
    a_run_that_cannot_record_its_end_keeps_no_run_finished_event,
    |db| {
        let s = walk("RW", 300, 5);
        import(&db.store, &s).await;
        let m = model(&db.store, "trend", STOP).await;
        let refuse = match db.store.backend() {
            Backend::Sqlite => REFUSE_COMPLETION_SQLITE,
            Backend::Postgres => REFUSE_COMPLETION_POSTGRES,
        };
        common::exec_raw(db, refuse).await;
        let mut req = StartRun::new(
            common::model_owner(&db.store, m).await,
            m,
            vec![Symbol::new("RW").unwrap()],
            Timeframe::DAY,
        );
        req.batch_rows = 100; // earlier batches commit on their own
        let err = Runner::new(db.store.clone()).start(req, None).await.err();
        assert!(err.is_some(), "the completion was refused");
        let runs = common::runs_of(&db.store, m).await;
        let run = &runs[0];
        // Its end was never recorded: still running, until the next start after this
        // process ends marks it interrupted.
        assert_eq!(run.status, RunStatus::Running);
        let events = db
            .store
            .audit()
            .events(common::owner_of(&db.store, run.id).await, run.id)
            .await
            .unwrap();
        assert!(
            events.iter().all(|e| e.kind != "run_finished"),
            "the trail says the run finished while its status says {}: {events:?}",
            run.status
        );
        // The batches before the last one are kept, as for any interrupted run.
        let equity = db
            .store
            .audit()
            .equity(common::owner_of(&db.store, run.id).await, run.id)
            .await
            .unwrap();
        assert!(!equity.is_empty() && equity.len() < 300, "{}", equity.len());
    }
);

/// Daily bars closing at 1e-10 and then at 1e15: an all-in buy at the tiny price holds
/// so many units that their value at the huge one is beyond the exact ledger.
fn tiny_then_huge(symbol: &str) -> BarSeries {
    let bars = [1e-10, 1e-10, 1e15]
        .iter()
        .enumerate()
        .map(|(k, &price)| {
            Bar::new(
                Timestamp::from_secs(946_684_800 + 86_400 * k as i64),
                price,
                price,
                price,
                price,
                1.0,
            )
            .unwrap()
        })
        .collect();
    BarSeries::new(Symbol::new(symbol).unwrap(), bars).unwrap()
}

store_test!(
    a_ledger_overflow_fails_the_run_and_stores_its_run_failed_event_with_the_status,
    |db| {
        import(&db.store, &tiny_then_huge("BIG")).await;
        let m = model(&db.store, "overflow", "").await;
        let mut spec = db.store.models().get_any(m).await.unwrap().spec;
        spec.decider = DeciderConfig {
            kind: "buy_and_hold".into(),
            params: json!({}),
        };
        spec.allowed_symbols = vec![Symbol::new("BIG").unwrap()];
        db.store
            .models()
            .update(common::model_owner(&db.store, m).await, m, &spec)
            .await
            .unwrap();

        let req = StartRun::new(
            common::model_owner(&db.store, m).await,
            m,
            vec![Symbol::new("BIG").unwrap()],
            Timeframe::DAY,
        );
        let Err(err) = Runner::new(db.store.clone()).start(req, None).await else {
            panic!("the run completed");
        };
        assert!(matches!(err, RunnerError::Engine { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("cannot be computed exactly"), "{text}");

        let runs = common::runs_of(&db.store, m).await;
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        assert_eq!(run.status, RunStatus::Failed, "not interrupted");
        let reason = run.status_reason.as_deref().unwrap_or_default();
        assert!(reason.contains("cannot be computed exactly"), "{reason}");
        let events = db
            .store
            .audit()
            .events(common::owner_of(&db.store, run.id).await, run.id)
            .await
            .unwrap();
        let last = events.last().expect("the run has events");
        assert_eq!(last.kind, "run_failed", "the failure is the last event");
        let detail = last.detail.to_string();
        assert!(detail.contains("1000000000000000"), "{detail}");
        assert!(events.iter().all(|e| e.kind != "run_finished"));
    }
);
