//! Accounts of the HTTP service: disabled users, login sessions (live until expired,
//! revoked or their user disabled), API keys (owner-scoped, revoked not deleted), and
//! a version-8 database opening with them. The admin log and system figures are in
//! `admin.rs`.

mod common;

use common::{account, owner};
use tradelab_core::Timestamp;
use tradelab_store::{
    ApiKeyId, PageRequest, Role, SCHEMA_VERSION, SessionKind, Store, StoreError, UserId,
};

/// The hash the server would store for token number `n`: 64 hex digits.
fn hash(n: u32) -> String {
    format!("{n:064x}")
}

/// A session expiry far in the future (2096), so wall-clock creation is before it.
const EXPIRES: Timestamp = Timestamp::from_secs(4_000_000_000);

/// One nanosecond before `t`.
fn just_before(t: Timestamp) -> Timestamp {
    Timestamp::from_nanos(t.nanos() - 1)
}

store_test!(new_users_are_enabled_and_count_counts_every_account, |db| {
    let users = db.store.users();
    assert_eq!(users.count().await.unwrap(), 0);
    let alice = owner(&db.store, "alice@example.com").await;
    let bob = owner(&db.store, "bob@example.com").await;
    assert!(!alice.disabled);
    users.set_disabled(bob.id, true).await.unwrap();
    assert_eq!(users.count().await.unwrap(), 2);
});

store_test!(set_role_changes_the_role_only, |db| {
    let users = db.store.users();
    let alice = owner(&db.store, "alice@example.com").await;
    let admin = users.set_role(alice.id, Role::Admin).await.unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert_eq!(
        (
            admin.email.as_str(),
            admin.display_name.as_str(),
            admin.disabled
        ),
        ("alice@example.com", "alice@example.com", false)
    );
    assert_eq!(users.get(alice.id).await.unwrap().role, Role::Admin);
    assert_eq!(
        users.set_role(alice.id, Role::User).await.unwrap().role,
        Role::User
    );
});

store_test!(
    role_and_disable_changes_of_unknown_users_are_not_found,
    |db| {
        let users = db.store.users();
        for err in [
            users.set_role(UserId(4242), Role::Admin).await.unwrap_err(),
            users.set_disabled(UserId(4242), true).await.unwrap_err(),
            users.set_disabled(UserId(4242), false).await.unwrap_err(),
        ] {
            assert!(
                matches!(err, StoreError::NotFound { what: "user", .. }),
                "{err}"
            );
        }
    }
);

store_test!(
    disabling_a_user_ends_their_sessions_and_silences_their_keys_until_enabled,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await;
        let bob = owner(s, "bob@example.com").await;
        s.sessions()
            .create(alice.id, &hash(1), SessionKind::Cookie, EXPIRES)
            .await
            .unwrap();
        s.sessions()
            .create(alice.id, &hash(2), SessionKind::Bearer, EXPIRES)
            .await
            .unwrap();
        s.sessions()
            .create(bob.id, &hash(3), SessionKind::Cookie, EXPIRES)
            .await
            .unwrap();
        let key = s
            .api_keys()
            .create(alice.id, "ci", "tl_aaaa", &hash(10))
            .await
            .unwrap();

        let disabled = s.users().set_disabled(alice.id, true).await.unwrap();
        assert!(disabled.disabled);
        assert!(s.users().get(alice.id).await.unwrap().disabled);
        let now = Timestamp::from_secs(2_000_000_000);
        for h in [hash(1), hash(2)] {
            assert_eq!(s.sessions().find_active(&h, now).await.unwrap(), None);
        }
        assert_eq!(s.api_keys().find_active(&hash(10)).await.unwrap(), None);
        // Bob is not touched.
        assert!(
            s.sessions()
                .find_active(&hash(3), now)
                .await
                .unwrap()
                .is_some()
        );
        // A session made for a disabled user authenticates no one either.
        s.sessions()
            .create(alice.id, &hash(4), SessionKind::Cookie, EXPIRES)
            .await
            .unwrap();
        assert_eq!(s.sessions().find_active(&hash(4), now).await.unwrap(), None);

        let enabled = s.users().set_disabled(alice.id, false).await.unwrap();
        assert!(!enabled.disabled);
        // The sessions were deleted: enabling does not log anyone back in.
        for h in [hash(1), hash(2)] {
            assert_eq!(s.sessions().find_active(&h, now).await.unwrap(), None);
        }
        assert!(!s.sessions().revoke(alice.id, &hash(1)).await.unwrap());
        // The key was kept, and works again.
        let (found, user) = s
            .api_keys()
            .find_active(&hash(10))
            .await
            .unwrap()
            .expect("the key of an enabled user");
        assert_eq!(
            (found.id, user.id, user.disabled),
            (key.id, alice.id, false)
        );
    }
);

