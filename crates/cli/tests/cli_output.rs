//! Specifications of what the CLI prints: tables written for people (labels, units,
//! rounding, RFC 3339 times; no Rust debug text, raw JSON or epoch nanoseconds),
//! `--output json` on every list and show command, paging of the audit trail, exact
//! large amounts, and clear refusals of RUN arguments.

mod common;

use common::{fail, json, lab, ok, sample, tl, tradelab};
use serde_json::Value;

/// Text shapes a table must not show: Rust debug output, raw JSON, epoch nanoseconds.
fn assert_for_people(what: &str, text: &str) {
    for shape in ["{", "}", "\":", "Some(", "None", "AuditCounts", "[\""] {
        assert!(!text.contains(shape), "{what} shows {shape:?}:\n{text}");
    }
    let mut digits = 0;
    for c in text.chars() {
        digits = if c.is_ascii_digit() { digits + 1 } else { 0 };
        assert!(
            digits < 16,
            "{what} shows a number like epoch nanoseconds:\n{text}"
        );
    }
    // Floats are rounded: no run of more than four decimals after a point.
    for word in text.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        if let Some((int, frac)) = word.split_once('.') {
            let frac: String = frac.chars().take_while(char::is_ascii_digit).collect();
            let int_is_number = !int.is_empty()
                && int
                    .trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',');
            assert!(
                !(int_is_number && frac.len() > 4),
                "{what} shows an unrounded number {word:?}:\n{text}"
            );
        }
    }
}

fn is_rfc3339(s: &str) -> bool {
    s.parse::<jiff::Timestamp>().is_ok()
}

/// Checks a JSON document: every time field is an RFC 3339 string, no number looks
/// like epoch nanoseconds, and no array is a list of `[key, value]` pairs.
fn assert_json_conventions(what: &str, v: &Value, has_times: bool) {
    fn walk(what: &str, key: &str, v: &Value, times: &mut usize) {
        let time_key = key.ends_with("_at")
            || key.ends_with("_time")
            || key == "time"
            || key == "first"
            || key == "last"
            || key.ends_with("_ts")
            || key == "period_start"
            || key == "period_end";
        match v {
            Value::String(s) if time_key => {
                assert!(is_rfc3339(s), "{what}: {key} = {s:?} is not RFC 3339");
                *times += 1;
            }
            Value::Number(n) => {
                assert!(!time_key, "{what}: {key} is a number, not an RFC 3339 time");
                let big = n.as_f64().is_some_and(|x| x.abs() >= 1e15);
                assert!(!big, "{what}: {key} = {n} looks like epoch nanoseconds");
            }
            Value::Array(items) => {
                let pairs = !items.is_empty()
                    && items.iter().all(|i| {
                        i.as_array()
                            .is_some_and(|p| p.len() == 2 && p[0].is_string())
                    });
                assert!(!pairs, "{what}: {key} is an array of pairs, not an object");
                for i in items {
                    walk(what, key, i, times);
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    walk(what, k, v, times);
                }
            }
            _ => {}
        }
    }
    let mut times = 0;
    walk(what, "", v, &mut times);
    assert!(!has_times || times > 0, "{what} has no time field: {v}");
}

#[test]
fn runs_show_table_has_labels_units_and_no_debug_text_or_raw_json() {
    let lab = lab();
    let shown = ok(tl(lab.path(), &["runs", "show", "trend#1"]));
    assert_for_people("runs show", &shown);
    for label in [
        "Audit trail",
        "Execution",
        "Strategy",
        "Total return",
        "Initial cash",
        "Created",
    ] {
        assert!(shown.contains(label), "no {label}: {shown}");
    }
    assert!(shown.contains("shorting not allowed"), "{shown}");
    assert!(shown.contains("3,270 equity points"), "{shown}");
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("Total return") && l.ends_with(" %")),
        "{shown}"
    );
    assert!(shown.contains("Initial cash  10,000.00"), "{shown}");
}

