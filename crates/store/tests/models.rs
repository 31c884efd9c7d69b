//! Models and their structured rules.

mod common;

use common::{create_model, model_spec, owner, rule_spec};
use tradelab_store::{ModelId, PageRequest, RuleId, StoreError, UserId};

store_test!(creates_reads_updates_and_deletes_a_model, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let models = db.store.models();
    let m = models.create(alice.id, &model_spec("sma")).await.unwrap();
    assert_eq!(m.owner, alice.id);
    assert_eq!(m.spec, model_spec("sma"));
    assert_eq!(models.get(alice.id, m.id).await.unwrap(), m);
    assert_eq!(
        models.find_by_name(alice.id, "sma").await.unwrap(),
        Some(m.clone())
    );

    let mut edited = model_spec("sma-v2");
    edited.initial_cash = "2500.50".parse().unwrap();
    edited.allowed_symbols = vec![tradelab_core::Symbol::new("SPY").unwrap()];
    let u = models.update(alice.id, m.id, &edited).await.unwrap();
    assert_eq!(u.spec, edited);
    assert_eq!(u.spec.initial_cash.to_string(), "2500.5");
    assert!(u.updated_at >= m.updated_at);
    assert_eq!(
        models
            .list_by_owner(alice.id, PageRequest::default())
            .await
            .unwrap()
            .items,
        vec![u]
    );

    models.delete(alice.id, m.id).await.unwrap();
    assert!(matches!(
        models.get(alice.id, m.id).await,
        Err(StoreError::NotFound { what: "model", .. })
    ));
});

store_test!(model_names_are_unique_per_owner, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let bob = owner(&db.store, "bob@example.com").await;
    let models = db.store.models();
    let first = models.create(alice.id, &model_spec("sma")).await.unwrap();
    let err = models
        .create(alice.id, &model_spec("sma"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate { what: "model", name } if name == "sma"),
        "{err}"
    );
    // Another owner may use the name.
    models.create(bob.id, &model_spec("sma")).await.unwrap();
    // Renaming onto a taken name fails and changes nothing.
    let other = models.create(alice.id, &model_spec("other")).await.unwrap();
    assert!(matches!(
        models.update(alice.id, other.id, &model_spec("sma")).await,
        Err(StoreError::Duplicate { .. })
    ));
    assert_eq!(models.get(alice.id, other.id).await.unwrap(), other);
    assert_eq!(models.get(alice.id, first.id).await.unwrap(), first);
});