store_test!(a_session_is_found_with_its_user_until_it_expires, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await;
    let made = s
        .sessions()
        .create(alice.id, &hash(1), SessionKind::Bearer, EXPIRES)
        .await
        .unwrap();
    assert_eq!(
        (made.user, made.kind, made.expires_at),
        (alice.id, SessionKind::Bearer, EXPIRES)
    );
    assert_eq!(made.last_used_at, made.created_at);
    let (found, user) = s
        .sessions()
        .find_active(&hash(1), just_before(EXPIRES))
        .await
        .unwrap()
        .expect("live session");
    assert_eq!((found, user.email.as_str()), (made, "alice@example.com"));
    assert_eq!(
        s.sessions().find_active(&hash(1), EXPIRES).await.unwrap(),
        None
    );
    assert_eq!(
        s.sessions()
            .find_active(&hash(99), just_before(EXPIRES))
            .await
            .unwrap(),
        None
    );
    // The same hash in capitals is the same hash.
    s.sessions()
        .create(alice.id, &"ab".repeat(32), SessionKind::Cookie, EXPIRES)
        .await
        .unwrap();
    assert!(
        s.sessions()
            .find_active(&"AB".repeat(32), just_before(EXPIRES))
            .await
            .unwrap()
            .is_some()
    );
});

store_test!(
    a_session_revoked_by_its_user_is_not_found_and_others_cannot_revoke_it,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await;
        let mallory = owner(s, "mallory@example.com").await;
        let now = Timestamp::from_secs(2_000_000_000);
        for n in 1..=3 {
            s.sessions()
                .create(alice.id, &hash(n), SessionKind::Cookie, EXPIRES)
                .await
                .unwrap();
        }
        assert!(!s.sessions().revoke(mallory.id, &hash(1)).await.unwrap());
        assert!(
            s.sessions()
                .find_active(&hash(1), now)
                .await
                .unwrap()
                .is_some()
        );
        assert!(s.sessions().revoke(alice.id, &hash(1)).await.unwrap());
        assert!(!s.sessions().revoke(alice.id, &hash(1)).await.unwrap());
        assert_eq!(s.sessions().find_active(&hash(1), now).await.unwrap(), None);
        assert!(!s.sessions().revoke(alice.id, "not a hash").await.unwrap());
        assert_eq!(s.sessions().revoke_all(mallory.id).await.unwrap(), 0);
        assert_eq!(s.sessions().revoke_all(alice.id).await.unwrap(), 2);
        for n in 2..=3 {
            assert_eq!(s.sessions().find_active(&hash(n), now).await.unwrap(), None);
        }
    }
);

store_test!(touching_a_session_moves_its_last_use_forward_only, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await;
    let made = s
        .sessions()
        .create(alice.id, &hash(1), SessionKind::Cookie, EXPIRES)
        .await
        .unwrap();
    let later = Timestamp::from_nanos(made.created_at.nanos() + 5_000_000_000);
    s.sessions().touch(made.id, later).await.unwrap();
    s.sessions().touch(made.id, made.created_at).await.unwrap();
    let (found, _) = s
        .sessions()
        .find_active(&hash(1), later)
        .await
        .unwrap()
        .expect("live");
    assert_eq!(found.last_used_at, later);
    // A session deleted meanwhile is nothing to touch, not an error.
    s.sessions().revoke_all(alice.id).await.unwrap();
    s.sessions().touch(made.id, later).await.unwrap();
});

store_test!(purging_deletes_only_the_sessions_expired_by_then, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await;
    let soon = Timestamp::from_secs(3_000_000_000);
    s.sessions()
        .create(alice.id, &hash(1), SessionKind::Cookie, soon)
        .await
        .unwrap();
    s.sessions()
        .create(alice.id, &hash(2), SessionKind::Cookie, EXPIRES)
        .await
        .unwrap();
    assert_eq!(
        s.sessions().purge_expired(just_before(soon)).await.unwrap(),
        0
    );
    assert_eq!(s.sessions().purge_expired(soon).await.unwrap(), 1);
    assert_eq!(s.sessions().revoke_all(alice.id).await.unwrap(), 1);
});