#[test]
fn models_show_the_parameter_values_used_with_defaults_marked() {
    let lab = lab();
    let list = ok(tl(lab.path(), &["models", "list"]));
    assert_for_people("models list", &list);
    assert!(
        list.contains("sma_cross: fast = 10 (default), slow = 20 (default)"),
        "{list}"
    );
    assert!(
        list.contains("sma_cross: fast = 10, slow = 20 (default)"),
        "{list}"
    );
    let shown = ok(tl(lab.path(), &["models", "show", "plain"]));
    assert_for_people("models show", &shown);
    assert!(
        shown.contains("fast = 10 (default), slow = 20 (default)"),
        "{shown}"
    );
    let v = json(tl(
        lab.path(),
        &["models", "show", "plain", "--output", "json"],
    ));
    assert_eq!(v["strategy"]["params"]["slow"], "20");
    assert_eq!(
        v["strategy"]["defaults"],
        serde_json::json!(["fast", "slow"])
    );
}

#[test]
fn rules_that_are_off_say_so() {
    let lab = lab();
    ok(tl(
        lab.path(),
        &["models", "rules", "toggle", "trend", "stop_loss"],
    ));
    let shown = ok(tl(lab.path(), &["models", "show", "trend"]));
    assert_for_people("models show", &shown);
    assert!(shown.contains("7 on, 1 off"), "{shown}");
    let state = |name: &str| {
        shown
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
    };
    assert_eq!(state("stop_loss").as_deref(), Some("off"), "{shown}");
    assert_eq!(state("take_profit").as_deref(), Some("on"), "{shown}");
    let v = json(tl(
        lab.path(),
        &["models", "show", "trend", "--output", "json"],
    ));
    let rules = v["rules"].as_array().expect("rules array");
    let off: Vec<&Value> = rules.iter().filter(|r| r["active"] == false).collect();
    assert_eq!(off.len(), 1);
    assert_eq!(off[0]["name"], "stop_loss");
}

#[test]
fn runs_events_read_as_sentences_with_rfc3339_times() {
    let lab = lab();
    let events = ok(tl(lab.path(), &["runs", "events", "trend#1", "--all"]));
    assert_for_people("runs events", &events);
    let closed = events
        .lines()
        .find(|l| l.contains("trade_closed"))
        .expect("a closed trade");
    assert!(
        closed.contains(
            "AAPL long 20: 2000-05-02 @ 123.25 → 2000-05-03 @ 116.15, P&L -146.79 (-5.95 %)"
        ),
        "{closed}"
    );
    let finished = events
        .lines()
        .find(|l| l.contains("run_finished"))
        .expect("the end of the run");
    assert!(
        finished.contains("halted (") && finished.contains("final equity 8,435.45"),
        "{finished}"
    );
}

#[test]
fn runs_compare_labels_metrics_and_keeps_the_whole_status_reason() {
    let lab = lab();
    let cmp = ok(tl(lab.path(), &["runs", "compare", "trend#1", "plain#1"]));
    assert_for_people("runs compare", &cmp);
    assert!(!cmp.contains("total_return_pct"), "{cmp}");
    assert!(
        cmp.lines()
            .any(|l| l.starts_with("Total return") && l.ends_with(" %")),
        "{cmp}"
    );
    assert!(
        cmp.contains("drawdown_halt halts at 15 %"),
        "the status reason is cut: {cmp}"
    );
    assert!(cmp.contains("strategy parameter fast"), "{cmp}");
}

#[test]
fn runs_compare_refuses_to_compare_a_run_with_itself() {
    let lab = lab();
    let err = fail(tl(lab.path(), &["runs", "compare", "trend#1", "1"]));
    assert!(err.contains("same run"), "{err}");
    let err = fail(tl(lab.path(), &["runs", "compare", "plain#1", "plain#1"]));
    assert!(err.contains("same run"), "{err}");
}

