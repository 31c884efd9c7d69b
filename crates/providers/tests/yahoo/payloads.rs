//! Yahoo payloads that break the rules: partial nulls, uneven arrays, text for numbers,
//! impossible prices, dates out of order. Each error names the JSON path.

use super::*;

/// Runs a history request against `body` and returns the error's kind.
async fn history_error(body: Value) -> ProviderErrorKind {
    let (base, _) = yahoo(move |_, _| ok(body.clone())).await;
    kind_of(
        provider(&base, "2024-12-02T12:00:00Z")
            .history(&request(
                "AAPL",
                "2024-11-25T00:00:00Z",
                "2024-11-30T00:00:00Z",
            ))
            .await,
    )
}

#[tokio::test]
async fn yahoo_partial_null_row_is_an_error_naming_the_value() {
    let mut body = thanksgiving_week();
    *body
        .pointer_mut("/chart/result/0/indicators/quote/0/close/2")
        .unwrap() = Value::Null;
    assert_eq!(
        malformed_field(history_error(body).await),
        "chart.result[0].indicators.quote[0].close[2]"
    );
}

#[tokio::test]
async fn yahoo_arrays_of_different_lengths_are_malformed() {
    let mut body = thanksgiving_week();
    body.pointer_mut("/chart/result/0/indicators/quote/0/volume")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .pop();
    assert_eq!(
        malformed_field(history_error(body).await),
        "chart.result[0].indicators.quote[0].volume"
    );
}

#[tokio::test]
async fn yahoo_missing_quote_array_is_malformed() {
    let mut body = thanksgiving_week();
    body.pointer_mut("/chart/result/0/indicators/quote/0")
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("low");
    assert_eq!(
        malformed_field(history_error(body).await),
        "chart.result[0].indicators.quote[0].low"
    );
}

#[tokio::test]
async fn yahoo_string_where_a_number_goes_names_the_json_path() {
    let mut body = thanksgiving_week();
    *body
        .pointer_mut("/chart/result/0/indicators/quote/0/high/1")
        .unwrap() = json!("231.5");
    assert_eq!(
        malformed_field(history_error(body).await),
        "chart.result[0].indicators.quote[0].high[1]"
    );
}

#[tokio::test]
async fn yahoo_missing_exchange_time_zone_is_malformed() {
    let mut body = thanksgiving_week();
    body.pointer_mut("/chart/result/0/meta")
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("exchangeTimezoneName");
    assert_eq!(
        malformed_field(history_error(body).await),
        "chart.result[0].meta.exchangeTimezoneName"
    );
}

#[tokio::test]
async fn yahoo_zero_or_negative_price_is_an_invalid_bar_naming_the_value() {
    let mut body = thanksgiving_week();
    *body
        .pointer_mut("/chart/result/0/indicators/quote/0/low/1")
        .unwrap() = json!(0.0);
    assert_eq!(
        invalid_field(history_error(body).await),
        "chart.result[0].indicators.quote[0].low[1]"
    );
    let mut body = thanksgiving_week();
    *body
        .pointer_mut("/chart/result/0/indicators/quote/0/open/3")
        .unwrap() = json!(-5.0);
    assert_eq!(
        invalid_field(history_error(body).await),
        "chart.result[0].indicators.quote[0].open[3]"
    );
}

#[tokio::test]
async fn yahoo_high_below_low_is_an_invalid_bar() {
    let mut body = thanksgiving_week();
    *body
        .pointer_mut("/chart/result/0/indicators/quote/0/high/0")
        .unwrap() = json!(100.0);
    assert_eq!(
        invalid_field(history_error(body).await),
        "chart.result[0].indicators.quote[0].high[0]"
    );
}

#[tokio::test]
async fn yahoo_dates_out_of_order_are_an_invalid_bar() {
    let body = chart(
        "America/New_York",
        &[
            row("2024-11-26T14:30:00Z", 231.0),
            row("2024-11-25T14:30:00Z", 230.0),
        ],
    );
    assert_eq!(
        invalid_field(history_error(body).await),
        "chart.result[0].timestamp[1]"
    );
}
