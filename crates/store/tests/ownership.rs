//! Who owns bars: shared bars (an admin's imports) and private uploads, who may replace
//! and delete them, the runs that read them, the declared timeframe against the
//! bars' spacing, the migration to owned bars and roles, and e-mail validation.

mod common;

use common::{account, create_model, exec_raw, new_run};
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_store::ImportMode::{self, KeepExisting, Replace};
use tradelab_store::{
    BARS_IN_USE, ImportReport, NewUser, PageRequest, Role, SHARED_BARS, Store, StoreError,
    StoredBar, User, UserId,
};

/// 2020-01-01 00:00 UTC.
const NEW_YEAR_2020: i64 = 1_577_836_800;

/// `n` daily bars from 2020-01-01 closing around `base`.
fn daily(n: i64, base: f64) -> Vec<StoredBar> {
    daily_from(NEW_YEAR_2020, n, base)
}

/// `n` daily bars from the midnight `start` closing around `base`.
fn daily_from(start: i64, n: i64, base: f64) -> Vec<StoredBar> {
    (0..n)
        .map(|i| {
            let p = base + i as f64;
            Bar::new(
                Timestamp::from_secs(start + i * 86_400),
                p,
                p + 1.0,
                p - 1.0,
                p + 0.5,
                1000.0,
            )
            .expect("bar")
            .into()
        })
        .collect()
}

fn sym(s: &str) -> Symbol {
    Symbol::new(s).expect("symbol")
}

/// `actor` imports `bars` of `symbol` at 1d.
async fn import_daily(
    store: &Store,
    actor: &User,
    symbol: &str,
    bars: &[StoredBar],
    mode: ImportMode,
) -> Result<ImportReport, StoreError> {
    store
        .bars()
        .import_as(actor, &sym(symbol), Timeframe::DAY, bars, mode)
        .await
}

/// The 1d bars of `symbol` that `viewer` sees.
async fn load_daily(store: &Store, viewer: UserId, symbol: &str) -> Vec<StoredBar> {
    store
        .bars()
        .load_for(viewer, &sym(symbol), Timeframe::DAY, None, None)
        .await
        .expect("load bars")
}

fn closes(bars: &[StoredBar]) -> Vec<f64> {
    bars.iter().map(|b| b.bar.close()).collect()
}

