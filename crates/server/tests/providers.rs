//! `GET /api/v1/data/providers`: the server's market-data chains with their breakers'
//! live states, and each provider's key variables (set or not, never their values).

mod common;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;
use tradelab_providers::config::{ProviderKind, ProviderSettings};

const UNSET_KEY: &str = "TRADELAB_TEST_SERVER_UNSET_POLYGON_KEY_51A7";

server_test!(
    data_providers_lists_the_default_chains_with_closed_breakers,
    |srv| {
        let amy = srv.user("amy@x.io").await;
        let (s, body) = amy.get("/data/providers").await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let chains = body["chains"].as_array().expect("chains");
        assert_eq!(chains.len(), 2);
        assert_eq!(chains[0]["class"], "stock");
        let names: Vec<&str> = chains[0]["providers"]
            .as_array()
            .expect("providers")
            .iter()
            .map(|p| p["name"].as_str().expect("name"))
            .collect();
        assert_eq!(names, ["alpaca", "polygon", "yahoo"]);
        assert_eq!(
            chains[1],
            json!({"class": "crypto", "providers": [{"name": "binance", "kind": "binance",
            "state": "closed", "consecutive_failures": 0, "last_error": null,
            "open_until": null}]})
        );
        let providers = body["providers"].as_array().expect("providers");
        let alpaca = providers
            .iter()
            .find(|p| p["name"] == "alpaca")
            .expect("alpaca");
        assert_eq!(alpaca["chains"], json!(["stock"]));
        let keys: Vec<&str> = alpaca["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k["name"].as_str().expect("name"))
            .collect();
        assert_eq!(keys, ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY"]);
        let yahoo = providers
            .iter()
            .find(|p| p["name"] == "yahoo")
            .expect("yahoo");
        assert_eq!(yahoo["keys"], json!([]));
        assert_eq!(yahoo["configured"], true);
    }
);

server_test!(data_providers_needs_a_signed_in_caller, |srv| {
    let (s, _) = srv.anonymous().get("/data/providers").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_providers_shows_the_configured_chains_and_unset_key_variables() {
    let srv = TestServer::start_with(common::db::sqlite().await, |config| {
        let mut polygon = ProviderSettings::public(ProviderKind::Polygon);
        polygon.key_env = Some(UNSET_KEY.into());
        config.providers.insert("polygon".into(), polygon);
        config.chains.stock = vec!["polygon".into(), "yahoo".into()];
    })
    .await;
    let amy = srv.user("amy@x.io").await;
    let (s, body) = amy.get("/data/providers").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let stock: Vec<&str> = body["chains"][0]["providers"]
        .as_array()
        .expect("providers")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(stock, ["polygon", "yahoo"]);
    let polygon = body["providers"]
        .as_array()
        .expect("providers")
        .iter()
        .find(|p| p["name"] == "polygon")
        .expect("polygon")
        .clone();
    assert_eq!(
        polygon["keys"],
        json!([{"name": UNSET_KEY, "set": false, "required": true}])
    );
    assert_eq!(polygon["configured"], false);
    let alpaca = body["providers"]
        .as_array()
        .expect("providers")
        .iter()
        .find(|p| p["name"] == "alpaca")
        .expect("alpaca")
        .clone();
    assert_eq!(alpaca["chains"], json!([]), "no longer in a chain");
}
