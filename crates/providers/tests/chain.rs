//! The provider chain: fail-over, breakers, notices, statuses; chains built from the
//! providers settings.

use futures_util::StreamExt;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tradelab_core::{Bar, Symbol, Timeframe, Timestamp};
use tradelab_providers::breaker::{BreakerSettings, BreakerState, ManualClock};
use tradelab_providers::chain::{ChainMember, ChainNotice, ProviderChain};
use tradelab_providers::config::{ProviderKind, ProviderSettings, ProvidersConfig};
use tradelab_providers::{
    AssetClass, BarRequest, BarStream, Provider, ProviderError, ProviderErrorKind, ProviderFuture,
};

/// A provider answering from a script: each call takes the next outcome (the last one
/// repeats), and every call is counted.
struct Scripted {
    name: String,
    classes: Vec<AssetClass>,
    outcomes: Mutex<VecDeque<Result<Vec<Bar>, ProviderErrorKind>>>,
    calls: Mutex<u32>,
    streams: bool,
}

impl Scripted {
    fn new(name: &str, outcomes: Vec<Result<Vec<Bar>, ProviderErrorKind>>) -> Arc<Self> {
        Arc::new(Scripted {
            name: name.into(),
            classes: vec![AssetClass::Stock],
            outcomes: Mutex::new(outcomes.into()),
            calls: Mutex::new(0),
            streams: false,
        })
    }

    fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }

    fn next(&self) -> Result<Vec<Bar>, ProviderError> {
        *self.calls.lock().unwrap() += 1;
        let mut q = self.outcomes.lock().unwrap();
        let outcome = if q.len() > 1 {
            q.pop_front().unwrap()
        } else {
            q.front().cloned().unwrap()
        };
        outcome.map_err(|k| ProviderError::new(&self.name, k))
    }
}

impl Provider for Scripted {
    fn name(&self) -> &str {
        &self.name
    }

    fn supports(&self, class: AssetClass, _timeframe: Timeframe) -> bool {
        self.classes.contains(&class)
    }

    fn history<'a>(&'a self, _request: &'a BarRequest) -> ProviderFuture<'a, Vec<Bar>> {
        Box::pin(async move { self.next() })
    }

    fn latest<'a>(
        &'a self,
        _symbol: &'a Symbol,
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, Option<Bar>> {
        Box::pin(async move { self.next().map(|b| b.last().copied()) })
    }

    fn stream<'a>(
        &'a self,
        symbols: &'a [Symbol],
        _timeframe: Timeframe,
    ) -> ProviderFuture<'a, BarStream> {
        Box::pin(async move {
            if !self.streams {
                return Err(ProviderError::new(
                    &self.name,
                    ProviderErrorKind::Unsupported("no stream".into()),
                ));
            }
            let bars = self.next()?;
            let symbol = symbols[0].clone();
            let items: Vec<Result<(Symbol, Bar), ProviderError>> =
                bars.into_iter().map(|b| Ok((symbol.clone(), b))).collect();
            let stream: BarStream = Box::pin(futures_util::stream::iter(items));
            Ok(stream)
        })
    }
}

fn bar(day: i64) -> Bar {
    Bar::new(
        Timestamp::from_secs(day * 86_400),
        10.0,
        11.0,
        9.0,
        10.5,
        100.0,
    )
    .unwrap()
}

fn request(symbol: &str) -> BarRequest {
    BarRequest {
        symbol: Symbol::new(symbol).unwrap(),
        timeframe: Timeframe::DAY,
        from: Timestamp::from_secs(0),
        to: Timestamp::from_secs(10 * 86_400),
    }
}

fn server_error() -> ProviderErrorKind {
    ProviderErrorKind::Server {
        status: 503,
        message: "maintenance".into(),
    }
}

fn member(p: &Arc<Scripted>) -> ChainMember {
    ChainMember {
        provider: p.clone(),
        kind: "test".into(),
    }
}

fn chain_of(providers: &[&Arc<Scripted>], clock: &Arc<ManualClock>) -> ProviderChain {
    ProviderChain::with_clock(
        "stock",
        providers.iter().map(|p| member(p)).collect(),
        BreakerSettings {
            failures: 2,
            cooldown: Duration::from_secs(60),
        },
        clock.clone(),
    )
}

