//! Global settings.

mod common;

use serde_json::json;
use tradelab_store::{PageRequest, Setting, StoreError};

store_test!(settings_are_set_replaced_listed_and_deleted, |db| {
    let s = db.store.settings();
    assert_eq!(s.get("kill_switch").await.unwrap(), None);
    s.set("kill_switch", &json!(false)).await.unwrap();
    s.set(
        "llm",
        &json!({"base_url": "http://127.0.0.1:8080/v1", "model": "local"}),
    )
    .await
    .unwrap();
    s.set("kill_switch", &json!(true)).await.unwrap();
    assert_eq!(s.get("kill_switch").await.unwrap(), Some(json!(true)));
    let all = s.list(PageRequest::default()).await.unwrap();
    let keys: Vec<&str> = all.items.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["kill_switch", "llm"]);
    assert_eq!(all.items[1].value["model"], "local");
    assert_eq!(all.next_after, None);
    assert!(s.delete("kill_switch").await.unwrap());
    assert!(!s.delete("kill_switch").await.unwrap());
    assert!(matches!(
        s.set(" ", &json!(1)).await,
        Err(StoreError::InvalidData { .. })
    ));
});

store_test!(settings_list_a_page_at_a_time_by_key, |db| {
    let s = db.store.settings();
    for (key, n) in [("c", 3), ("a", 1), ("d", 4), ("b", 2), ("e", 5)] {
        s.set(key, &json!(n)).await.unwrap();
    }
    let mut pages: Vec<Vec<Setting>> = Vec::new();
    let mut request = PageRequest::first(2);
    loop {
        let page = s.list(request.clone()).await.unwrap();
        pages.push(page.items);
        match page.next_after {
            Some(key) => request = PageRequest::after(2, key),
            None => break,
        }
    }
    let keys: Vec<Vec<&str>> = pages
        .iter()
        .map(|p| p.iter().map(|s| s.key.as_str()).collect())
        .collect();
    assert_eq!(keys, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
    assert_eq!(pages[2][0].value, json!(5));
    // A key deleted between pages does not stop the next one.
    s.delete("b").await.unwrap();
    let rest = s
        .list(PageRequest::after(2, "b".to_string()))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.items[0].key, "c");
    assert!(matches!(
        s.list(PageRequest::first(0)).await,
        Err(StoreError::InvalidData { .. })
    ));
});
