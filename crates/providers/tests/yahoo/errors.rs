//! Yahoo's refusals: `chart.error`, throttling (429 and plain text), server errors and
//! authorization, with the common retry rules.

use super::*;

#[tokio::test]
async fn yahoo_not_found_chart_error_is_an_unknown_symbol() {
    let (base, log) = yahoo(|_, _| {
        let body = json!({"chart": {"result": null, "error": {
            "code": "Not Found", "description": "No data found, symbol may be delisted"}}});
        (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
    })
    .await;
    let kind = kind_of(
        provider(&base, "2024-12-02T12:00:00Z")
            .history(&request(
                "NOSUCH",
                "2024-11-25T00:00:00Z",
                "2024-11-30T00:00:00Z",
            ))
            .await,
    );
    assert_eq!(kind, ProviderErrorKind::UnknownSymbol("NOSUCH".into()));
    assert_eq!(log.seen().len(), 1, "an unknown symbol is not retried");
}

#[tokio::test]
async fn yahoo_chart_error_in_a_200_reply_is_read_too() {
    let (base, _) = yahoo(|_, _| {
        ok(json!({"chart": {"result": null, "error": {
            "code": "Not Found", "description": "No data found, symbol may be delisted"}}}))
    })
    .await;
    let kind = kind_of(
        provider(&base, "2024-12-02T12:00:00Z")
            .latest(&Symbol::new("NOSUCH").unwrap(), Timeframe::DAY)
            .await,
    );
    assert_eq!(kind, ProviderErrorKind::UnknownSymbol("NOSUCH".into()));
}

#[tokio::test]
async fn yahoo_bad_request_chart_error_is_rejected_with_its_description() {
    let (base, _) = yahoo(|_, _| {
        let body = json!({"chart": {"result": null, "error": {
            "code": "Bad Request", "description": "Invalid input - start date cannot be after end date"}}});
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    })
    .await;
    let kind = kind_of(
        provider(&base, "2024-12-02T12:00:00Z")
            .history(&request(
                "AAPL",
                "2024-11-25T00:00:00Z",
                "2024-11-30T00:00:00Z",
            ))
            .await,
    );
    assert_eq!(
        kind,
        ProviderErrorKind::Rejected {
            status: 400,
            message: "Invalid input - start date cannot be after end date".into()
        }
    );
}

#[tokio::test]
async fn yahoo_plain_text_too_many_requests_is_rate_limited() {
    let (base, log) = yahoo(|_, _| (StatusCode::OK, "Too Many Requests\r\n").into_response()).await;
    let kind = kind_of(
        provider(&base, "2024-12-02T12:00:00Z")
            .history(&request(
                "AAPL",
                "2024-11-25T00:00:00Z",
                "2024-11-30T00:00:00Z",
            ))
            .await,
    );
    assert_eq!(kind, ProviderErrorKind::RateLimited { retry_after: None });
    assert_eq!(log.seen().len(), 1);
}

#[tokio::test]
async fn yahoo_persistent_429_is_rate_limited_after_the_retries() {
    let (base, log) =
        yahoo(|_, _| (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response()).await;
    let kind = kind_of(
        provider(&base, "2024-12-02T12:00:00Z")
            .history(&request(
                "AAPL",
                "2024-11-25T00:00:00Z",
                "2024-11-30T00:00:00Z",
            ))
            .await,
    );
    assert_eq!(kind, ProviderErrorKind::RateLimited { retry_after: None });
    assert_eq!(log.seen().len(), 3, "the first attempt and two retries");
}

#[tokio::test]
async fn yahoo_waits_out_retry_after_then_succeeds() {
    let (base, log) = yahoo(|n, _| {
        if n == 0 {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                "Too Many Requests",
            )
                .into_response()
        } else {
            ok(thanksgiving_week())
        }
    })
    .await;
    let started = Instant::now();
    let bars = provider(&base, "2024-12-02T12:00:00Z")
        .history(&request(
            "AAPL",
            "2024-11-25T00:00:00Z",
            "2024-11-30T00:00:00Z",
        ))
        .await
        .unwrap();
    assert_eq!(bars.len(), 4);
    let seen = log.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].when - seen[0].when >= Duration::from_secs(1));
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn yahoo_retries_a_server_error_then_succeeds() {
    let (base, log) = yahoo(|n, _| {
        if n == 0 {
            (StatusCode::BAD_GATEWAY, "upstream failed").into_response()
        } else {
            ok(thanksgiving_week())
        }
    })
    .await;
    let bars = provider(&base, "2024-12-02T12:00:00Z")
        .history(&request(
            "AAPL",
            "2024-11-25T00:00:00Z",
            "2024-11-30T00:00:00Z",
        ))
        .await
        .unwrap();
    assert_eq!(bars.len(), 4);
    assert_eq!(log.seen().len(), 2);
}

#[tokio::test]
async fn yahoo_persistent_server_error_is_reported_after_the_retries() {
    let (base, log) =
        yahoo(|_, _| (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response())
            .await;
    let kind = kind_of(
        provider(&base, "2024-12-02T12:00:00Z")
            .history(&request(
                "AAPL",
                "2024-11-25T00:00:00Z",
                "2024-11-30T00:00:00Z",
            ))
            .await,
    );
    assert_eq!(
        kind,
        ProviderErrorKind::Server {
            status: 503,
            message: "Service Unavailable".into()
        }
    );
    assert_eq!(log.seen().len(), 3);
}

#[tokio::test]
async fn yahoo_401_and_403_are_unauthorized() {
    for status in [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN] {
        let (base, _) = yahoo(move |_, _| {
            let body = json!({"finance": {"result": null, "error": {
                "code": "Unauthorized", "description": "Invalid Crumb"}}});
            (status, axum::Json(body)).into_response()
        })
        .await;
        let kind = kind_of(
            provider(&base, "2024-12-02T12:00:00Z")
                .history(&request(
                    "AAPL",
                    "2024-11-25T00:00:00Z",
                    "2024-11-30T00:00:00Z",
                ))
                .await,
        );
        assert!(
            matches!(kind, ProviderErrorKind::Unauthorized(_)),
            "{status}: {kind:?}"
        );
    }
}