#[tokio::test]
async fn chain_fails_over_to_the_next_provider_on_an_outage_and_sends_a_notice() {
    let first = Scripted::new("alpaca", vec![Err(server_error())]);
    let second = Scripted::new("yahoo", vec![Ok(vec![bar(1), bar(2)])]);
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&first, &second], &clock);
    let mut notices = chain.subscribe();
    let bars = chain.history(&request("AAPL")).await.unwrap();
    assert_eq!(bars, vec![bar(1), bar(2)]);
    let ChainNotice::Failover {
        chain: name,
        from,
        to,
        error,
    } = notices.try_recv().unwrap()
    else {
        panic!("expected a fail-over notice");
    };
    assert_eq!(
        (name.as_str(), from.as_str(), to.as_str()),
        ("stock", "alpaca", "yahoo")
    );
    assert_eq!(error.kind, server_error());
    let statuses = chain.statuses();
    assert_eq!(statuses[0].consecutive_failures, 1);
    assert_eq!(statuses[0].state, BreakerState::Closed);
    assert_eq!(statuses[1].consecutive_failures, 0);
}

#[tokio::test]
async fn chain_opens_a_breaker_then_skips_that_provider_until_the_cooldown_ends() {
    let first = Scripted::new("alpaca", vec![Err(server_error())]);
    let second = Scripted::new("yahoo", vec![Ok(vec![bar(1)])]);
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&first, &second], &clock);
    let mut notices = chain.subscribe();
    chain.history(&request("AAPL")).await.unwrap();
    chain.history(&request("AAPL")).await.unwrap();
    assert_eq!(first.calls(), 2);
    let opened = std::iter::from_fn(|| notices.try_recv().ok())
        .find_map(|n| match n {
            ChainNotice::Transition(t) => Some(t),
            _ => None,
        })
        .expect("a transition");
    assert_eq!(
        (opened.from, opened.to),
        (BreakerState::Closed, BreakerState::Open)
    );
    assert_eq!(opened.provider, "alpaca");

    // Open: alpaca is not asked.
    chain.history(&request("AAPL")).await.unwrap();
    assert_eq!(first.calls(), 2);
    let status = &chain.statuses()[0];
    assert_eq!(status.state, BreakerState::Open);
    assert!(status.open_until.is_some());
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap()
            .contains("maintenance")
    );

    // After the cool-down, one probe: it fails again and the breaker re-opens.
    clock.advance(Duration::from_secs(60));
    chain.history(&request("AAPL")).await.unwrap();
    assert_eq!(first.calls(), 3);
    let states: Vec<(BreakerState, BreakerState)> = std::iter::from_fn(|| notices.try_recv().ok())
        .filter_map(|n| match n {
            ChainNotice::Transition(t) => Some((t.from, t.to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (BreakerState::Open, BreakerState::HalfOpen),
            (BreakerState::HalfOpen, BreakerState::Open)
        ]
    );
}

#[tokio::test]
async fn chain_closes_the_breaker_when_the_probe_succeeds() {
    let first = Scripted::new(
        "alpaca",
        vec![Err(server_error()), Err(server_error()), Ok(vec![bar(3)])],
    );
    let second = Scripted::new("yahoo", vec![Ok(vec![bar(1)])]);
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&first, &second], &clock);
    chain.history(&request("AAPL")).await.unwrap();
    chain.history(&request("AAPL")).await.unwrap();
    assert_eq!(chain.statuses()[0].state, BreakerState::Open);
    clock.advance(Duration::from_secs(61));
    let bars = chain.history(&request("AAPL")).await.unwrap();
    assert_eq!(bars, vec![bar(3)], "the probe's answer is used");
    assert_eq!(chain.statuses()[0].state, BreakerState::Closed);
    assert_eq!(chain.statuses()[0].open_until, None);
}

