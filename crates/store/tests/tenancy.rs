//! Tenancy: every repository method acting on a user's model, rule, run or audit trail
//! takes the owner, and another owner's ids find and change nothing (the same
//! NotFound as a missing id). Lists are paged by limit and keyset cursor.

mod common;

use common::{create_model, model_spec, new_run, owner, rule_spec};
use serde_json::json;
use tradelab_core::Timestamp;
use tradelab_store::{
    AuditBatch, EquityRow, EventFilter, EventRow, MAX_PAGE_LIMIT, ModelId, PageRequest, RuleId,
    RunId, Store, StoreError, UserId,
};

/// Asserts `result` is NotFound of `what`, as a missing id is.
#[track_caller]
fn not_found<T: std::fmt::Debug>(what: &str, result: tradelab_store::Result<T>) {
    match result {
        Err(StoreError::NotFound { what: w, .. }) if w == what => {}
        other => panic!("expected {what} not found, got {other:?}"),
    }
}

/// Alice's model with a rule and a running run with some audit rows.
async fn alices_world(store: &Store) -> (UserId, ModelId, RuleId, RunId) {
    let alice = owner(store, "alice@example.com").await;
    let m = create_model(store, alice.id, "trend").await;
    let rule = store
        .rules()
        .create(alice.id, m.id, &rule_spec("cap", 1))
        .await
        .unwrap();
    let run = store.runs().create(alice.id, &new_run(m.id)).await.unwrap();
    store.runs().start(run.id).await.unwrap();
    let batch = AuditBatch {
        equity: vec![EquityRow {
            ts: Timestamp::from_secs(1_600_000_000),
            equity: 100_000.0,
            invested: false,
        }],
        events: vec![EventRow {
            seq: 1,
            ts: Timestamp::from_secs(1_600_000_000),
            symbol: None,
            kind: "note".into(),
            detail: json!({"text": "alice's"}),
        }],
        ..AuditBatch::default()
    };
    store.audit().append(run.id, &batch).await.unwrap();
    (alice.id, m.id, rule.id, run.id)
}