store_test!(
    rejects_sessions_with_a_raw_token_a_taken_hash_or_no_user,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await;
        let secret = "tl_session_s3cret_token_value_not_hashed";
        let err = s
            .sessions()
            .create(alice.id, secret, SessionKind::Cookie, EXPIRES)
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                StoreError::InvalidData {
                    what: "session token hash",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            !err.to_string().contains("s3cret"),
            "echoes the secret: {err}"
        );
        let not_hex = "g".repeat(64);
        assert!(matches!(
            s.sessions()
                .create(alice.id, &not_hex, SessionKind::Cookie, EXPIRES)
                .await,
            Err(StoreError::InvalidData { .. })
        ));
        s.sessions()
            .create(alice.id, &hash(1), SessionKind::Cookie, EXPIRES)
            .await
            .unwrap();
        assert!(matches!(
            s.sessions()
                .create(alice.id, &hash(1), SessionKind::Bearer, EXPIRES)
                .await,
            Err(StoreError::Duplicate {
                what: "session",
                ..
            })
        ));
        assert!(matches!(
            s.sessions()
                .create(UserId(4242), &hash(2), SessionKind::Cookie, EXPIRES)
                .await,
            Err(StoreError::NotFound { what: "user", .. })
        ));
        assert_eq!(
            s.sessions()
                .find_active(secret, Timestamp::from_secs(0))
                .await
                .unwrap(),
            None
        );
    }
);

store_test!(
    api_keys_list_only_the_owners_oldest_first_revoked_included,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await;
        let mallory = owner(s, "mallory@example.com").await;
        let mut made = Vec::new();
        for n in 0..3 {
            let key = s
                .api_keys()
                .create(
                    alice.id,
                    &format!("  key {n} "),
                    &format!("tl_{n:06x}"),
                    &hash(n),
                )
                .await
                .unwrap();
            made.push(key);
        }
        let theirs = s
            .api_keys()
            .create(mallory.id, "key 0", "tl_ffffff", &hash(9))
            .await
            .unwrap();
        assert_eq!(
            (made[0].name.as_str(), made[0].prefix.as_str()),
            ("key 0", "tl_000000")
        );
        assert_eq!((made[0].last_used_at, made[0].revoked_at), (None, None));
        s.api_keys().revoke(alice.id, made[1].id).await.unwrap();

        let first = s
            .api_keys()
            .list(alice.id, PageRequest::first(2))
            .await
            .unwrap();
        let ids: Vec<ApiKeyId> = first.items.iter().map(|k| k.id).collect();
        assert_eq!(ids, [made[0].id, made[1].id]);
        assert!(first.items[1].revoked_at.is_some());
        let after = first.next_after.expect("a second page");
        let rest = s
            .api_keys()
            .list(alice.id, PageRequest::after(2, after))
            .await
            .unwrap();
        assert_eq!(
            rest.items.iter().map(|k| k.id).collect::<Vec<_>>(),
            [made[2].id]
        );
        assert_eq!(rest.next_after, None);
        let mine = s
            .api_keys()
            .list(mallory.id, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(mine.items, vec![theirs.clone()]);
        // Another owner's key as the cursor reveals none of theirs.
        let none = s
            .api_keys()
            .list(mallory.id, PageRequest::after(10, made[0].id))
            .await
            .unwrap();
        assert_eq!(none.items, vec![theirs]);
        let json = serde_json::to_string(&made[0]).unwrap();
        assert!(!json.contains(&hash(0)), "serializes the hash: {json}");
    }
);