#[tokio::test]
async fn chain_fails_over_on_unknown_symbol_refusal_and_auth_errors_without_tripping() {
    for kind in [
        ProviderErrorKind::UnknownSymbol("ACME".into()),
        ProviderErrorKind::Rejected {
            status: 422,
            message: "invalid timeframe".into(),
        },
        ProviderErrorKind::Unauthorized("bad key".into()),
        ProviderErrorKind::NotConfigured("set POLYGON_API_KEY".into()),
    ] {
        let first = Scripted::new("polygon", vec![Err(kind.clone())]);
        let second = Scripted::new("yahoo", vec![Ok(vec![bar(1)])]);
        let clock = Arc::new(ManualClock::default());
        let chain = chain_of(&[&first, &second], &clock);
        for _ in 0..5 {
            assert_eq!(chain.history(&request("ACME")).await.unwrap(), vec![bar(1)]);
        }
        assert_eq!(first.calls(), 5, "{kind}: never skipped");
        let status = &chain.statuses()[0];
        assert_eq!(status.state, BreakerState::Closed, "{kind}");
        assert_eq!(status.consecutive_failures, 0, "{kind}");
    }
}

#[tokio::test]
async fn chain_error_lists_every_providers_failure_in_order() {
    let first = Scripted::new(
        "alpaca",
        vec![Err(ProviderErrorKind::NotConfigured(
            "set APCA_API_KEY_ID".into(),
        ))],
    );
    let second = Scripted::new(
        "yahoo",
        vec![Err(ProviderErrorKind::Timeout(Duration::from_secs(15)))],
    );
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&first, &second], &clock);
    let err = chain.history(&request("AAPL")).await.unwrap_err();
    assert_eq!(err.provider, "stock");
    let ProviderErrorKind::AllFailed(errors) = &err.kind else {
        panic!("expected AllFailed, got {err}");
    };
    let names: Vec<&str> = errors.iter().map(|e| e.provider.as_str()).collect();
    assert_eq!(names, ["alpaca", "yahoo"]);
    let text = err.to_string();
    assert!(
        text.contains("alpaca: not configured: set APCA_API_KEY_ID"),
        "{text}"
    );
    assert!(text.contains("yahoo: timed out"), "{text}");
    assert!(err.kind.is_outage(), "a timeout among them is an outage");
}

#[tokio::test]
async fn chain_reports_circuit_open_for_skipped_providers_in_its_error() {
    let only = Scripted::new("alpaca", vec![Err(server_error())]);
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&only], &clock);
    chain.history(&request("AAPL")).await.unwrap_err();
    chain.history(&request("AAPL")).await.unwrap_err();
    clock.advance(Duration::from_secs(15));
    let err = chain.history(&request("AAPL")).await.unwrap_err();
    let ProviderErrorKind::AllFailed(errors) = &err.kind else {
        panic!("{err}");
    };
    assert_eq!(
        errors[0].kind,
        ProviderErrorKind::CircuitOpen(Duration::from_secs(45))
    );
    assert_eq!(only.calls(), 2);
}

#[tokio::test]
async fn chain_asks_only_providers_that_serve_the_symbols_class() {
    let stocks = Scripted::new("yahoo", vec![Ok(vec![bar(1)])]);
    let crypto = Arc::new(Scripted {
        name: "binance".into(),
        classes: vec![AssetClass::Crypto],
        outcomes: Mutex::new(vec![Ok(vec![bar(2)])].into()),
        calls: Mutex::new(0),
        streams: false,
    });
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&crypto, &stocks], &clock);
    assert_eq!(chain.history(&request("AAPL")).await.unwrap(), vec![bar(1)]);
    assert_eq!(
        chain.history(&request("BTCUSDT")).await.unwrap(),
        vec![bar(2)]
    );
    assert_eq!((crypto.calls(), stocks.calls()), (1, 1));
    assert!(chain.supports(AssetClass::Crypto, Timeframe::MINUTE));

    let stock_only = chain_of(&[&stocks], &clock);
    let err = stock_only.history(&request("ETH-USD")).await.unwrap_err();
    assert!(
        matches!(&err.kind, ProviderErrorKind::Unsupported(m) if m.contains("crypto")),
        "{err}"
    );
}

