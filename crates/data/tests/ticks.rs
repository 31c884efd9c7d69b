//! Tick import and aggregation, checked against pandas `resample`.

use tradelab_core::{Timeframe, Timestamp};
use tradelab_data::{
    AggBar, BadRowPolicy, Session, Tick, TickOptions, aggregate_ticks, load_ticks, parse_ticks,
    parse_ticks_with_report, write_agg_csv,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn tf(s: &str) -> Timeframe {
    s.parse().unwrap()
}

fn ts(s: &str) -> Timestamp {
    Timestamp::from_jiff(s.parse().unwrap()).unwrap()
}

/// Expected bars written by pandas (see fixtures/README.md).
fn pandas_bars(file: &str) -> Vec<(String, [f64; 5], u64, Option<f64>)> {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{file}")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = |i: usize| f[i].parse::<f64>().unwrap();
            let vwap = (!f[7].is_empty()).then(|| n(7));
            (
                f[0].to_string(),
                [n(1), n(2), n(3), n(4), n(5)],
                f[6].parse().unwrap(),
                vwap,
            )
        })
        .collect()
}

fn check_against_pandas(ticks: &[Tick], frame: &str, expected_file: &str) {
    let got = aggregate_ticks(ticks, tf(frame), Session::All);
    let want = pandas_bars(expected_file);
    assert_eq!(got.len(), want.len());
    for (g, (t, ohlcv, trades, vwap)) in got.iter().zip(&want) {
        let b = &g.bar;
        assert_eq!(b.ts().to_string(), *t);
        assert_eq!(
            [b.open(), b.high(), b.low(), b.close(), b.volume()],
            *ohlcv,
            "{t}"
        );
        assert_eq!(g.trades, *trades, "{t}");
        assert_eq!(g.vwap, *vwap, "{t}: vwap must match pandas to the bit");
    }
}

#[test]
fn aggregates_ticks_like_pandas_resample() {
    let ticks = load_ticks(
        format!("{FIXTURES}/es_trades_5000.csv").as_ref(),
        &TickOptions::default(),
    )
    .unwrap();
    assert_eq!(ticks.len(), 5000);
    assert_eq!(
        ticks[0],
        Tick {
            ts: ts("2013-09-01T17:00:00.083Z"),
            price: 1640.25,
            size: Some(8.0)
        }
    );
    check_against_pandas(&ticks, "1m", "es_trades_5000_pandas_1min.csv");
    check_against_pandas(&ticks, "5m", "es_trades_5000_pandas_5min.csv");
}

#[test]
fn aggregates_quotes_without_size_like_pandas() {
    let l = parse_ticks_with_report(
        "eurusd.csv",
        &std::fs::read(format!("{FIXTURES}/eurusd_bid_3000.csv")).unwrap(),
        &TickOptions::default(),
    )
    .unwrap();
    assert!(
        l.report
            .columns
            .contains("price: \"EURUSD.bid\", size: none"),
        "{}",
        l.report.columns
    );
    assert!(l.ticks.iter().all(|t| t.size.is_none()));
    check_against_pandas(&l.ticks, "1m", "eurusd_bid_3000_pandas_1min.csv");
}

#[test]
fn keeps_file_order_for_equal_timestamps() {
    let text = "DateTime,Price,Volume\n\
                2013-09-01 17:00:00.083,5,1\n\
                2013-09-01 17:00:00.083,7,1\n\
                2013-09-01 17:00:00.083,6,2\n";
    let ticks = parse_ticks("es.csv", text.as_bytes(), &TickOptions::default()).unwrap();
    let bars = aggregate_ticks(&ticks, tf("1m"), Session::All);
    let b = bars[0].bar;
    assert_eq!(
        (b.open(), b.high(), b.low(), b.close(), b.volume()),
        (5.0, 7.0, 5.0, 6.0, 4.0)
    );
    assert_eq!(bars[0].trades, 3);
    assert_eq!(bars[0].vwap, Some(24.0 / 4.0));
}

#[test]
fn labels_bars_by_interval_start_and_omits_empty_intervals() {
    let t = |s: &str, p: f64| Tick {
        ts: ts(s),
        price: p,
        size: Some(1.0),
    };
    let ticks = [
        t("2020-01-03T10:00:00Z", 1.0),
        t("2020-01-03T10:04:59.999Z", 2.0),
        t("2020-01-03T10:05:00Z", 3.0),
        t("2020-01-03T10:20:00Z", 4.0),
    ];
    let bars = aggregate_ticks(&ticks, tf("5m"), Session::All);
    let starts: Vec<String> = bars.iter().map(|b| b.bar.ts().to_string()).collect();
    assert_eq!(
        starts,
        [
            "2020-01-03T10:00:00Z",
            "2020-01-03T10:05:00Z",
            "2020-01-03T10:20:00Z"
        ]
    );
    assert_eq!(bars[0].trades, 2);
    let daily = aggregate_ticks(&ticks, tf("1d"), Session::All);
    assert_eq!(
        daily[0].bar.ts(),
        ts("2020-01-03T00:00:00Z"),
        "1d bars start at UTC midnight"
    );
}