store_test!(unknown_ids_are_not_found, |db| {
    let models = db.store.models();
    assert!(matches!(
        models.create(UserId(999), &model_spec("x")).await,
        Err(StoreError::NotFound { what: "user", .. })
    ));
    assert!(matches!(
        models.get(UserId(1), ModelId(999)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        models
            .update(UserId(1), ModelId(999), &model_spec("x"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        models.delete(UserId(1), ModelId(999)).await,
        Err(StoreError::NotFound { .. })
    ));
    let rules = db.store.rules();
    assert!(matches!(
        rules
            .create(UserId(1), ModelId(999), &rule_spec("r", 1))
            .await,
        Err(StoreError::NotFound { what: "model", .. })
    ));
    assert!(matches!(
        rules.set_active(UserId(1), RuleId(999), false).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        rules.delete(UserId(1), RuleId(999)).await,
        Err(StoreError::NotFound { .. })
    ));
});

store_test!(rejects_invalid_model_specs, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let mut bad = model_spec(" padded ");
    assert!(matches!(
        db.store.models().create(alice.id, &bad).await,
        Err(StoreError::InvalidData {
            what: "model name",
            ..
        })
    ));
    let long = "x".repeat(101);
    for (name, says) in [
        ("trend#2", "contains '#'"),
        ("42", "all digits"),
        ("tab\tname", "printable"),
        (long.as_str(), "at most 100"),
    ] {
        let err = db.store.models().create(alice.id, &model_spec(name)).await;
        assert!(
            matches!(&err, Err(StoreError::InvalidData { what: "model name", message })
                if message.contains(says)),
            "{name}: {err:?}"
        );
    }
    // Digits among other characters are fine.
    let fine = db
        .store
        .models()
        .create(alice.id, &model_spec("sma 10/20"))
        .await;
    db.store
        .models()
        .delete(alice.id, fine.unwrap().id)
        .await
        .unwrap();
    bad = model_spec("zero-cash");
    bad.initial_cash = "0".parse().unwrap();
    assert!(matches!(
        db.store.models().create(alice.id, &bad).await,
        Err(StoreError::InvalidData {
            what: "initial cash",
            ..
        })
    ));
    assert!(
        db.store
            .models()
            .list_all_owners(tradelab_store::PageRequest::max())
            .await
            .unwrap()
            .items
            .is_empty()
    );
});

store_test!(rule_names_are_unique_per_model_and_rules_toggle, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let a = create_model(&db.store, alice.id, "a").await;
    let b = create_model(&db.store, alice.id, "b").await;
    let rules = db.store.rules();
    let cap = rules
        .create(alice.id, a.id, &rule_spec("cap", 20))
        .await
        .unwrap();
    let stop = rules
        .create(alice.id, a.id, &rule_spec("stop", 10))
        .await
        .unwrap();
    let err = rules
        .create(alice.id, a.id, &rule_spec("cap", 1))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate { what: "rule", name } if name == "cap"),
        "{err}"
    );
    rules
        .create(alice.id, b.id, &rule_spec("cap", 1))
        .await
        .unwrap();

    let listed: Vec<_> = rules
        .list(alice.id, a.id, PageRequest::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.spec.name)
        .collect();
    assert_eq!(listed, ["stop", "cap"], "by priority");

    let off = rules.set_active(alice.id, cap.id, false).await.unwrap();
    assert!(!off.spec.active);
    assert!(
        rules
            .set_active(alice.id, cap.id, true)
            .await
            .unwrap()
            .spec
            .active
    );

    let mut renamed = stop.spec.clone();
    renamed.name = "cap".into();
    assert!(matches!(
        rules.update(alice.id, stop.id, &renamed).await,
        Err(StoreError::Duplicate { .. })
    ));
    renamed.name = "hard-stop".into();
    renamed.params = serde_json::json!({"pct": "0.05"});
    assert_eq!(
        rules
            .update(alice.id, stop.id, &renamed)
            .await
            .unwrap()
            .spec,
        renamed
    );

    rules.delete(alice.id, stop.id).await.unwrap();
    assert_eq!(
        rules
            .list(alice.id, a.id, PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    // Deleting a model removes its rules.
    db.store.models().delete(alice.id, a.id).await.unwrap();
    assert!(matches!(
        rules.get(alice.id, cap.id).await,
        Err(StoreError::NotFound { .. })
    ));
});

store_test!(refuses_a_model_without_symbols_on_create_and_edit, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let mut bare = model_spec("bare");
    bare.allowed_symbols.clear();
    let err = db.store.models().create(alice.id, &bare).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::InvalidData { what: "model symbols", message }
            if message.contains("model bare names no symbols") && message.contains("--symbols")),
        "{err}"
    );
    assert!(
        db.store
            .models()
            .list_all_owners(tradelab_store::PageRequest::max())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let m = create_model(&db.store, alice.id, "m").await;
    let mut cleared = model_spec("m");
    cleared.allowed_symbols.clear();
    assert!(matches!(
        db.store
            .models()
            .update(common::model_owner(&db.store, m.id).await, m.id, &cleared)
            .await,
        Err(StoreError::InvalidData {
            what: "model symbols",
            ..
        })
    ));
    assert_eq!(db.store.models().get_any(m.id).await.unwrap(), m);
});

store_test!(
    deleting_a_model_with_runs_is_refused_naming_the_model_and_its_runs,
    |db| {
        let alice = owner(&db.store, "alice@example.com").await;
        let m = create_model(&db.store, alice.id, "trend").await;
        db.store
            .rules()
            .create(alice.id, m.id, &rule_spec("cap", 1))
            .await
            .unwrap();
        for _ in 0..2 {
            db.store
                .runs()
                .create(alice.id, &common::new_run(m.id))
                .await
                .unwrap();
        }
        let err = db
            .store
            .models()
            .delete(common::model_owner(&db.store, m.id).await, m.id)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, StoreError::Conflict { what: "model", .. }),
            "{text}"
        );
        assert!(
            text.contains("model trend has 2 run(s)") && text.contains("cannot be deleted"),
            "{text}"
        );
        assert!(!text.contains("FOREIGN KEY"), "{text}");
        // Nothing changed: the model and its rule are still there.
        assert_eq!(db.store.models().get_any(m.id).await.unwrap(), m);
        assert_eq!(
            db.store
                .rules()
                .list(
                    common::model_owner(&db.store, m.id).await,
                    m.id,
                    tradelab_store::PageRequest::max()
                )
                .await
                .unwrap()
                .items
                .len(),
            1
        );
    }
);
