//! Global settings.

mod common;

use serde_json::json;
use tradelab_store::StoreError;

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
    let all = s.all().await.unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["kill_switch", "llm"]);
    assert_eq!(all["llm"]["model"], "local");
    assert!(s.delete("kill_switch").await.unwrap());
    assert!(!s.delete("kill_switch").await.unwrap());
    assert!(matches!(
        s.set(" ", &json!(1)).await,
        Err(StoreError::InvalidData { .. })
    ));
});