#[tokio::test]
async fn chain_streams_from_the_first_provider_that_has_a_stream() {
    let polled = Scripted::new("yahoo", vec![Ok(vec![bar(1)])]);
    let streaming = Arc::new(Scripted {
        name: "alpaca".into(),
        classes: vec![AssetClass::Stock],
        outcomes: Mutex::new(vec![Ok(vec![bar(4), bar(5)])].into()),
        calls: Mutex::new(0),
        streams: true,
    });
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&polled, &streaming], &clock);
    let symbols = [Symbol::new("AAPL").unwrap()];
    let stream = chain.stream(&symbols, Timeframe::MINUTE).await.unwrap();
    let got: Vec<Bar> = stream.map(|item| item.unwrap().1).collect().await;
    assert_eq!(got, vec![bar(4), bar(5)]);
    assert_eq!(chain.statuses()[0].state, BreakerState::Closed);
}

#[tokio::test]
async fn a_chain_without_a_stream_answers_unsupported_without_a_failover() {
    let first = Scripted::new("yahoo", vec![Ok(vec![bar(1)])]);
    let second = Scripted::new("polygon", vec![Ok(vec![bar(1)])]);
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&first, &second], &clock);
    let mut notices = chain.subscribe();
    let symbols = [Symbol::new("AAPL").unwrap()];
    let err = match chain.stream(&symbols, Timeframe::MINUTE).await {
        Ok(_) => panic!("no provider of the chain streams"),
        Err(e) => e,
    };
    assert!(
        matches!(&err.kind, ProviderErrorKind::Unsupported(m) if m.contains("polled instead")),
        "a live feed polls on this answer: {err}"
    );
    assert!(
        notices.try_recv().is_err(),
        "no fail-over for a missing stream"
    );
    assert_eq!(chain.statuses()[0].consecutive_failures, 0);
}

#[tokio::test]
async fn a_streaming_provider_behind_an_open_breaker_is_passed_over() {
    let streaming = Arc::new(Scripted {
        name: "alpaca".into(),
        classes: vec![AssetClass::Stock],
        outcomes: Mutex::new(vec![Err(server_error())].into()),
        calls: Mutex::new(0),
        streams: true,
    });
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&streaming], &clock);
    let symbols = [Symbol::new("AAPL").unwrap()];
    for _ in 0..2 {
        let err = chain
            .stream(&symbols, Timeframe::MINUTE)
            .await
            .err()
            .unwrap();
        assert!(
            matches!(&err.kind, ProviderErrorKind::AllFailed(e) if matches!(e[0].kind, ProviderErrorKind::Server { .. })),
            "{err}"
        );
    }
    assert_eq!(
        chain.statuses()[0].state,
        BreakerState::Open,
        "two failures"
    );
    let err = chain
        .stream(&symbols, Timeframe::MINUTE)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err.kind, ProviderErrorKind::AllFailed(e) if matches!(e[0].kind, ProviderErrorKind::CircuitOpen(_))),
        "{err}"
    );
    assert_eq!(
        streaming.calls(),
        2,
        "the open breaker kept the third call away"
    );
}

#[tokio::test]
async fn a_failed_stream_fails_over_to_the_next_streaming_provider_with_a_notice() {
    let broken = Arc::new(Scripted {
        name: "alpaca".into(),
        classes: vec![AssetClass::Stock],
        outcomes: Mutex::new(vec![Err(server_error())].into()),
        calls: Mutex::new(0),
        streams: true,
    });
    let backup = Arc::new(Scripted {
        name: "backup".into(),
        classes: vec![AssetClass::Stock],
        outcomes: Mutex::new(vec![Ok(vec![bar(7)])].into()),
        calls: Mutex::new(0),
        streams: true,
    });
    let clock = Arc::new(ManualClock::default());
    let chain = chain_of(&[&broken, &backup], &clock);
    let mut notices = chain.subscribe();
    let symbols = [Symbol::new("AAPL").unwrap()];
    let stream = chain.stream(&symbols, Timeframe::MINUTE).await.unwrap();
    let got: Vec<Bar> = stream.map(|item| item.unwrap().1).collect().await;
    assert_eq!(got, vec![bar(7)]);
    match notices.try_recv() {
        Ok(ChainNotice::Failover { from, to, .. }) => {
            assert_eq!((from.as_str(), to.as_str()), ("alpaca", "backup"));
        }
        other => panic!("a fail-over notice: {other:?}"),
    }
}