store_test!(
    revoking_another_owners_key_or_an_unknown_one_is_the_same_not_found,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await;
        let mallory = owner(s, "mallory@example.com").await;
        let key = s
            .api_keys()
            .create(alice.id, "ci", "tl_aaaa", &hash(1))
            .await
            .unwrap();
        let theirs = s.api_keys().revoke(mallory.id, key.id).await.unwrap_err();
        let unknown = s
            .api_keys()
            .revoke(mallory.id, ApiKeyId(key.id.0 + 100))
            .await
            .unwrap_err();
        assert!(
            matches!(
                theirs,
                StoreError::NotFound {
                    what: "api key",
                    ..
                }
            ),
            "{theirs}"
        );
        assert!(
            matches!(
                unknown,
                StoreError::NotFound {
                    what: "api key",
                    ..
                }
            ),
            "{unknown}"
        );
        // Still live: Mallory changed nothing.
        assert!(s.api_keys().find_active(&hash(1)).await.unwrap().is_some());

        let revoked = s.api_keys().revoke(alice.id, key.id).await.unwrap();
        let at = revoked.revoked_at.expect("revoked");
        let again = s.api_keys().revoke(alice.id, key.id).await.unwrap();
        assert_eq!(again, revoked);
        assert_eq!(again.revoked_at, Some(at));
        assert_eq!(s.api_keys().find_active(&hash(1)).await.unwrap(), None);
    }
);

store_test!(
    an_active_key_is_found_with_its_owner_and_records_its_use,
    |db| {
        let s = &db.store;
        let alice = owner(s, "alice@example.com").await;
        let key = s
            .api_keys()
            .create(alice.id, "ci", "tl_aaaa", &hash(1))
            .await
            .unwrap();
        let (found, user) = s
            .api_keys()
            .find_active(&hash(1))
            .await
            .unwrap()
            .expect("live key");
        assert_eq!((found, user.id), (key.clone(), alice.id));
        let used = Timestamp::from_secs(2_000_000_000);
        s.api_keys().touch(key.id, used).await.unwrap();
        s.api_keys()
            .touch(key.id, Timestamp::from_secs(1))
            .await
            .unwrap();
        s.api_keys().touch(ApiKeyId(4242), used).await.unwrap();
        let (found, _) = s
            .api_keys()
            .find_active(&hash(1))
            .await
            .unwrap()
            .expect("live key");
        assert_eq!(found.last_used_at, Some(used));
        assert_eq!(s.api_keys().find_active(&hash(2)).await.unwrap(), None);
        assert_eq!(
            s.api_keys().find_active("tl_aaaa_raw_key").await.unwrap(),
            None
        );
    }
);

store_test!(rejects_api_keys_with_bad_names_prefixes_or_hashes, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await;
    let keys = s.api_keys();
    let longest = "n".repeat(tradelab_store::MAX_API_KEY_NAME_CHARS);
    let too_long = format!("{longest}n");
    for (name, prefix, key_hash, what) in [
        ("   ", "tl_a", hash(1), "api key name"),
        (too_long.as_str(), "tl_a", hash(1), "api key name"),
        ("bell\u{7}", "tl_a", hash(1), "api key name"),
        ("ci", "", hash(1), "api key prefix"),
        ("ci", "tl a", hash(1), "api key prefix"),
        (
            "ci",
            "tl_0123456789abcdef0123456789",
            hash(1),
            "api key prefix",
        ),
        ("ci", "tl_a", "tl_a_raw_key".to_string(), "api key hash"),
    ] {
        let err = keys
            .create(alice.id, name, prefix, &key_hash)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidData { what: w, .. } if *w == what),
            "{name:?} {prefix:?}: {err}"
        );
    }
    assert!(
        keys.list(alice.id, PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let ok = keys
        .create(alice.id, &longest, "tl_a", &hash(1))
        .await
        .unwrap();
    assert_eq!(ok.name, longest);
    assert!(matches!(
        keys.create(alice.id, "again", "tl_a", &hash(1)).await,
        Err(StoreError::Duplicate {
            what: "api key",
            ..
        })
    ));
    assert!(matches!(
        keys.create(UserId(4242), "ci", "tl_b", &hash(2)).await,
        Err(StoreError::NotFound { what: "user", .. })
    ));
});

store_test!(a_version_8_database_opens_with_its_users_enabled, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    let root = account(&db.store, "root@example.com", Role::Admin).await;
    common::rewind_accounts(db).await;
    let store = Store::open(&db.config()).await.unwrap();
    assert_eq!(store.schema_version(), SCHEMA_VERSION);
    for id in [alice.id, root.id] {
        let user = store.users().get(id).await.unwrap();
        assert!(!user.disabled, "{user:?}");
    }
    assert_eq!(store.users().count().await.unwrap(), 2);
    store
        .sessions()
        .create(alice.id, &hash(1), SessionKind::Cookie, EXPIRES)
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .find_active(&hash(1), Timestamp::from_secs(2_000_000_000))
            .await
            .unwrap()
            .is_some()
    );
    store.close().await;
});
