//! Tests of the module.
use super::*;
use tradelab_core::{Symbol, Timestamp};
use tradelab_data::{EMPTY_NEWS, NewsItem};
use tradelab_engine::testkit::{Scene, daily_bars};

const MAR_01: i64 = 15_765; // 2013-03-01

fn scene() -> Scene {
    let closes = [431.7, 440.0, 445.5, 450.25, 460.0];
    Scene::new(vec![daily_bars("AAPL", MAR_01, &closes).unwrap()])
        .at(Timestamp::from_secs((MAR_01 + 2) * 86_400))
}

fn call(scene: &Scene, name: &str, args: Value) -> Outcome {
    let ctx = scene.context();
    let lens = Lens::new(&ctx.view, false);
    Toolbox {
        ctx: &ctx,
        lens: &lens,
        news: &EMPTY_NEWS,
    }
    .call(name, &args)
}

#[test]
fn get_price_refuses_a_time_after_the_decision_time_without_a_number() {
    let s = scene();
    let o = call(
        &s,
        "get_price",
        json!({"symbol": "AAPL", "time": "2013-03-05"}),
    );
    assert_eq!(o, refuse("no data after 2013-03-03"));
    let text = o.result().to_string();
    for future in ["450.25", "460"] {
        assert!(!text.contains(future), "{text}");
    }
    let now = call(
        &s,
        "get_price",
        json!({"symbol": "AAPL", "time": "2013-03-03"}),
    );
    assert_eq!(now.result()["close"], json!(445.5));
    let past = call(
        &s,
        "get_price",
        json!({"symbol": "AAPL", "time": "2013-03-02"}),
    );
    assert_eq!(past.result()["close"], json!(440.0));
}

#[test]
fn get_bars_shows_only_bars_up_to_now_and_caps_the_lookback() {
    let s = scene();
    let o = call(&s, "get_bars", json!({"symbol": "AAPL", "lookback": 100}));
    assert_eq!(o.result()["bars"].as_array().unwrap().len(), 3);
    assert!(!o.result().to_string().contains("450.25"));
    assert!(matches!(
        call(
            &s,
            "get_bars",
            json!({"symbol": "AAPL", "lookback": 100000})
        ),
        Outcome::Error {
            malformed: false,
            ..
        }
    ));
    assert!(matches!(
        call(&s, "get_bars", json!({"symbol": "AAPL", "lookback": "x"})),
        Outcome::Error {
            malformed: true,
            ..
        }
    ));
}

#[test]
fn orders_refuse_symbols_outside_the_run_and_impossible_quantities() {
    let s = scene();
    let o = call(&s, "buy", json!({"symbol": "TSLA", "qty": 1}));
    assert!(
        o.result()["error"]
            .as_str()
            .unwrap()
            .contains("not part of this run")
    );
    for bad in [json!(0), json!(-5), json!(1e15), json!("NaN")] {
        let o = call(&s, "buy", json!({"symbol": "AAPL", "qty": bad}));
        assert!(matches!(o, Outcome::Error { .. }), "{bad}: {o:?}");
    }
    assert!(matches!(
        call(&s, "sell", json!({"symbol": "AAPL"})),
        Outcome::Error {
            malformed: true,
            ..
        }
    ));
    let Outcome::Order(intent, _) = call(
        &s,
        "buy",
        json!({"symbol": "aapl", "qty": "10", "limit": 441.5}),
    ) else {
        panic!("an order");
    };
    assert_eq!(intent.symbol, Symbol::new("AAPL").unwrap());
    assert_eq!(intent.sizing, Sizing::Shares(Quantity::from(10)));
    assert_eq!(
        intent.order_type,
        OrderType::Limit(Price::from_f64(441.5).unwrap())
    );
}

#[test]
fn calculate_evaluates_arithmetic_and_refuses_the_rest() {
    let s = scene();
    assert_eq!(
        call(
            &s,
            "calculate",
            json!({"expression": "(440 - 431.7) / 431.7 * 100"})
        )
        .result()["value"]
            .as_f64()
            .map(|v| (v * 1000.0).round()),
        Some(1923.0)
    );
    assert!(matches!(
        call(&s, "calculate", json!({"expression": "1/0"})),
        Outcome::Error { .. }
    ));
    assert!(matches!(
        call(
            &s,
            "calculate",
            json!({"expression": "std::process::exit(1)"})
        ),
        Outcome::Error { .. }
    ));
}

#[test]
fn unknown_tools_and_non_object_arguments_are_malformed() {
    let s = scene();
    assert!(matches!(
        call(&s, "launch", json!({})),
        Outcome::Error {
            malformed: true,
            ..
        }
    ));
    assert!(matches!(
        call(&s, "get_portfolio", json!([1])),
        Outcome::Error {
            malformed: true,
            ..
        }
    ));
}

#[test]
fn search_news_returns_items_up_to_the_decision_time_only() {
    let s = scene();
    let ctx = s.context();
    let lens = Lens::new(&ctx.view, false);
    let item = |day: i64, headline: &str| NewsItem {
        published: Timestamp::from_secs((MAR_01 + day) * 86_400),
        symbols: vec![Symbol::new("AAPL").unwrap()],
        headline: headline.into(),
        body: String::new(),
        source: "wire".into(),
    };
    let news = NewsArchive::new(vec![item(0, "old news"), item(4, "future news")]);
    let o = Toolbox {
        ctx: &ctx,
        lens: &lens,
        news: &news,
    }
    .call("search_news", &json!({"query": "news", "symbol": "AAPL"}));
    let text = o.result().to_string();
    assert!(
        text.contains("old news") && !text.contains("future"),
        "{text}"
    );
}
