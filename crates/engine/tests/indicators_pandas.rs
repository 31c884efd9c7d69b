//! Indicators against values computed by pandas (fixtures made by
//! `tests/fixtures/indicators/generate.py`) and against naive recomputation.

use tradelab_engine::indicators::{RollingMax, RollingMin, Rsi, Sma};

/// One fixture: inputs and pandas' outputs; `None` where pandas has NaN.
struct Fixture {
    name: &'static str,
    close: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    sma10: Vec<Option<f64>>,
    sma20: Vec<Option<f64>>,
    rsi14: Vec<Option<f64>>,
    max20_high: Vec<Option<f64>>,
    min20_low: Vec<Option<f64>>,
}

fn load(name: &'static str) -> Fixture {
    let path = format!(
        "{}/tests/fixtures/indicators/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut cols: Vec<Vec<Option<f64>>> = vec![Vec::new(); header.len()];
    for line in lines {
        for (c, cell) in line.split(',').enumerate() {
            cols[c].push(if cell.is_empty() {
                None
            } else {
                Some(cell.parse().unwrap())
            });
        }
    }
    let col = |n: &str| cols[header.iter().position(|h| *h == n).unwrap()].clone();
    let dense = |n: &str| col(n).into_iter().map(Option::unwrap).collect();
    Fixture {
        name,
        close: dense("close"),
        high: dense("high"),
        low: dense("low"),
        sma10: col("sma10"),
        sma20: col("sma20"),
        rsi14: col("rsi14"),
        max20_high: col("max20_high"),
        min20_low: col("min20_low"),
    }
}

fn fixtures() -> [Fixture; 2] {
    [
        load("goog_2004_first600.csv"),
        load("random_walk_cents.csv"),
    ]
}

fn bits(v: &[Option<f64>]) -> Vec<Option<u64>> {
    v.iter().map(|x| x.map(f64::to_bits)).collect()
}

fn sma_of(xs: &[f64], n: usize) -> Vec<Option<f64>> {
    let mut sma = Sma::new(n).unwrap();
    xs.iter().map(|&x| sma.update(x)).collect()
}

#[test]
fn sma_matches_pandas_rolling_mean_bit_for_bit() {
    for f in fixtures() {
        assert_eq!(
            bits(&sma_of(&f.close, 10)),
            bits(&f.sma10),
            "{} sma10",
            f.name
        );
        assert_eq!(
            bits(&sma_of(&f.close, 20)),
            bits(&f.sma20),
            "{} sma20",
            f.name
        );
    }
}

#[test]
fn sma_agrees_with_a_naive_window_mean_to_rounding() {
    for f in fixtures() {
        for n in [1, 2, 7, 20, 50] {
            let ours = sma_of(&f.close, n);
            for (t, v) in ours.iter().enumerate() {
                if t + 1 < n {
                    assert_eq!(*v, None);
                    continue;
                }
                let naive = f.close[t + 1 - n..=t].iter().sum::<f64>() / n as f64;
                let got = v.unwrap();
                assert!(
                    (got - naive).abs() <= 1e-9 * naive.abs(),
                    "{} n={n} t={t}",
                    f.name
                );
            }
        }
    }
}

#[test]
fn random_walk_fixture_has_ties_where_a_naive_sum_differs_from_pandas() {
    let f = load("random_walk_cents.csv");
    let ties = f
        .sma10
        .iter()
        .zip(&f.sma20)
        .filter(|(a, b)| a.is_some() && a == b)
        .count();
    assert!(ties >= 10, "only {ties} exact ties");
    let naive_differs = (19..f.close.len())
        .filter(|&t| {
            let naive = f.close[t - 19..=t].iter().sum::<f64>() / 20.0;
            Some(naive) != f.sma20[t]
        })
        .count();
    assert!(
        naive_differs > 0,
        "fixture does not exercise the compensated sum"
    );
}

#[test]
fn rsi_matches_the_pandas_reference_values() {
    for f in fixtures() {
        let mut rsi = Rsi::new(14).unwrap();
        let ours: Vec<_> = f.close.iter().map(|&x| rsi.update(x)).collect();
        assert_eq!(
            ours.iter().position(Option::is_some),
            Some(14),
            "{}",
            f.name
        );
        assert_eq!(bits(&ours), bits(&f.rsi14), "{} rsi14", f.name);
    }
}

#[test]
fn rsi_matches_a_naive_recomputation_from_scratch() {
    let f = load("goog_2004_first600.csv");
    let n = 5;
    let mut rsi = Rsi::new(n).unwrap();
    for t in 0..f.close.len() {
        let got = rsi.update(f.close[t]);
        if t < n {
            assert_eq!(got, None);
            continue;
        }
        // Recompute Wilder's averages over the whole prefix.
        let d: Vec<f64> = f.close[..=t].windows(2).map(|w| w[1] - w[0]).collect();
        let mut g = d[..n].iter().map(|x| x.max(0.0)).sum::<f64>() / n as f64;
        let mut l = d[..n].iter().map(|x| (-x).max(0.0)).sum::<f64>() / n as f64;
        for x in &d[n..] {
            g = (g * (n - 1) as f64 + x.max(0.0)) / n as f64;
            l = (l * (n - 1) as f64 + (-x).max(0.0)) / n as f64;
        }
        let want = 100.0 - 100.0 / (1.0 + g / l);
        assert!((got.unwrap() - want).abs() < 1e-9, "t={t}");
    }
}

#[test]
fn rolling_max_and_min_match_pandas_exactly() {
    for f in fixtures() {
        let mut hi = RollingMax::new(20).unwrap();
        let mut lo = RollingMin::new(20).unwrap();
        let his: Vec<_> = f.high.iter().map(|&x| hi.update(x)).collect();
        let los: Vec<_> = f.low.iter().map(|&x| lo.update(x)).collect();
        assert_eq!(bits(&his), bits(&f.max20_high), "{} max", f.name);
        assert_eq!(bits(&los), bits(&f.min20_low), "{} min", f.name);
    }
}

#[test]
fn rolling_max_and_min_match_a_naive_scan_for_many_windows() {
    let f = load("random_walk_cents.csv");
    for n in [1, 2, 3, 10, 31, 200] {
        let mut hi = RollingMax::new(n).unwrap();
        let mut lo = RollingMin::new(n).unwrap();
        for t in 0..f.close.len() {
            let (h, l) = (hi.update(f.close[t]), lo.update(f.close[t]));
            if t + 1 < n {
                assert_eq!((h, l), (None, None));
                continue;
            }
            let w = &f.close[t + 1 - n..=t];
            assert_eq!(h, w.iter().copied().reduce(f64::max), "n={n} t={t}");
            assert_eq!(l, w.iter().copied().reduce(f64::min), "n={n} t={t}");
        }
    }
}

#[test]
fn indicators_reject_a_zero_period() {
    assert!(Sma::new(0).is_err());
    assert!(Rsi::new(0).is_err());
    assert!(RollingMax::new(0).is_err());
    assert!(RollingMin::new(0).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Prices in whole cents from a small set, so windows hold many equal values.
    fn prices() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec((1u32..40).prop_map(|c| f64::from(c) / 100.0), 1..300)
    }

    proptest! {
        #[test]
        fn rolling_extremes_equal_a_naive_scan(xs in prices(), n in 1usize..40) {
            let mut hi = RollingMax::new(n).unwrap();
            let mut lo = RollingMin::new(n).unwrap();
            for t in 0..xs.len() {
                let (h, l) = (hi.update(xs[t]), lo.update(xs[t]));
                if t + 1 < n {
                    prop_assert_eq!((h, l), (None, None));
                } else {
                    let w = &xs[t + 1 - n..=t];
                    prop_assert_eq!(h, w.iter().copied().reduce(f64::max));
                    prop_assert_eq!(l, w.iter().copied().reduce(f64::min));
                }
            }
        }

        #[test]
        fn sma_stays_within_rounding_of_the_window_mean(xs in prices(), n in 1usize..40) {
            let mut sma = Sma::new(n).unwrap();
            for t in 0..xs.len() {
                let got = sma.update(xs[t]);
                if t + 1 < n {
                    prop_assert_eq!(got, None);
                } else {
                    let w = &xs[t + 1 - n..=t];
                    let mean = w.iter().sum::<f64>() / n as f64;
                    prop_assert!((got.unwrap() - mean).abs() <= 1e-12);
                    if w.iter().all(|&x| x == w[0]) {
                        prop_assert_eq!(got.unwrap().to_bits(), w[0].to_bits());
                    }
                }
            }
        }
    }
}