store_test!(a_users_upload_is_private_to_that_user, |db| {
    let admin = account(&db.store, "admin@example.com", Role::Admin).await;
    let alice = account(&db.store, "alice@example.com", Role::User).await;
    let bob = account(&db.store, "bob@example.com", Role::User).await;
    let bars = db.store.bars();
    import_daily(
        &db.store,
        &admin,
        "SPY",
        &daily(5, 100.0),
        ImportMode::KeepExisting,
    )
    .await
    .unwrap();
    let r = import_daily(
        &db.store,
        &alice,
        "QQQ",
        &daily(4, 50.0),
        ImportMode::KeepExisting,
    )
    .await
    .unwrap();
    assert_eq!(r.inserted, 4);

    let seen = |list: Vec<tradelab_store::SeriesInfo>| {
        list.into_iter()
            .map(|s| (s.symbol.as_str().to_string(), s.owner))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        seen(bars.series_for(alice.id).await.unwrap()),
        vec![
            ("QQQ".to_string(), Some(alice.id)),
            ("SPY".to_string(), None)
        ]
    );
    assert_eq!(
        seen(bars.series_for(bob.id).await.unwrap()),
        vec![("SPY".to_string(), None)]
    );
    assert_eq!(
        seen(bars.list_series(PageRequest::max()).await.unwrap().items),
        vec![("SPY".to_string(), None)]
    );
    // The lookup by symbol sees what the whole listing sees, and no other user's.
    assert_eq!(
        seen(
            bars.series_of_symbol_for(alice.id, &sym("QQQ"))
                .await
                .unwrap()
        ),
        vec![("QQQ".to_string(), Some(alice.id))]
    );
    assert_eq!(
        seen(
            bars.series_of_symbol_for(bob.id, &sym("SPY"))
                .await
                .unwrap()
        ),
        vec![("SPY".to_string(), None)]
    );
    assert!(
        bars.series_of_symbol_for(bob.id, &sym("QQQ"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(load_daily(&db.store, bob.id, "QQQ").await.is_empty());
    assert!(
        bars.load_series_for(bob.id, &sym("QQQ"), Timeframe::DAY, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(load_daily(&db.store, alice.id, "QQQ").await.len(), 4);
    assert_eq!(
        bars.load_series_for(bob.id, &sym("SPY"), Timeframe::DAY, None, None)
            .await
            .unwrap()
            .len(),
        5
    );
});

store_test!(a_user_may_not_replace_shared_bars, |db| {
    let admin = account(&db.store, "admin@example.com", Role::Admin).await;
    let alice = account(&db.store, "alice@example.com", Role::User).await;
    let bars = db.store.bars();
    let shared = daily(5, 100.0);
    import_daily(&db.store, &admin, "SPY", &shared, KeepExisting)
        .await
        .unwrap();
    let changed = daily(5, 900.0);
    let err = import_daily(&db.store, &alice, "SPY", &changed, Replace)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { what, message } if *what == SHARED_BARS && message.contains("admin")),
        "{err}"
    );
    // Without --replace a differing or extending upload may not shadow them either.
    let err = import_daily(
        &db.store,
        &alice,
        "SPY",
        &daily(7, 100.0),
        ImportMode::KeepExisting,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { what, message } if *what == SHARED_BARS && message.contains("2 bars they do not hold")),
        "{err}"
    );
    // The same bars again change nothing and are fine.
    let r = import_daily(&db.store, &alice, "SPY", &shared, KeepExisting)
        .await
        .unwrap();
    assert_eq!((r.inserted, r.unchanged, r.conflicting), (0, 5, 0));
    for viewer in [admin.id, alice.id] {
        let seen = load_daily(&db.store, viewer, "SPY").await;
        assert_eq!(closes(&seen), closes(&shared));
    }
    assert_eq!(bars.series_for(alice.id).await.unwrap()[0].owner, None);
    // An admin may replace them.
    let r = import_daily(&db.store, &admin, "SPY", &changed, Replace)
        .await
        .unwrap();
    assert_eq!(r.replaced, 5);
    let seen = load_daily(&db.store, alice.id, "SPY").await;
    assert_eq!(closes(&seen), closes(&changed));
});

store_test!(
    a_private_series_shadows_shared_bars_only_for_its_owner,
    |db| {
        let admin = account(&db.store, "admin@example.com", Role::Admin).await;
        let alice = account(&db.store, "alice@example.com", Role::User).await;
        let bob = account(&db.store, "bob@example.com", Role::User).await;
        let hers = daily(5, 10.0);
        import_daily(&db.store, &alice, "XYZ", &hers, KeepExisting)
            .await
            .unwrap();
        // Later an admin shares other XYZ bars: no conflict with Alice's, she keeps hers.
        let shared = daily(5, 500.0);
        let r = import_daily(&db.store, &admin, "XYZ", &shared, KeepExisting)
            .await
            .unwrap();
        assert_eq!((r.inserted, r.conflicting), (5, 0));
        assert_eq!(
            closes(&load_daily(&db.store, alice.id, "XYZ").await),
            closes(&hers)
        );
        let owners = |list: Vec<tradelab_store::SeriesInfo>| {
            list.into_iter().map(|s| s.owner).collect::<Vec<_>>()
        };
        let bars = db.store.bars();
        assert_eq!(
            owners(
                bars.series_of_symbol_for(alice.id, &sym("XYZ"))
                    .await
                    .unwrap()
            ),
            vec![Some(alice.id)]
        );
        assert_eq!(
            owners(
                bars.series_of_symbol_for(bob.id, &sym("XYZ"))
                    .await
                    .unwrap()
            ),
            vec![None]
        );
        assert_eq!(
            closes(&load_daily(&db.store, bob.id, "XYZ").await),
            closes(&shared)
        );
        // Alice replaces her own bars; the shared ones stay.
        let mine = daily(5, 20.0);
        import_daily(&db.store, &alice, "XYZ", &mine, Replace)
            .await
            .unwrap();
        assert_eq!(
            closes(&load_daily(&db.store, alice.id, "XYZ").await),
            closes(&mine)
        );
        assert_eq!(
            closes(&load_daily(&db.store, bob.id, "XYZ").await),
            closes(&shared)
        );
    }
);

store_test!(
    a_user_may_not_delete_shared_bars_but_may_delete_their_own,
    |db| {
        let admin = account(&db.store, "admin@example.com", Role::Admin).await;
        let alice = account(&db.store, "alice@example.com", Role::User).await;
        let bars = db.store.bars();
        import_daily(
            &db.store,
            &admin,
            "SPY",
            &daily(5, 100.0),
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
        import_daily(
            &db.store,
            &alice,
            "QQQ",
            &daily(5, 100.0),
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
        let err = bars
            .delete_as(&alice, &sym("SPY"), Timeframe::DAY, None, None, true)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict { what, .. } if *what == SHARED_BARS),
            "{err}"
        );
        assert_eq!(
            bars.load(&sym("SPY"), Timeframe::DAY, None, None)
                .await
                .unwrap()
                .len(),
            5
        );
        let r = bars
            .delete_as(&alice, &sym("QQQ"), Timeframe::DAY, None, None, false)
            .await
            .unwrap();
        assert_eq!((r.deleted, r.remaining, r.owner), (5, 0, Some(alice.id)));
        assert!(
            bars.series_for(alice.id)
                .await
                .unwrap()
                .iter()
                .all(|s| s.symbol.as_str() != "QQQ")
        );
        let missing = bars
            .delete_as(&alice, &sym("QQQ"), Timeframe::DAY, None, None, false)
            .await
            .unwrap_err();
        assert!(matches!(missing, StoreError::NotFound { .. }), "{missing}");
        let r = bars
            .delete_as(&admin, &sym("SPY"), Timeframe::DAY, None, None, false)
            .await
            .unwrap();
        assert_eq!((r.deleted, r.owner), (5, None));
    }
);

store_test!(deleting_a_period_removes_only_its_bars, |db| {
    let admin = account(&db.store, "admin@example.com", Role::Admin).await;
    let bars = db.store.bars();
    // 1m bars over three UTC days (three chunks): delete the middle of it.
    let input: Vec<StoredBar> = (0..3 * 1440)
        .map(|i| {
            Bar::new(
                Timestamp::from_secs(NEW_YEAR_2020 + i * 60),
                50.0,
                51.0,
                49.0,
                50.5,
                10.0,
            )
            .expect("bar")
            .into()
        })
        .collect();
    bars.import_as(
        &admin,
        &sym("ES"),
        Timeframe::MINUTE,
        &input,
        ImportMode::KeepExisting,
    )
    .await
    .unwrap();
    let from = input[1000].bar.ts();
    let to = input[3000].bar.ts();
    let r = bars
        .delete_as(
            &admin,
            &sym("ES"),
            Timeframe::MINUTE,
            Some(from),
            Some(to),
            false,
        )
        .await
        .unwrap();
    assert_eq!((r.deleted, r.remaining), (2001, 3 * 1440 - 2001));
    let left = bars
        .load(&sym("ES"), Timeframe::MINUTE, None, None)
        .await
        .unwrap();
    let expected: Vec<Timestamp> = input
        .iter()
        .map(|b| b.bar.ts())
        .filter(|t| *t < from || *t > to)
        .collect();
    assert_eq!(
        left.iter().map(|b| b.bar.ts()).collect::<Vec<_>>(),
        expected
    );
});

store_test!(
    deleting_bars_that_runs_read_is_refused_unless_forced,
    |db| {
        let admin = account(&db.store, "admin@example.com", Role::Admin).await;
        let alice = account(&db.store, "alice@example.com", Role::User).await;
        let bars = db.store.bars();
        // 2020-09-10 … 2020-09-14; Alice's daily run over AAPL reads from 2020-09-13 12:26.
        let sept_10 = 1_599_696_000;
        import_daily(
            &db.store,
            &admin,
            "AAPL",
            &daily_from(sept_10, 5, 100.0),
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
        let model = create_model(&db.store, alice.id, "trend").await;
        let run = common::create_run(&db.store, &new_run(model.id))
            .await
            .unwrap();
        // Bars before the run's period are nobody's.
        let before = Some(Timestamp::from_secs(sept_10 + 2 * 86_400));
        let r = bars
            .delete_as(&admin, &sym("AAPL"), Timeframe::DAY, None, before, false)
            .await
            .unwrap();
        assert_eq!((r.deleted, r.runs.len()), (3, 0));
        // Nor are bars at another timeframe.
        let minutes: Vec<StoredBar> = (0..10)
            .map(|i| {
                Bar::new(
                    Timestamp::from_secs(1_600_100_000 + i * 60),
                    1.0,
                    1.0,
                    1.0,
                    1.0,
                    1.0,
                )
                .expect("bar")
                .into()
            })
            .collect();
        bars.import_as(
            &admin,
            &sym("AAPL"),
            Timeframe::MINUTE,
            &minutes,
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
        let r = bars
            .delete_as(&admin, &sym("AAPL"), Timeframe::MINUTE, None, None, false)
            .await
            .unwrap();
        assert_eq!((r.deleted, r.runs.len()), (10, 0));
        let err = bars
            .delete_as(&admin, &sym("AAPL"), Timeframe::DAY, None, None, false)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict { what, message } if *what == BARS_IN_USE && message.contains("trend#1")),
            "{err}"
        );
        assert_eq!(
            bars.load(&sym("AAPL"), Timeframe::DAY, None, None)
                .await
                .unwrap()
                .len(),
            2
        );
        let r = bars
            .delete_as(&admin, &sym("AAPL"), Timeframe::DAY, None, None, true)
            .await
            .unwrap();
        assert_eq!(r.deleted, 2);
        assert_eq!(
            r.runs
                .iter()
                .map(|u| (u.run, u.label.as_str()))
                .collect::<Vec<_>>(),
            vec![(run.id, "trend#1")]
        );
    }
);

store_test!(refuses_daily_bars_declared_as_minute_bars, |db| {
    let bars = db.store.bars();
    for tf in ["1m", "5m", "1h"] {
        let tf: Timeframe = tf.parse().unwrap();
        let err = bars
            .import(&sym("SPY"), tf, &daily(30, 100.0), ImportMode::KeepExisting)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidData { message, .. } if message.contains("look like 1d bars")),
            "{err}"
        );
    }
    assert!(
        bars.list_series(PageRequest::max())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let r = bars
        .import(
            &sym("SPY"),
            Timeframe::DAY,
            &daily(30, 100.0),
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
    assert_eq!(r.inserted, 30);
});

store_test!(
    bars_stored_before_owners_become_shared_and_cli_accounts_become_users,
    |db| {
        let bars = db.store.bars();
        bars.import(
            &sym("SPY"),
            Timeframe::DAY,
            &daily(5, 100.0),
            ImportMode::KeepExisting,
        )
        .await
        .unwrap();
        let local = account(&db.store, "local@tradelab", Role::Admin).await;
        let cli = account(&db.store, "someone@example.com", Role::Admin).await;
        let real = NewUser {
            email: "boss@example.com".into(),
            password_hash: "$argon2id$v=19$hash".into(),
            role: Role::Admin,
            display_name: "Boss".into(),
        };
        let boss = db.store.users().create(&real).await.unwrap();
        // Back to schema version 4: bar_chunks without owners, the audit tables of
        // then (empty).
        common::rewind_audit_rows(db).await;
        exec_raw(
            db,
            "DELETE FROM schema_version WHERE version = 5;
         CREATE TABLE old_chunks AS SELECT symbol, timeframe, chunk_start_ns, n_bars, \
             first_ts_ns, last_ts_ns, data FROM bar_chunks;
         DROP TABLE bar_chunks;
         ALTER TABLE old_chunks RENAME TO bar_chunks;",
        )
        .await;
        if db.store.backend() == tradelab_store::Backend::Postgres {
            exec_raw(
                db,
                "ALTER TABLE bar_chunks ADD CONSTRAINT bar_chunks_pkey \
             PRIMARY KEY (symbol, timeframe, chunk_start_ns)",
            )
            .await;
        }
        let store = Store::open(&db.config()).await.unwrap();
        assert_eq!(store.schema_version(), tradelab_store::SCHEMA_VERSION);
        let users = store.users();
        assert_eq!(users.get(local.id).await.unwrap().role, Role::Admin);
        assert_eq!(users.get(cli.id).await.unwrap().role, Role::User);
        assert_eq!(users.get(boss.id).await.unwrap().role, Role::Admin);
        let alice = account(&store, "alice@example.com", Role::User).await;
        let seen = store.bars().series_for(alice.id).await.unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!((seen[0].bars, seen[0].owner), (5, None));
        store.close().await;
    }
);

store_test!(rejects_malformed_email_addresses_naming_the_problem, |db| {
    let users = db.store.users();
    let long = format!("{}@example.com", "a".repeat(100_000));
    for (email, problem) in [
        ("bell\u{7}@example.com", "control character U+0007"),
        ("tab\t@example.com", "control character U+0009"),
        ("a b@example.com", "whitespace"),
        ("no-at.example.com", "no @"),
        ("a@b@example.com", "more than one @"),
        ("@example.com", "nothing before the @"),
        ("alice@", "no domain after the @"),
        ("", "empty"),
        (long.as_str(), "more than the 254"),
    ] {
        let err = users
            .create(&NewUser {
                email: email.into(),
                password_hash: "!".into(),
                role: Role::User,
                display_name: "x".into(),
            })
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains(problem), "{email:?}: {text}");
        assert!(text.len() < 300, "echoes too much: {} bytes", text.len());
    }
    assert!(
        users
            .list(tradelab_store::PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let ok = account(&db.store, " Alice.Smith+tag@Example.COM ", Role::User).await;
    assert_eq!(ok.email, "alice.smith+tag@example.com");
});