#[test]
fn every_list_and_show_command_prints_json_with_rfc3339_times() {
    let lab = lab();
    let d = lab.path();
    let commands: [&[&str]; 8] = [
        &["runs", "list"],
        &["runs", "show", "trend#1"],
        &["runs", "events", "trend#1", "--all"],
        &["runs", "trades", "trend#1"],
        &["runs", "compare", "trend#1", "plain#1"],
        &["data", "list"],
        &["models", "list"],
        &["models", "show", "trend"],
    ];
    for args in commands {
        let mut with_json = args.to_vec();
        with_json.extend(["--output", "json"]);
        let v = json(tl(d, &with_json));
        let what = args.join(" ");
        // Models have no times; everything else does.
        assert_json_conventions(&what, &v, args[0] != "models");
    }
    let shown = json(tl(d, &["runs", "show", "trend#1", "--output", "json"]));
    assert_eq!(shown["run"], "trend#1");
    assert_eq!(shown["audit"]["equity"], 3270);
    assert_eq!(shown["snapshot"]["decider"]["params"]["fast"], "10");
    let trades = json(tl(d, &["runs", "trades", "trend#1", "--output", "json"]));
    assert_eq!(trades[0]["entry_time"], "2000-05-02T00:00:00Z");
    assert_eq!(trades[0]["pnl"], "-146.788");
    let data = json(tl(d, &["data", "list", "--output", "json"]));
    assert_eq!(data["items"][0]["symbol"], "AAPL");
    assert_eq!(data["items"][0]["first"], "2000-03-01T00:00:00Z");
    let cmp = json(tl(
        d,
        &["runs", "compare", "trend#1", "plain#1", "--output", "json"],
    ));
    assert_eq!(cmp["runs"][1]["run"], "plain#1");
    assert!(cmp["runs"][0]["metrics"]["total_return_pct"].is_number());
    assert!(cmp["differences"]["decider.params.fast"].is_array());
}

#[test]
fn runs_equity_prints_the_curve_as_a_table_and_as_json() {
    let lab = lab();
    let d = lab.path();
    let v = json(tl(d, &["runs", "equity", "trend#1", "--output", "json"]));
    let points = v["points"].as_array().expect("points");
    assert_eq!(v["run"], "trend#1");
    assert_eq!(points.len(), 3270, "a point per bar, as `runs show` counts");
    assert!(points[0]["time"].as_str().is_some_and(is_rfc3339));
    assert_eq!(points[0]["equity"], 10_000.0);
    assert_eq!(points[0]["invested"], false);
    let table = ok(tl(d, &["runs", "equity", "trend#1"]));
    assert_for_people("runs equity", &table);
    assert_eq!(table.lines().count(), 3271, "a header and a line per point");
}

#[test]
fn tables_of_lists_have_no_raw_values() {
    let lab = lab();
    let d = lab.path();
    for args in [
        &["runs", "list"][..],
        &["runs", "trades", "plain#1"],
        &["data", "list"],
    ] {
        let text = ok(tl(d, args));
        assert_for_people(&args.join(" "), &text);
    }
    let data = ok(tl(d, &["data", "list"]));
    assert!(data.contains("3,270"), "{data}");
}

#[test]
fn runs_events_pages_with_after_and_limit_and_prints_all() {
    let lab = lab();
    let d = lab.path();
    let page = |extra: &[&str]| {
        let mut args = vec!["runs", "events", "plain#1", "--output", "json"];
        args.extend(extra);
        json(tl(d, &args))
    };
    let seqs = |v: &Value| -> Vec<u64> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["seq"].as_u64().expect("seq"))
            .collect()
    };
    // The engine's numbers: rising, with gaps where equity points (numbered, not
    // rows) fall.
    let all = page(&["--all"]);
    let every = seqs(&all);
    let total = every.len();
    assert!(total > 200, "the run has more entries than a default page");
    assert!(every.windows(2).all(|w| w[0] < w[1]), "{every:?}");
    assert_eq!(all["next_after"], Value::Null);
    let first = page(&["--limit", "5"]);
    assert_eq!(seqs(&first), every[..5]);
    assert_eq!(first["next_after"], every[4]);
    let after = every[4].to_string();
    let second = page(&["--after", &after, "--limit", "5"]);
    assert_eq!(seqs(&second), every[5..10]);
    // The default page holds 200 and says how to go on.
    let default = page(&[]);
    assert_eq!(seqs(&default), every[..200]);
    assert_eq!(default["next_after"], every[199]);
    let table = ok(tl(d, &["runs", "events", "plain#1"]));
    assert!(
        table.contains(&format!("--after {}", every[199])),
        "{table}"
    );
    // The last page ends the trail.
    let last = page(&["--after", &every[total - 3].to_string()]);
    assert_eq!(seqs(&last).len(), 2);
    assert_eq!(last["next_after"], Value::Null);
    // A kind keeps the numbers of the whole trail.
    let fills = page(&["--kind", "fill", "--all"]);
    let numbers = seqs(&fills);
    assert!(numbers.len() > 100 && numbers.windows(2).all(|w| w[0] < w[1]));
    assert!(fills["items"][0]["time"].as_str().is_some_and(is_rfc3339));
    assert!(fills["items"][0]["detail"]["price"].is_string());
    // Several kinds, a symbol and a period narrow the page; the hint repeats them.
    let narrow = page(&[
        "--kind",
        "fill",
        "--kind",
        "order",
        "--symbol",
        "AAPL",
        "--from",
        "2001-01-01",
        "--to",
        "2001-12-31",
        "--limit",
        "3",
    ]);
    let items = narrow["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    for e in items {
        let kind = e["kind"].as_str().unwrap_or_default();
        let time = e["time"].as_str().unwrap_or_default();
        assert!(kind == "fill" || kind == "order", "{e}");
        assert!(time.starts_with("2001-"), "{e}");
    }
    let table = ok(tl(
        d,
        &[
            "runs",
            "events",
            "plain#1",
            "--kind",
            "fill",
            "--from",
            "2001-01-01",
            "--limit",
            "2",
        ],
    ));
    assert!(
        table.contains("runs events plain#1 --kind fill --from 2001-01-01 --limit 2 --after "),
        "{table}"
    );
}

