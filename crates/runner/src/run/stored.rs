//! What is stored for a run's symbols: the timeframe a run uses when none is named,
//! and what to say when the bars asked for are not there.

use super::{Runner, RunnerError, timeframes_text};
use crate::sink::symbols_text;
use tradelab_core::{Symbol, Timeframe};
use tradelab_store::UserId;

impl Runner {
    /// The timeframe a run of `owner`'s over `symbols` uses when none is named: the one
    /// stored for them (among the bars `owner` sees); `None` when nothing is stored; an
    /// error naming the choices when several are.
    pub async fn stored_timeframe(
        &self,
        owner: UserId,
        symbols: &[Symbol],
    ) -> Result<Option<Timeframe>, RunnerError> {
        let mut found: Vec<Timeframe> = Vec::new();
        for symbol in symbols {
            for s in self
                .store
                .bars()
                .series_of_symbol_for(owner, symbol)
                .await?
            {
                if !found.contains(&s.timeframe) {
                    found.push(s.timeframe);
                }
            }
        }
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(RunnerError::AmbiguousTimeframe {
                symbols: symbols_text(symbols),
                stored: timeframes_text(&found),
            }),
        }
    }

    /// The timeframe of a run of `owner`'s over `symbols` (the model's `allowed` ones
    /// when none are named) when none is given: the one stored for them, else daily.
    /// The CLI's `runs start` and the API's start both choose so.
    pub async fn default_timeframe(
        &self,
        owner: UserId,
        symbols: &[Symbol],
        allowed: &[Symbol],
    ) -> Result<Timeframe, RunnerError> {
        let wanted = if symbols.is_empty() { allowed } else { symbols };
        Ok(self
            .stored_timeframe(owner, wanted)
            .await?
            .unwrap_or(Timeframe::DAY))
    }

    /// The second half of a "no bars" error: what is stored for `symbol` instead (other
    /// timeframes, or the same one outside the period) and the flag to pass; the
    /// import command when nothing is.
    pub(super) async fn stored_instead(
        &self,
        owner: UserId,
        symbol: &Symbol,
        timeframe: Timeframe,
    ) -> Result<String, RunnerError> {
        let stored = self
            .store
            .bars()
            .series_of_symbol_for(owner, symbol)
            .await?;
        if let Some(same) = stored.iter().find(|s| s.timeframe == timeframe) {
            return Ok(format!(
                "its {timeframe} bars run from {} to {}: change --from/--to",
                same.first, same.last
            ));
        }
        let Some(other) = stored.first() else {
            return Ok("import them with `tradelab data import`".into());
        };
        let all: Vec<Timeframe> = stored.iter().map(|s| s.timeframe).collect();
        Ok(format!(
            "{symbol} is stored as {} bars: pass --timeframe {}",
            timeframes_text(&all),
            other.timeframe
        ))
    }
}
