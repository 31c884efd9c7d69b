//! `runs start MODEL --repeat N`: the same model run N times on the same data, and
//! how far the results spread and how often the decisions agree, as a table. The
//! spread itself is the runner's ([`tradelab_runner::Spread`]), shared with the API.

use crate::display;
use tradelab_runner::Spread;

/// The spread for people.
pub fn table(spread: &Spread) -> String {
    let mut rows = vec![(
        "Runs".to_string(),
        format!("{} ({})", spread.labels.len(), spread.labels.join(", ")),
    )];
    for m in &spread.metrics {
        let (lo, mid, hi) = m.summary();
        let show = |v: Option<f64>| match (v, m.unit) {
            (None, _) => "n/a".to_string(),
            (Some(v), "%") => display::percent(Some(v)),
            (Some(v), _) => display::number(Some(v), 2),
        };
        rows.push((
            m.label.to_string(),
            format!("min {}, median {}, max {}", show(lo), show(mid), show(hi)),
        ));
    }
    rows.push((
        "Decisions agree".into(),
        match spread.agreement() {
            Some(pct) => format!(
                "{pct:.1} % of {} asked steps (all {} runs did the same)",
                spread.compared,
                spread.labels.len()
            ),
            None => "no step was asked in every run".into(),
        },
    ));
    display::rows(&rows)
}