#[test]
fn a_large_cash_amount_is_shown_exactly() {
    let out = ok(tradelab(&[
        "backtest",
        "--data",
        &sample("stocks_daily_2000-2013.csv"),
        "--symbol",
        "AAPL",
        "--strategy",
        "buy_and_hold",
        "--cash",
        "1000000000000000000000000000",
    ]));
    assert!(
        out.contains("Initial cash               1,000,000,000,000,000,000,000,000,000.00"),
        "{out}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    ok(tl(
        dir.path(),
        &[
            "models",
            "create",
            "big",
            "--symbols",
            "AAPL",
            "--strategy",
            "buy_and_hold",
            "--cash",
            "1000000000000000000000000000",
        ],
    ));
    let shown = ok(tl(dir.path(), &["models", "show", "big"]));
    assert!(
        shown.contains("Initial cash  1,000,000,000,000,000,000,000,000,000.00"),
        "{shown}"
    );
}

#[test]
fn cash_takes_scientific_notation_and_out_of_range_names_the_limit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    ok(tl(
        d,
        &[
            "models",
            "create",
            "sci",
            "--symbols",
            "AAPL",
            "--strategy",
            "buy_and_hold",
            "--cash",
            "2.5e6",
        ],
    ));
    let shown = ok(tl(d, &["models", "show", "sci"]));
    assert!(shown.contains("Initial cash  2,500,000.00"), "{shown}");
    let err = fail(tl(
        d,
        &[
            "models",
            "create",
            "huge",
            "--symbols",
            "AAPL",
            "--strategy",
            "buy_and_hold",
            "--cash",
            "1e30",
        ],
    ));
    assert!(!err.contains("not a number"), "{err}");
    assert!(!err.contains("Scale exceeds"), "{err}");
    assert!(
        err.contains("--cash 1e30") && err.contains("79,228,162,514,264,337,593,543,950,335"),
        "{err}"
    );
    let err = fail(tl(
        d,
        &[
            "models",
            "create",
            "x",
            "--symbols",
            "AAPL",
            "--strategy",
            "buy_and_hold",
            "--cash",
            "lots",
        ],
    ));
    assert!(err.contains("is not a number"), "{err}");
}

