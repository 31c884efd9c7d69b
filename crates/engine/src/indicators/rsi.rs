//! Wilder's relative strength index.

use super::{IndicatorError, check_period};

/// Wilder's RSI over `n` price changes, as TA-Lib defines it (`TA_RSI`).
///
/// - change `d_t = x_t − x_{t−1}`; gain `max(d, 0)`, loss `max(−d, 0)`;
/// - the first average gain and loss are the simple means of the first `n` changes,
///   so the first value comes with the `n + 1`-th input;
/// - then Wilder smoothing: `avg = (avg · (n − 1) + new) / n`;
/// - `RSI = 100 − 100 / (1 + avg_gain / avg_loss)`; 100 when `avg_loss = 0` and
///   `avg_gain > 0`; 50 when both are 0 (no movement at all: neither overbought nor
///   oversold — TA-Lib returns 0 there, pandas NaN).
#[derive(Clone, Debug)]
pub struct Rsi {
    period: usize,
    prev: Option<f64>,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
}

impl Rsi {
    /// An RSI over `period` changes; `period` must be at least 1.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let period = check_period("Rsi", period)?;
        Ok(Rsi {
            period,
            prev: None,
            changes: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
        })
    }

    /// Number of changes the averages span.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Adds the next price; returns the RSI once `period` changes have been seen.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let prev = self.prev.replace(x)?;
        let d = x - prev;
        let (gain, loss) = if d > 0.0 {
            (d, 0.0)
        } else if d < 0.0 {
            (0.0, -d)
        } else {
            (0.0, 0.0)
        };
        let n = self.period as f64;
        self.changes += 1;
        if self.changes < self.period {
            self.avg_gain += gain;
            self.avg_loss += loss;
        } else if self.changes == self.period {
            self.avg_gain = (self.avg_gain + gain) / n;
            self.avg_loss = (self.avg_loss + loss) / n;
        } else {
            self.avg_gain = (self.avg_gain * (n - 1.0) + gain) / n;
            self.avg_loss = (self.avg_loss * (n - 1.0) + loss) / n;
        }
        self.value()
    }

    /// The current RSI in `[0, 100]`, or `None` before `period` changes.
    pub fn value(&self) -> Option<f64> {
        if self.changes < self.period {
            return None;
        }
        Some(if self.avg_loss == 0.0 {
            if self.avg_gain == 0.0 { 50.0 } else { 100.0 }
        } else {
            100.0 - 100.0 / (1.0 + self.avg_gain / self.avg_loss)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_comes_with_period_plus_one_prices() {
        let mut r = Rsi::new(2).unwrap();
        assert_eq!(r.update(10.0), None);
        assert_eq!(r.update(11.0), None);
        // gains 1, 0; losses 0, 2 → avg 0.5 / 1.0 → RS 0.5 → 100 − 100/1.5
        assert_eq!(r.update(9.0), Some(100.0 - 100.0 / 1.5));
        // Wilder: gain (0.5·1 + 3)/2 = 1.75, loss (1·1 + 0)/2 = 0.5 → RS 3.5
        assert_eq!(r.update(12.0), Some(100.0 - 100.0 / 4.5));
    }

    #[test]
    fn only_gains_give_100_and_no_movement_gives_50() {
        let mut up = Rsi::new(3).unwrap();
        let last = [1.0, 2.0, 3.0, 4.0].map(|x| up.update(x))[3];
        assert_eq!(last, Some(100.0));
        let mut flat = Rsi::new(3).unwrap();
        let last = [5.0; 4].map(|x| flat.update(x))[3];
        assert_eq!(last, Some(50.0));
    }

    #[test]
    fn only_losses_give_0() {
        let mut r = Rsi::new(3).unwrap();
        let last = [4.0, 3.0, 2.0, 1.0].map(|x| r.update(x))[3];
        assert_eq!(last, Some(0.0));
    }
}
