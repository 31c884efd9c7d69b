//! Admin views of the HTTP service: the admin audit log (newest first, a page at a
//! time) and the system figures (accounts, models, runs by status, database size).

mod common;

use common::{account, create_model, new_run, owner};
use tradelab_store::{AdminActionId, PageRequest, Role, RunStatus, StoreError, UserId};

store_test!(the_admin_log_lists_newest_first_a_page_at_a_time, |db| {
    let s = &db.store;
    let admin = account(s, "root@example.com", Role::Admin).await;
    let log = s.admin_log();
    let mut made = Vec::new();
    for n in 0..5 {
        let detail = serde_json::json!({"n": n, "role": {"from": "user", "to": "admin"}});
        let target = (n % 2 == 0).then(|| format!("user:{n}"));
        made.push(
            log.record(admin.id, " user.set_role ", target.as_deref(), &detail)
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        (made[0].action.as_str(), made[0].target.as_deref()),
        ("user.set_role", Some("user:0"))
    );
    assert_eq!(made[1].target, None);
    assert_eq!(made[0].actor_email, "root@example.com");
    assert_eq!(made[3].detail["role"]["to"], "admin");
    let mut seen: Vec<AdminActionId> = Vec::new();
    let mut request = PageRequest::first(2);
    loop {
        let page = log.list(request).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|a| a.id));
        match page.next_after {
            Some(after) => request = PageRequest::after(2, after),
            None => break,
        }
    }
    let newest_first: Vec<AdminActionId> = made.iter().rev().map(|a| a.id).collect();
    assert_eq!(seen, newest_first);
    let first = log.list(PageRequest::first(1)).await.unwrap();
    assert_eq!(first.items, vec![made[4].clone()]);
});

store_test!(
    rejects_admin_log_entries_without_an_action_or_a_known_actor,
    |db| {
        let s = &db.store;
        let admin = account(s, "root@example.com", Role::Admin).await;
        let log = s.admin_log();
        let detail = serde_json::json!({});
        assert!(matches!(
            log.record(admin.id, "  ", None, &detail).await,
            Err(StoreError::InvalidData {
                what: "admin action",
                ..
            })
        ));
        assert!(matches!(
            log.record(admin.id, "user.disable", Some(""), &detail)
                .await,
            Err(StoreError::InvalidData {
                what: "admin action target",
                ..
            })
        ));
        assert!(matches!(
            log.record(UserId(4242), "user.disable", None, &detail)
                .await,
            Err(StoreError::NotFound { what: "user", .. })
        ));
        assert!(
            log.list(PageRequest::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
    }
);

store_test!(stats_count_users_models_and_runs_by_status, |db| {
    let s = &db.store;
    let alice = owner(s, "alice@example.com").await;
    owner(s, "bob@example.com").await;
    let m = create_model(s, alice.id, "m").await;
    let a = s.runs().create(alice.id, &new_run(m.id)).await.unwrap();
    s.runs().create(alice.id, &new_run(m.id)).await.unwrap();
    s.runs().start(a.id).await.unwrap();
    s.runs()
        .finish(a.id, RunStatus::Completed, None, None)
        .await
        .unwrap();
    let stats = s.stats().await.unwrap();
    assert_eq!((stats.users, stats.models), (2, 1));
    assert_eq!(stats.runs_by_status.len(), RunStatus::ALL.len());
    assert_eq!(stats.runs_by_status["completed"], 1);
    assert_eq!(stats.runs_by_status["queued"], 1);
    assert_eq!(stats.runs_by_status["running"], 0);
    assert!(stats.store_bytes.is_some_and(|b| b > 0), "{stats:?}");
});
