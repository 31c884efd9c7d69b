//! User accounts: unique email, lookups, updates.

mod common;

use tradelab_store::{NewUser, Role, StoreError, UserId};

fn alice() -> NewUser {
    NewUser {
        email: "Alice@Example.com".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: Role::Admin,
        display_name: "Alice".into(),
    }
}

store_test!(creates_and_finds_a_user_by_email_case_insensitively, |db| {
    let users = db.store.users();
    let u = users.create(&alice()).await.unwrap();
    assert_eq!(u.email, "alice@example.com");
    assert_eq!(u.role, Role::Admin);
    assert_eq!(users.get(u.id).await.unwrap(), u);
    let found = users.find_by_email(" ALICE@example.COM ").await.unwrap();
    assert_eq!(found.map(|f| f.id), Some(u.id));
    assert_eq!(users.find_by_email("bob@example.com").await.unwrap(), None);
});

store_test!(rejects_a_second_user_with_the_same_email, |db| {
    let users = db.store.users();
    users.create(&alice()).await.unwrap();
    let mut again = alice();
    again.email = "alice@EXAMPLE.com".into();
    let err = users.create(&again).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Duplicate { what: "user", name } if name == "alice@example.com"),
        "{err}"
    );
    assert_eq!(
        users
            .list(tradelab_store::PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
});

store_test!(updates_role_name_and_password_hash, |db| {
    let users = db.store.users();
    let u = users.create(&alice()).await.unwrap();
    let v = users.update(u.id, Role::User, "Al").await.unwrap();
    assert_eq!((v.role, v.display_name.as_str()), (Role::User, "Al"));
    users.set_password_hash(u.id, "new-hash").await.unwrap();
    assert_eq!(users.get(u.id).await.unwrap().password_hash, "new-hash");
});

store_test!(unknown_user_ids_are_not_found, |db| {
    let users = db.store.users();
    let missing = UserId(4242);
    assert!(matches!(
        users.get(missing).await,
        Err(StoreError::NotFound { what: "user", .. })
    ));
    assert!(matches!(
        users.update(missing, Role::User, "x").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        users.set_password_hash(missing, "h").await,
        Err(StoreError::NotFound { .. })
    ));
});

store_test!(rejects_an_email_without_at_sign, |db| {
    let mut bad = alice();
    bad.email = "not-an-email".into();
    assert!(matches!(
        db.store.users().create(&bad).await,
        Err(StoreError::InvalidData { what: "email", .. })
    ));
});

store_test!(accounts_page_oldest_first_with_a_cursor, |db| {
    for i in 0..3 {
        common::owner(&db.store, &format!("u{i}@example.com")).await;
    }
    let users = db.store.users();
    let first = users
        .list(tradelab_store::PageRequest::first(2))
        .await
        .unwrap();
    let emails: Vec<_> = first.items.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["u0@example.com", "u1@example.com"]);
    let last = users
        .list(tradelab_store::PageRequest::after(
            2,
            first.next_after.unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(last.items.len(), 1);
    assert_eq!(last.items[0].email, "u2@example.com");
    assert_eq!(last.next_after, None);
});