#[test]
fn a_run_argument_that_names_no_run_says_once_what_run_accepts() {
    let lab = lab();
    let d = lab.path();
    let err = fail(tl(d, &["runs", "show", "my model"]));
    assert!(!err.contains("invalid digit"), "{err}");
    assert!(err.contains("MODEL#NUMBER"), "{err}");
    let err = fail(tl(d, &["runs", "show", "trend"]));
    assert!(
        err.contains("trend#1"),
        "a model name hints at its runs: {err}"
    );
    let err = fail(tl(d, &["runs", "show", "trend#9"]));
    assert_eq!(err.matches("#9").count(), 1, "said twice: {err}");
    assert!(!err.contains("not found"), "{err}");
    assert!(err.contains("its runs: #1"), "{err}");
    let err = fail(tl(d, &["runs", "show", "trend#x"]));
    assert!(
        err.contains("not a run number") && !err.contains("invalid digit"),
        "{err}"
    );
    let err = fail(tl(d, &["runs", "show", "99"]));
    assert!(
        err.contains("no run 99") && err.contains("MODEL#NUMBER"),
        "{err}"
    );
}

/// The id the "more …" line of a paged list names after `--after`.
fn next_after_hint(text: &str, command: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.contains(command))
        .unwrap_or_else(|| panic!("no `{command}` hint for the next page:\n{text}"));
    line.rsplit("--after ").next().unwrap().trim().to_string()
}

#[test]
fn models_and_runs_list_a_page_at_a_time_with_limit_and_after() {
    let lab = lab();
    let d = lab.path();
    // Models by name: plain, then trend.
    let first = ok(tl(d, &["models", "list", "--limit", "1"]));
    assert!(
        first.contains("plain") && !first.contains("trend"),
        "{first}"
    );
    let after = next_after_hint(&first, "tradelab models list --limit 1 --after");
    let last = ok(tl(
        d,
        &["models", "list", "--limit", "1", "--after", &after],
    ));
    assert!(last.contains("trend") && !last.contains("plain"), "{last}");
    assert!(!last.contains("more models"), "{last}");
    let page = json(tl(
        d,
        &["models", "list", "--limit", "1", "--output", "json"],
    ));
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["name"], "plain");
    assert_eq!(page["next_after"].to_string(), after);
    let end = json(tl(
        d,
        &[
            "models", "list", "--limit", "1", "--after", &after, "--output", "json",
        ],
    ));
    assert_eq!(end["items"][0]["name"], "trend");
    assert_eq!(end["next_after"], Value::Null);

    // Runs by model name, newest first within a model.
    let first = ok(tl(d, &["runs", "list", "--limit", "1"]));
    assert!(
        first.contains("plain#1") && !first.contains("trend#1"),
        "{first}"
    );
    let after = next_after_hint(&first, "tradelab runs list --limit 1 --after");
    let last = ok(tl(d, &["runs", "list", "--limit", "1", "--after", &after]));
    assert!(
        last.contains("trend#1") && !last.contains("plain#1"),
        "{last}"
    );
    assert!(!last.contains("more runs"), "{last}");
    let page = json(tl(d, &["runs", "list", "--limit", "1", "--output", "json"]));
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["next_after"].to_string(), after);
    let all = json(tl(d, &["runs", "list", "--output", "json"]));
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert_eq!(all["next_after"], Value::Null);

    // A limit out of range is refused, naming the range.
    let err = fail(tl(d, &["runs", "list", "--limit", "0"]));
    assert!(
        err.contains("page limit") && err.contains("1..=1000"),
        "{err}"
    );
    // Another account's cursor is an unknown one.
    let err = fail(common::tl_as(
        d,
        Some("bob@example.com"),
        &["runs", "list", "--after", &after],
    ));
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn log_flag_prints_run_spans_on_stderr_and_nothing_by_default() {
    let lab = lab();
    let d = lab.path();
    let quiet = tl(d, &["runs", "start", "plain"]);
    let quiet_err = common::stderr(&quiet);
    assert!(quiet.status.success(), "{quiet_err}");
    assert!(!quiet_err.contains("run started"), "{quiet_err}");
    let logged = tl(
        d,
        &["--log", "tradelab_runner=info", "runs", "start", "plain"],
    );
    let text = common::stderr(&logged);
    assert!(logged.status.success(), "{text}");
    assert!(
        text.contains("run started") && text.contains("run finished"),
        "{text}"
    );
    // The lab made runs 1 and 2, the quiet start run 3.
    assert!(text.contains("run=4") && text.contains("user=1"), "{text}");
    let err = fail(tl(d, &["--log", "tradelab_runner=loud", "runs", "list"]));
    assert!(err.contains("is not a log filter"), "{err}");
}