store_test!(
    another_owners_ids_find_nothing_in_every_repository_method,
    |db| {
        let s = &db.store;
        let (alice, am, ar, arun) = alices_world(s).await;
        let bob = owner(s, "bob@example.com").await.id;
        let bobs_model = create_model(s, bob, "bobs").await;
        let before = (
            s.models().get(alice, am).await.unwrap(),
            s.rules().get(alice, ar).await.unwrap(),
            s.runs().get(alice, arun).await.unwrap(),
        );

        // Models.
        not_found("model", s.models().get(bob, am).await);
        assert_eq!(s.models().find_by_name(bob, "trend").await.unwrap(), None);
        not_found(
            "model",
            s.models().update(bob, am, &model_spec("stolen")).await,
        );
        not_found("model", s.models().delete(bob, am).await);
        let bobs = s
            .models()
            .list_by_owner(bob, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(bobs.items, vec![bobs_model.clone()]);
        not_found(
            "model",
            s.models()
                .list_by_owner(bob, PageRequest::after(10, am))
                .await,
        );

        // Rules.
        not_found(
            "model",
            s.rules().create(bob, am, &rule_spec("mine", 1)).await,
        );
        not_found("rule", s.rules().get(bob, ar).await);
        not_found("rule", s.rules().update(bob, ar, &rule_spec("x", 9)).await);
        not_found("rule", s.rules().set_active(bob, ar, false).await);
        not_found("rule", s.rules().delete(bob, ar).await);
        not_found(
            "model",
            s.rules().list(bob, am, PageRequest::default()).await,
        );
        // Alice's rule is no cursor into Bob's model either.
        not_found(
            "rule",
            s.rules()
                .list(bob, bobs_model.id, PageRequest::after(10, ar))
                .await,
        );

        // Runs.
        not_found("model", s.runs().create(bob, &new_run(am)).await);
        let mut replay = new_run(bobs_model.id);
        replay.parent = Some(arun);
        not_found("run", s.runs().create(bob, &replay).await);
        not_found("run", s.runs().get(bob, arun).await);
        not_found("run", s.runs().get_by_number(bob, am, 1).await);
        not_found(
            "model",
            s.runs()
                .list_by_model(bob, am, PageRequest::default())
                .await,
        );
        assert!(
            s.runs()
                .list_by_owner(bob, PageRequest::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        not_found(
            "run",
            s.runs()
                .list_by_owner(bob, PageRequest::after(10, arun))
                .await,
        );
        assert_eq!(s.runs().count_by_model(bob, am).await.unwrap(), 0);

        // The audit trail.
        not_found("run", s.audit().decisions(bob, arun).await);
        not_found("run", s.audit().orders(bob, arun).await);
        not_found("run", s.audit().fills(bob, arun).await);
        not_found("run", s.audit().equity(bob, arun).await);
        not_found("run", s.audit().events(bob, arun).await);
        not_found("run", s.audit().counts(bob, arun).await);
        let everything = EventFilter::default();
        not_found(
            "run",
            s.audit()
                .page(bob, arun, &everything, PageRequest::default())
                .await,
        );
        let notes = EventFilter {
            kinds: vec!["note".into()],
            from: Some(Timestamp::from_secs(1_500_000_000)),
            ..EventFilter::default()
        };
        not_found(
            "run",
            s.audit()
                .page(bob, arun, &notes, PageRequest::after(10, 0))
                .await,
        );

        // The same error as an id nobody has.
        not_found("model", s.models().get(alice, ModelId(9_999)).await);
        not_found("rule", s.rules().get(alice, RuleId(9_999)).await);
        not_found("run", s.runs().get(alice, RunId(9_999)).await);
        not_found("run", s.audit().events(alice, RunId(9_999)).await);
        not_found(
            "run",
            s.audit()
                .page(alice, RunId(9_999), &everything, PageRequest::default())
                .await,
        );

        // Nothing of Alice's changed, and Bob's failed run creation took no run number.
        let after = (
            s.models().get(alice, am).await.unwrap(),
            s.rules().get(alice, ar).await.unwrap(),
            s.runs().get(alice, arun).await.unwrap(),
        );
        assert_eq!(after, before);
        assert_eq!(s.audit().events(alice, arun).await.unwrap().len(), 1);
        assert_eq!(s.audit().equity(alice, arun).await.unwrap().len(), 1);
        assert_eq!(s.audit().counts(alice, arun).await.unwrap().events, 1);
        let page = s
            .audit()
            .page(alice, arun, &notes, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(s.runs().count_by_model(alice, am).await.unwrap(), 1);
        let next = s.runs().create(alice, &new_run(am)).await.unwrap();
        assert_eq!(next.number, 2);
        // The admin paths see everyone's.
        assert_eq!(s.models().get_any(am).await.unwrap().owner, alice);
        assert_eq!(s.runs().get_any(arun).await.unwrap().id, arun);
    }
);

store_test!(models_page_by_name_with_a_cursor_to_the_last_page, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await.id;
    let bob = owner(s, "bob@example.com").await.id;
    for name in ["e", "c", "a", "d", "b"] {
        create_model(s, alice, name).await;
    }
    create_model(s, bob, "bb").await;
    let names = |p: &tradelab_store::Page<tradelab_store::Model, ModelId>| {
        p.items
            .iter()
            .map(|m| m.spec.name.clone())
            .collect::<Vec<_>>()
    };
    let first = s
        .models()
        .list_by_owner(alice, PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(names(&first), ["a", "b"]);
    let cursor = first.next_after.expect("a next page");
    assert_eq!(cursor, first.items[1].id);
    let second = s
        .models()
        .list_by_owner(alice, PageRequest::after(2, cursor))
        .await
        .unwrap();
    assert_eq!(names(&second), ["c", "d"]);
    let last = s
        .models()
        .list_by_owner(alice, PageRequest::after(2, second.next_after.unwrap()))
        .await
        .unwrap();
    assert_eq!(names(&last), ["e"]);
    assert_eq!(last.next_after, None, "the last page has no cursor");
    // A page that ends exactly at the end says so too.
    let whole = s
        .models()
        .list_by_owner(alice, PageRequest::first(5))
        .await
        .unwrap();
    assert_eq!(whole.items.len(), 5);
    assert_eq!(whole.next_after, None);
    // The admin listing pages every owner's by id.
    let all = s
        .models()
        .list_all_owners(PageRequest::first(4))
        .await
        .unwrap();
    assert_eq!(all.items.len(), 4);
    let rest = s
        .models()
        .list_all_owners(PageRequest::after(4, all.next_after.unwrap()))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.next_after, None);
});

store_test!(runs_and_rules_page_with_a_cursor_to_the_last_page, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await.id;
    let b = create_model(s, alice, "b").await;
    let a = create_model(s, alice, "a").await;
    for _ in 0..3 {
        s.runs().create(alice, &new_run(a.id)).await.unwrap();
        s.runs().create(alice, &new_run(b.id)).await.unwrap();
    }
    let label = |r: &tradelab_store::Run| format!("{}#{}", r.snapshot.model_name, r.number);
    // One model's runs, newest first.
    let p1 = s
        .runs()
        .list_by_model(alice, a.id, PageRequest::first(2))
        .await
        .unwrap();
    assert_eq!(
        p1.items.iter().map(label).collect::<Vec<_>>(),
        ["a#3", "a#2"]
    );
    let p2 = s
        .runs()
        .list_by_model(alice, a.id, PageRequest::after(2, p1.next_after.unwrap()))
        .await
        .unwrap();
    assert_eq!(p2.items.iter().map(label).collect::<Vec<_>>(), ["a#1"]);
    assert_eq!(p2.next_after, None);
    // All the owner's runs: by model name, newest first within a model, across pages.
    let mut seen = Vec::new();
    let mut page = PageRequest::first(4);
    loop {
        let p = s.runs().list_by_owner(alice, page).await.unwrap();
        assert!(p.items.len() <= 4);
        seen.extend(p.items.iter().map(label));
        match p.next_after {
            Some(after) => page = PageRequest::after(4, after),
            None => break,
        }
    }
    assert_eq!(seen, ["a#3", "a#2", "a#1", "b#3", "b#2", "b#1"]);
    // Rules: by priority then name.
    for (name, priority) in [("z", 1), ("y", 2), ("x", 2), ("w", 3)] {
        s.rules()
            .create(alice, a.id, &rule_spec(name, priority))
            .await
            .unwrap();
    }
    let r1 = s
        .rules()
        .list(alice, a.id, PageRequest::first(3))
        .await
        .unwrap();
    let names: Vec<_> = r1.items.iter().map(|r| r.spec.name.as_str()).collect();
    assert_eq!(names, ["z", "x", "y"]);
    let r2 = s
        .rules()
        .list(alice, a.id, PageRequest::after(3, r1.next_after.unwrap()))
        .await
        .unwrap();
    assert_eq!(r2.items.len(), 1);
    assert_eq!(r2.items[0].spec.name, "w");
    assert_eq!(r2.next_after, None);
});

store_test!(rejects_a_page_limit_of_zero_or_above_the_maximum, |db| {
    let alice = owner(&db.store, "alice@example.com").await.id;
    for limit in [0, MAX_PAGE_LIMIT + 1] {
        let err = db
            .store
            .models()
            .list_by_owner(alice, PageRequest::first(limit))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidData { what: "page limit", message }
                if message.contains(&limit.to_string())),
            "{err}"
        );
    }
    assert!(
        db.store
            .models()
            .list_by_owner(alice, PageRequest::first(MAX_PAGE_LIMIT))
            .await
            .is_ok()
    );
});
