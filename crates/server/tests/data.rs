//! Market data over HTTP: uploads (bars and ticks) validated like `data import`,
//! idempotent; the series a user sees; bars over a range, paged.

mod common;

use common::{Client, answer};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

const DAILY: &str = "date,open,high,low,close,volume\n\
2024-01-02,10,11,9,10.5,100\n\
2024-01-03,10.5,12,10,11.5,120\n\
2024-01-04,11.5,12,11,11.0,90\n";

async fn upload(
    c: &Client,
    name: &str,
    text: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = Form::new().part(
        "file",
        Part::bytes(text.as_bytes().to_vec()).file_name(name.to_string()),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let r = c
        .request(reqwest::Method::POST, "/data/upload")
        .multipart(form)
        .send()
        .await
        .expect("upload");
    answer(r).await
}

server_test!(an_uploaded_bar_file_is_stored_once_and_listed, |srv| {
    let ann = srv.user("ann@x.io").await;
    let (s, body) = upload(&ann, "acme.csv", DAILY, &[("symbol", "ACME")]).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["series"][0]["symbol"], "ACME");
    assert_eq!(body["series"][0]["timeframe"], "1d");
    assert_eq!(body["series"][0]["inserted"], 3);
    let (s, again) = upload(&ann, "acme.csv", DAILY, &[("symbol", "ACME")]).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(again["series"][0]["inserted"], 0);
    assert_eq!(again["series"][0]["unchanged"], 3);
    let (s, list) = ann.get("/data/series").await;
    assert_eq!(s, StatusCode::OK);
    let acme = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["symbol"] == "ACME"))
        .expect("ACME listed")
        .clone();
    assert_eq!(acme["bars"], 3);
    assert_eq!(acme["first"], "2024-01-02T00:00:00Z");
    assert_eq!(acme["access"], "private");
    let (s, bars) = ann
        .get("/data/bars?symbol=ACME&timeframe=1d&from=2024-01-03&limit=1")
        .await;
    assert_eq!(s, StatusCode::OK, "{bars}");
    assert_eq!(bars["bars"][0]["t"], "2024-01-03T00:00:00Z");
    assert_eq!(bars["bars"][0]["c"], 11.5);
    assert_eq!(bars["next_from"], "2024-01-04T00:00:00Z");
    // Another user sees nothing of it.
    let ben = srv.user("ben@x.io").await;
    let (_, list) = ben.get("/data/series").await;
    assert!(
        list["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|i| i["symbol"] != "ACME")),
        "{list}"
    );
    let (s, bars) = ben.get("/data/bars?symbol=ACME&timeframe=1d").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(bars["bars"], serde_json::json!([]));
});

server_test!(
    a_bad_row_is_refused_naming_the_file_and_line_and_nothing_is_stored,
    |srv| {
        let cat = srv.user("cat@x.io").await;
        let bad = "date,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10,11,9,NaN,100\n";
        let (s, p) = upload(&cat, "bad.csv", bad, &[("symbol", "BAD")]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("bad.csv") && detail.contains('3'),
            "{detail}"
        );
        assert_eq!(p["field"], "file");
        let (_, list) = cat.get("/data/series").await;
        assert!(
            list["items"]
                .as_array()
                .is_some_and(|items| items.iter().all(|i| i["symbol"] != "BAD")),
            "{list}"
        );
        let (s, p) = upload(
            &cat,
            "acme.csv",
            DAILY,
            &[("symbol", "ACME"), ("timeframe", "1m")],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["field"], "timeframe");
        let (s, p) = upload(&cat, "acme.csv", DAILY, &[("colour", "red")]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        let (s, p) = cat.get("/data/bars?symbol=ACME&timeframe=fortnight").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["field"], "timeframe");
    }
);

server_test!(an_uploaded_tick_file_becomes_bars_of_the_timeframe, |srv| {
    let dan = srv.user("dan@x.io").await;
    let ticks = "timestamp,price,size\n\
2024-01-02T14:30:05Z,100.0,1\n\
2024-01-02T14:30:40Z,101.0,2\n\
2024-01-02T14:31:10Z,99.5,1\n";
    let (s, body) = upload(
        &dan,
        "es_ticks.csv",
        ticks,
        &[("kind", "ticks"), ("symbol", "ES"), ("timeframe", "1m")],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["series"][0]["inserted"], 2);
    let (_, bars) = dan.get("/data/bars?symbol=ES&timeframe=1m").await;
    assert_eq!(bars["bars"][0]["o"], 100.0);
    assert_eq!(bars["bars"][0]["h"], 101.0);
    assert_eq!(bars["bars"][0]["v"], 3.0);
    assert_eq!(bars["bars"][1]["t"], "2024-01-02T14:31:00Z");
});

