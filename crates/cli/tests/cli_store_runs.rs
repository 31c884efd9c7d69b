//! End-to-end specifications of runs on one-minute bars: a run killed mid-way keeps
//! whole batches and is marked interrupted, a declared timeframe must fit the bar
//! spacing, and `runs start` takes the timeframe of its data file or the one stored.

mod common;

use common::{command, fail, ok, tl, write_file};
use std::path::Path;

/// Writes `n` one-minute bars of a random walk for symbol RW.
fn minute_bars(path: &Path, n: usize) {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "timestamp,open,high,low,close,volume").unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut cents: i64 = 300_000;
    for k in 0..n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let open = cents;
        cents = (cents + (state % 101) as i64 - 50).max(1_000);
        let (hi, lo) = (open.max(cents) + 5, open.min(cents) - 5);
        let ts = 1_546_300_800 + 60 * k as i64;
        writeln!(
            w,
            "{ts},{}.{:02},{}.{:02},{}.{:02},{}.{:02},100",
            open / 100,
            open % 100,
            hi / 100,
            hi % 100,
            lo / 100,
            lo % 100,
            cents / 100,
            cents % 100
        )
        .unwrap();
    }
}

#[test]
fn a_run_killed_mid_way_keeps_whole_batches_and_is_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = d.join("rw.csv");
    minute_bars(&csv, 300_000);
    let csv = csv.display().to_string();
    ok(tl(
        d,
        &[
            "data",
            "import",
            &csv,
            "--symbol",
            "RW",
            "--timeframe",
            "1m",
        ],
    ));
    ok(tl(
        d,
        &[
            "models",
            "create",
            "k",
            "--strategy",
            "sma_cross",
            "--allow-short",
            "true",
            "--symbols",
            "RW",
        ],
    ));
    let mut child = command()
        .arg("--data-dir")
        .arg(d)
        .args(["runs", "start", "k", "--symbols", "RW", "--timeframe", "1m"])
        .env("TRADELAB_BATCH_ROWS", "2000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt
        .block_on(tradelab_store::Store::open(
            &tradelab_store::StoreConfig::sqlite(d),
        ))
        .unwrap();
    let run = tradelab_store::RunId(1);
    // The local user: the first account of this fresh data directory.
    let owner = tradelab_store::UserId(1);
    // Wait until some batches are committed, then kill the process without warning.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run finished before it could be killed"
        );
        let committed = rt
            .block_on(store.audit().equity(owner, run))
            .map(|e| e.len())
            .unwrap_or(0);
        if committed >= 4_000 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no batch was committed in time"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    // The next start of any command marks the run interrupted at its last committed event.
    let out = tl(d, &["runs", "show", "k#1", "--output", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("marked interrupted"), "{stderr}");
    let shown: serde_json::Value = serde_json::from_str(&ok(out)).unwrap();
    assert_eq!(shown["status"], "interrupted");
    assert_eq!(shown["ended_at"], shown["last_event_at"]);
    let last: jiff::Timestamp = shown["last_event_at"].as_str().unwrap().parse().unwrap();
    let last = i64::try_from(last.as_nanosecond()).unwrap();
    // Whole batches only: the equity curve has exactly one point per bar up to the last
    // committed event, with no gap and nothing after it.
    let equity = rt.block_on(store.audit().equity(owner, run)).unwrap();
    assert!(!equity.is_empty() && equity.len() < 300_000);
    assert_eq!(equity.last().unwrap().ts.nanos(), last);
    let expected = (last - 1_546_300_800_000_000_000) / 60_000_000_000 + 1;
    assert_eq!(
        equity.len() as i64,
        expected,
        "one equity point per bar, none missing"
    );
    let fills = rt.block_on(store.audit().fills(owner, run)).unwrap();
    assert!(fills.iter().all(|f| f.ts.nanos() <= last));
    // Nothing else was touched: the model and the bars are intact.
    let bars = ok(tl(d, &["data", "list"]));
    assert!(bars.contains(" 300,000 "), "{bars}");
}

/// `n` one-minute bars of RW in `dir/rw_1m.csv`; returns the path as text.
fn rw_minute_file(dir: &Path, n: usize) -> String {
    let file = dir.join("rw_1m.csv");
    minute_bars(&file, n);
    file.display().to_string()
}

#[test]
fn data_import_refuses_a_timeframe_longer_than_the_bar_spacing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = rw_minute_file(d, 50);
    let args = [
        "data",
        "import",
        &file,
        "--symbol",
        "RW",
        "--timeframe",
        "1d",
    ];
    let err = fail(tl(d, &args));
    assert!(
        err.contains("--timeframe 1d does not fit")
            && err.contains("RW has bars at 2019-01-01T00:00:00Z and 2019-01-01T00:01:00Z")
            && err.contains("pass --timeframe 1m or leave it out"),
        "{err}"
    );
    let listed = ok(tl(d, &["data", "list"]));
    assert!(listed.contains("no stored bars"), "{listed}");
}

#[test]
fn runs_start_takes_the_timeframe_of_its_data_file_or_the_one_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = rw_minute_file(d, 300);
    let create = [
        "models",
        "create",
        "m",
        "--strategy",
        "sma_cross",
        "--symbols",
        "RW",
    ];
    ok(tl(d, &create));
    // The file has no ticker column: it holds the model's one symbol, as 1m bars.
    let first = ok(tl(d, &["runs", "start", "m", "--data", &file]));
    assert!(first.contains("RW 1m: 300 new"), "{first}");
    assert!(first.contains("m#1 (id 1), completed"), "{first}");
    // Without a file, the one timeframe stored for RW.
    let second = ok(tl(d, &["runs", "start", "m"]));
    assert!(second.contains("m#2 (id 2), completed"), "{second}");
    // Daily bars of RW as well: the run must be told which.
    let daily = write_file(
        d,
        "rw_1d.csv",
        "date,open,high,low,close,volume\n2019-01-02,10,11,9,10,100\n",
    );
    ok(tl(d, &["data", "import", &daily, "--symbol", "RW"]));
    let err = fail(tl(d, &["runs", "start", "m"]));
    assert!(
        err.contains("the bars of RW are stored at several timeframes (1d, 1m): pass --timeframe"),
        "{err}"
    );
    let third = ok(tl(d, &["runs", "start", "m", "--timeframe", "1m"]));
    assert!(third.contains("m#3 (id 3), completed"), "{third}");
}