#[test]
fn filters_us_sessions_in_new_york_time() {
    let t = |s: &str| Tick {
        ts: ts(s),
        price: 1.0,
        size: None,
    };
    let ticks = [
        t("2020-07-06T08:00:00Z"), // Mon 04:00 EDT: pre
        t("2020-07-06T13:29:59Z"), // 09:29:59 EDT: pre
        t("2020-07-06T13:30:00Z"), // 09:30 EDT: regular
        t("2020-07-06T19:59:59Z"), // 15:59:59 EDT: regular
        t("2020-07-06T20:00:00Z"), // 16:00 EDT: after
        t("2020-07-07T00:00:00Z"), // 20:00 EDT: closed
        t("2020-07-11T14:00:00Z"), // Saturday 10:00 EDT: weekend
        t("2020-12-07T14:30:00Z"), // Mon 09:30 EST: regular
        t("2020-12-07T14:29:00Z"), // out of order on purpose: 09:29 EST, pre
    ];
    let count = |s: Session| -> u64 {
        aggregate_ticks(&ticks, tf("1m"), s)
            .iter()
            .map(|b| b.trades)
            .sum()
    };
    assert_eq!(count(Session::All), 9);
    assert_eq!(count(Session::Pre), 3);
    assert_eq!(count(Session::Regular), 3);
    assert_eq!(count(Session::After), 1);
    assert_eq!(count(Session::Extended), 7);
    assert!(Session::Regular.contains(ts("2020-12-07T14:30:00Z")));
    assert_eq!("rth".parse::<Session>().unwrap(), Session::Regular);
}

#[test]
fn writes_aggregated_bars_as_csv() {
    let ticks = [
        Tick {
            ts: ts("2013-09-01T21:00:10Z"),
            price: 1640.25,
            size: Some(8.0),
        },
        Tick {
            ts: ts("2013-09-01T21:00:20Z"),
            price: 1640.5,
            size: Some(2.0),
        },
        Tick {
            ts: ts("2013-09-01T21:02:00Z"),
            price: 1640.0,
            size: Some(0.0),
        },
    ];
    let bars: Vec<AggBar> = aggregate_ticks(&ticks, tf("1m"), Session::All);
    let mut out = Vec::new();
    write_agg_csv(&mut out, &bars, false).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "timestamp,open,high,low,close,volume,trades,vwap\n\
         2013-09-01T21:00:00Z,1640.25,1640.5,1640.25,1640.5,10,2,1640.3\n\
         2013-09-01T21:02:00Z,1640,1640,1640,1640,0,1,\n"
    );
    let mut out = Vec::new();
    write_agg_csv(
        &mut out,
        &aggregate_ticks(&ticks, tf("1d"), Session::All),
        true,
    )
    .unwrap();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .ends_with("\n2013-09-01,1640.25,1640.5,1640,1640,10,3,1640.3\n")
    );
}

#[test]
fn sorts_out_of_order_ticks_stably_and_reports_it() {
    let text = "time,price,size\n2020-01-03 10:00:02,2,1\n2020-01-03 10:00:01,1,1\n2020-01-03 10:00:02,3,1\n";
    let l = parse_ticks_with_report("t.csv", text.as_bytes(), &TickOptions::default()).unwrap();
    assert!(l.report.was_unsorted);
    let prices: Vec<f64> = l.ticks.iter().map(|t| t.price).collect();
    assert_eq!(prices, [1.0, 2.0, 3.0]);
}

#[test]
fn rejects_bad_ticks_with_file_and_line() {
    let text = "DateTime,Price,Volume\n2013-09-01 17:00:00.083,1640.25,8\n2013-09-01 17:00:00.090,abc,1\n2013-09-01 17:00:00.095,-1,1\n2013-09-01 17:00:00.099,1,-2\n2013-09-01 17:00:00.100,1e300,1\n2013-09-01 17:00:00.101,1,1e300\n";
    let e = parse_ticks("ticks.csv", text.as_bytes(), &TickOptions::default()).unwrap_err();
    assert_eq!(e.to_string(), "ticks.csv:3: price is \"abc\", not a number");
    let opts = TickOptions {
        on_bad_row: BadRowPolicy::Skip,
        ..TickOptions::default()
    };
    let l = parse_ticks_with_report("ticks.csv", text.as_bytes(), &opts).unwrap();
    let reasons: Vec<String> = l
        .report
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.line, s.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            "3: price is \"abc\", not a number",
            "4: price is -1; prices must be > 0",
            "5: size is -2; size must be >= 0",
            "6: price is 1e300; prices must be between 1e-10 and 1e15, the range the exact \
             ledger holds (quote the instrument in another unit)",
            "7: size is 1e300; sizes must be at most 1e15"
        ]
    );
    assert_eq!(l.ticks.len(), 1);
}

#[test]
fn reads_tick_times_in_the_given_time_zone() {
    let opts = TickOptions {
        tz: jiff::tz::TimeZone::get("America/Chicago").unwrap(),
        ..TickOptions::default()
    };
    let ticks = parse_ticks(
        "es.csv",
        b"DateTime,Price\n2013-09-01 17:00:00.083,1\n",
        &opts,
    )
    .unwrap();
    assert_eq!(ticks[0].ts, ts("2013-09-01T22:00:00.083Z"));
}