server_test!(
    news_is_uploaded_once_listed_newest_first_and_private,
    |srv| {
        let eve = srv.user("eve@x.io").await;
        let news = "timestamp,symbols,headline,body,source\n\
2024-01-02T14:00:00Z,ACME,ACME beats,Strong quarter,Wire\n\
2024-01-03T14:00:00Z,,Markets calm,,Wire\n";
        let form = || {
            Form::new().part(
                "file",
                Part::bytes(news.as_bytes().to_vec()).file_name("news.csv"),
            )
        };
        let r = eve
            .request(reqwest::Method::POST, "/news/upload")
            .multipart(form())
            .send()
            .await
            .expect("upload");
        let (s, body) = answer(r).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert_eq!(body["inserted"], 2);
        let r = eve
            .request(reqwest::Method::POST, "/news/upload")
            .multipart(form())
            .send()
            .await
            .expect("upload");
        let (_, again) = answer(r).await;
        assert_eq!(again["unchanged"], 2);
        let (s, list) = eve.get("/news").await;
        assert_eq!(s, StatusCode::OK, "{list}");
        assert_eq!(list["items"][0]["headline"], "Markets calm");
        assert_eq!(list["items"][1]["published"], "2024-01-02T14:00:00Z");
        let (_, acme) = eve.get("/news?symbol=ACME").await;
        assert_eq!(acme["items"].as_array().map(Vec::len), Some(1));
        let frank = srv.user("frank@x.io").await;
        let (_, theirs) = frank.get("/news").await;
        assert_eq!(theirs["items"], serde_json::json!([]));
        let r = eve
            .request(reqwest::Method::POST, "/news/upload")
            .multipart(Form::new().part(
                "file",
                Part::bytes(b"[{\"headline\": \"x\"}]".to_vec()).file_name("news.json"),
            ))
            .send()
            .await
            .expect("upload");
        let (s, p) = answer(r).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert!(
            p["detail"].as_str().unwrap_or_default().contains("JSONL"),
            "{p}"
        );
    }
);

server_test!(a_users_bars_are_deleted_by_them_only, |srv| {
    let gus = srv.user("gus@x.io").await;
    let (s, _) = upload(&gus, "acme.csv", DAILY, &[("symbol", "ACME")]).await;
    assert_eq!(s, StatusCode::CREATED);
    let hal = srv.user("hal@x.io").await;
    let (s, p) = hal.delete("/data/bars?symbol=ACME&timeframe=1d").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    let (s, done) = gus
        .delete("/data/bars?symbol=ACME&timeframe=1d&from=2024-01-04")
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["deleted_bars"], 1);
    assert_eq!(done["remaining_bars"], 2);
    assert_eq!(done["scope"], "private");
    let (s, p) = gus
        .delete("/data/bars?symbol=ACME&timeframe=fortnight")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
});

server_test!(
    an_upload_sets_the_lot_step_of_its_symbol_and_refuses_a_bad_one_storing_nothing,
    |srv| {
        let eve = srv.user("eve@x.io").await;
        let (s, p) = upload(
            &eve,
            "coin.csv",
            DAILY,
            &[("symbol", "COIN"), ("lot_step", "-0.1")],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["field"], "lot_step");
        let (_, list) = eve.get("/data/series").await;
        assert!(
            list["items"]
                .as_array()
                .is_some_and(|items| items.iter().all(|i| i["symbol"] != "COIN")),
            "nothing stored: {list}"
        );
        let (s, body) = upload(
            &eve,
            "coin.csv",
            DAILY,
            &[("symbol", "COIN"), ("lot_step", "0.001")],
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert_eq!(body["series"][0]["lot_step"], "0.001");
        let owner = run_owner(&eve).await;
        let steps = srv
            .db
            .store
            .bars()
            .lot_steps_for(
                owner,
                &[tradelab_core::Symbol::new("COIN").expect("symbol")],
            )
            .await
            .expect("steps");
        assert_eq!(
            steps.values().map(|q| q.to_string()).collect::<Vec<_>>(),
            ["0.001"]
        );
    }
);

async fn run_owner(c: &Client) -> tradelab_store::UserId {
    let (_, me) = c.get("/auth/me").await;
    tradelab_store::UserId(me["id"].as_i64().expect("id"))
}