#[test]
fn asset_class_of_tells_crypto_pairs_from_stock_tickers() {
    for crypto in [
        "BTCUSDT", "ethusdc", "BTC-USD", "ETH/USDT", "SOL_EUR", "BTCUSD", "ETHBTC",
    ] {
        assert_eq!(AssetClass::of(crypto), AssetClass::Crypto, "{crypto}");
    }
    for stock in [
        "AAPL", "BRK.B", "BRK-B", "^GSPC", "MSFT", "SPY", "TSLA", "GEUR", "ES",
    ] {
        assert_eq!(AssetClass::of(stock), AssetClass::Stock, "{stock}");
    }
}

const UNSET_KEY: &str = "TRADELAB_TEST_CHAIN_UNSET_KEY_9F2C";
const UNSET_SECRET: &str = "TRADELAB_TEST_CHAIN_UNSET_SECRET_9F2C";

fn config_with_unset_alpaca_keys() -> ProvidersConfig {
    let mut config = ProvidersConfig::default();
    let mut alpaca = ProviderSettings::public(ProviderKind::Alpaca);
    alpaca.key_env = Some(UNSET_KEY.into());
    alpaca.secret_env = Some(UNSET_SECRET.into());
    config.providers.insert("alpaca".into(), alpaca);
    config.chains.stock = vec!["alpaca".into()];
    config
}

#[tokio::test]
async fn a_chain_built_from_settings_names_the_unset_key_variables() {
    let config = config_with_unset_alpaca_keys();
    let chains = config.build_chains().unwrap();
    let err = chains.stock.history(&request("AAPL")).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("alpaca: not configured"), "{text}");
    assert!(
        text.contains(UNSET_KEY) && text.contains(UNSET_SECRET),
        "{text}"
    );
    assert_eq!(chains.stock.statuses()[0].state, BreakerState::Closed);
    assert_eq!(chains.stock.statuses()[0].kind, "alpaca");
    let keys = config.effective()["alpaca"].key_status();
    assert!(keys.iter().all(|k| k.required && !k.set), "{keys:?}");
}

#[test]
fn providers_settings_default_to_the_builtin_chains() {
    let config = ProvidersConfig::default();
    config.validate().unwrap();
    let names: Vec<String> = config.effective().keys().cloned().collect();
    assert_eq!(names, ["alpaca", "binance", "polygon", "yahoo"]);
    assert_eq!(config.chains.stock, ["alpaca", "polygon", "yahoo"]);
    assert_eq!(config.chains.crypto, ["binance"]);
    assert!(config.effective()["yahoo"].key_status().is_empty());
    let chains = config.build_chains().unwrap();
    assert_eq!(
        chains.stock.provider_names(),
        ["alpaca", "polygon", "yahoo"]
    );
    assert_eq!(chains.crypto.provider_names(), ["binance"]);
}

#[test]
fn providers_settings_refuse_an_unknown_provider_in_a_chain_naming_the_key() {
    let mut config = ProvidersConfig::default();
    config.chains.stock = vec!["yahoo".into(), "iex".into()];
    let err = config.validate().unwrap_err();
    assert_eq!(err.key, "chains.stock[1]");
    assert!(
        err.to_string().contains("unknown provider \"iex\""),
        "{err}"
    );
}

#[test]
fn providers_settings_refuse_bad_values_naming_the_key() {
    let mut config = ProvidersConfig::default();
    config.breaker.failures = 0;
    assert_eq!(config.validate().unwrap_err().key, "breaker.failures");

    let mut config = ProvidersConfig::default();
    let mut p = ProviderSettings::public(ProviderKind::Polygon);
    p.key_env = Some(" ".into());
    config.providers.insert("polygon".into(), p);
    assert_eq!(
        config.validate().unwrap_err().key,
        "providers.polygon.key_env"
    );

    let mut config = ProvidersConfig::default();
    let mut p = ProviderSettings::public(ProviderKind::Yahoo);
    p.name = String::new();
    p.base_url = Some("localhost:9".into());
    config.providers.insert("yahoo2".into(), p);
    assert_eq!(
        config.validate().unwrap_err().key,
        "providers.yahoo2.base_url"
    );
}
