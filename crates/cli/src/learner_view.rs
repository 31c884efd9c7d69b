//! What `runs show` adds for an online learner's run: the snapshots of its state
//! (version, bar time, bars seen, size), the snapshot it warm-started from, and its
//! calibration figures (Brier, log loss, ECE, reliability table) from the run's report.

use crate::display;
use anyhow::{Result, bail};
use serde_json::{Value, json};
use tradelab_learner::LearnerReport;
use tradelab_store::{Run, SnapshotInfo};

/// The calibration report a learner's run keeps in its summary (`learner`), if any.
pub fn calibration(r: &Run) -> Option<LearnerReport> {
    let v = r.summary.as_ref()?.get("learner")?;
    serde_json::from_value(v.clone()).ok()
}

/// `1.2 MB`, `840 B`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / f64::from(1 << 10)),
        b => format!("{b} B"),
    }
}

/// The snapshots as a table, oldest first (nothing when there are none).
pub fn snapshots_table(run: &Run, snaps: &[SnapshotInfo]) -> String {
    if snaps.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nLearner snapshots (warm-start a run with --warm-start {}@VERSION)\n",
        run.id
    );
    out.push_str(&format!(
        "  {:>7}  {:<20} {:>12} {:>9}\n",
        "version", "bar time", "bars seen", "size"
    ));
    for s in snaps {
        out.push_str(&format!(
            "  {:>7}  {:<20} {:>12} {:>9}\n",
            s.version,
            s.bar_ts.map_or("-".into(), display::bar_time),
            display::count(s.bars),
            size(s.size_bytes)
        ));
    }
    out
}

/// The snapshots as JSON objects `{version, bar_time, bars, size_bytes, created_at}`.
pub fn snapshots_json(snaps: &[SnapshotInfo]) -> Value {
    Value::Array(
        snaps
            .iter()
            .map(|s| {
                json!({
                    "version": s.version,
                    "bar_time": s.bar_ts.map(display::json_time),
                    "bars": s.bars,
                    "size_bytes": s.size_bytes,
                    "created_at": display::json_time(s.created_at),
                })
            })
            .collect(),
    )
}

/// Parses `RUN[@VERSION]` into the run text (an id or MODEL#N) and the version.
pub fn parse_warm_start(text: &str) -> Result<(&str, Option<i64>)> {
    let Some((run, version)) = text.rsplit_once('@') else {
        return Ok((text, None));
    };
    match version.trim().parse::<i64>() {
        Ok(v) if v >= 1 => Ok((run, Some(v))),
        _ => bail!(
            "--warm-start {text:?}: {version:?} is not a snapshot version (1, 2, …); \
             the form is RUN[@VERSION], e.g. learner#2@3 or 17"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warm_start_reference_is_a_run_with_an_optional_version() {
        assert_eq!(parse_warm_start("17").unwrap(), ("17", None));
        assert_eq!(parse_warm_start("trend#2@3").unwrap(), ("trend#2", Some(3)));
        let err = parse_warm_start("trend#2@latest").unwrap_err().to_string();
        assert!(err.contains("not a snapshot version"), "{err}");
        assert!(parse_warm_start("7@0").is_err());
    }

    #[test]
    fn sizes_read_as_bytes_kilobytes_and_megabytes() {
        assert_eq!(size(840), "840 B");
        assert_eq!(size(40_960), "40.0 KB");
        assert_eq!(size(3 << 20), "3.0 MB");
    }
}
