//! Listing stored series a page at a time.
//!
//! A series has no id: it is a symbol at a timeframe, so the cursor of a page is the
//! symbol and timeframe of its last series ([`SeriesCursor`], written `SPY@1d`). The
//! list is ordered by symbol, then timeframe text, and a page continues after the
//! cursor in that order, so a series imported or deleted between two pages neither
//! repeats nor shifts the rest.

use super::{Bars, SHARED_OWNER};
use crate::db::{RowExt, with_pool};
use crate::error::{Result, StoreError};
use crate::page::{Page, PageRequest};
use crate::{SeriesInfo, UserId};
use std::fmt;
use std::str::FromStr;
use tradelab_core::{Symbol, SymbolError, Timeframe, TimeframeError};

/// Where a listing of series continues: the symbol and timeframe of the last series of
/// the previous page. Written `SYMBOL@TIMEFRAME` (`SPY@1d`); `@` appears in neither.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesCursor {
    /// Symbol of the last series seen.
    pub symbol: Symbol,
    /// Timeframe of the last series seen.
    pub timeframe: Timeframe,
}

impl SeriesCursor {
    /// The cursor that continues after `series`.
    pub fn of(series: &SeriesInfo) -> Self {
        SeriesCursor {
            symbol: series.symbol.clone(),
            timeframe: series.timeframe,
        }
    }
}

impl fmt::Display for SeriesCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.symbol, self.timeframe)
    }
}

/// Why a text is not a [`SeriesCursor`]; each message quotes the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeriesCursorError {
    /// No `@` between a symbol and a timeframe.
    #[error(
        "{0:?} is not a series cursor: write SYMBOL@TIMEFRAME, e.g. SPY@1d (the next_after \
         of the previous page)"
    )]
    Shape(String),
    /// The part before `@` is not a symbol.
    #[error("series cursor {text:?}: {source}")]
    Symbol {
        /// The whole cursor text.
        text: String,
        /// Why the symbol is refused.
        source: SymbolError,
    },
    /// The part after `@` is not a timeframe.
    #[error("series cursor {text:?}: {source}")]
    Timeframe {
        /// The whole cursor text.
        text: String,
        /// Why the timeframe is refused.
        source: TimeframeError,
    },
}

impl FromStr for SeriesCursor {
    type Err = SeriesCursorError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (symbol, timeframe) = text
            .trim()
            .split_once('@')
            .ok_or_else(|| SeriesCursorError::Shape(text.to_string()))?;
        Ok(SeriesCursor {
            symbol: Symbol::new(symbol).map_err(|source| SeriesCursorError::Symbol {
                text: text.to_string(),
                source,
            })?,
            timeframe: timeframe
                .trim()
                .parse()
                .map_err(|source| SeriesCursorError::Timeframe {
                    text: text.to_string(),
                    source,
                })?,
        })
    }
}

/// The series `$1` sees after the cursor (`$2` symbol, `$3` timeframe text; both empty
/// for the first page, as no symbol is), at most `$4`: its own (`owner_id = $1`) and
/// the shared ones (`owner_id = 0`) it has no private copy of. With `$1 = 0` that is
/// the shared series. The cursor is a range on the primary key (symbol, timeframe,
/// owner, chunk) and the grouping and order follow it, so the database seeks to the
/// cursor and stops after the page: no sort, no scan of the series before or after.
/// At most one owner of a symbol and timeframe survives the filter, so the order by
/// symbol and timeframe is total.
const LIST_VISIBLE: &str = "SELECT symbol, timeframe, owner_id, \
       CAST(SUM(n_bars) AS BIGINT) AS n, MIN(first_ts_ns) AS first, MAX(last_ts_ns) AS last \
     FROM bar_chunks c \
     WHERE symbol >= $2 AND (symbol > $2 OR timeframe > $3) \
       AND (owner_id = $1 OR (owner_id = 0 AND NOT EXISTS (SELECT 1 FROM bar_chunks p \
         WHERE p.owner_id = $1 AND p.symbol = c.symbol AND p.timeframe = c.timeframe))) \
     GROUP BY symbol, timeframe, owner_id \
     ORDER BY symbol, timeframe, owner_id LIMIT $4";

impl Bars<'_> {
    /// A page of the shared series (an admin's imports), by symbol then timeframe,
    /// with bar counts and time ranges ([`Bars::list_series_for`] lists what a user
    /// sees).
    pub async fn list_series(
        &self,
        page: PageRequest<SeriesCursor>,
    ) -> Result<Page<SeriesInfo, SeriesCursor>> {
        self.list_visible(SHARED_OWNER, page).await
    }

    /// A page of the series `viewer` sees, by symbol then timeframe: their private
    /// series and the shared ones they have no private copy of (another user's
    /// uploads never). `page.after` is the [`SeriesCursor`] of the previous page's
    /// last series.
    #[tracing::instrument(name = "store.bars.list_series_for", skip(self, page), fields(user = viewer.0))]
    pub async fn list_series_for(
        &self,
        viewer: UserId,
        page: PageRequest<SeriesCursor>,
    ) -> Result<Page<SeriesInfo, SeriesCursor>> {
        self.list_visible(viewer.0, page).await
    }

    /// A page of [`LIST_VISIBLE`] for `viewer` (an owner id; [`SHARED_OWNER`] for the
    /// shared series alone).
    async fn list_visible(
        &self,
        viewer: i64,
        page: PageRequest<SeriesCursor>,
    ) -> Result<Page<SeriesInfo, SeriesCursor>> {
        let limit = page.fetch_limit()?;
        let (after_symbol, after_timeframe) = page
            .after
            .as_ref()
            .map(|c| (c.symbol.as_str().to_string(), c.timeframe.to_string()))
            .unwrap_or_default();
        let series: Vec<SeriesInfo> = with_pool!(self.store, p => {
            let rows = sqlx::query(LIST_VISIBLE)
                .bind(viewer)
                .bind(after_symbol)
                .bind(after_timeframe)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter().map(|r| series_info(r, r.i64("owner_id")?)).collect::<Result<_>>()?
        });
        Ok(Page::from_fetched(series, page.limit, SeriesCursor::of))
    }
}

/// A [`SeriesInfo`] from a row with `symbol`, `timeframe`, `n`, `first` and `last`,
/// stored under `owner`.
pub(super) fn series_info(r: &impl RowExt, owner: i64) -> Result<SeriesInfo> {
    Ok(SeriesInfo {
        symbol: r.parse("symbol")?,
        timeframe: r
            .text("timeframe")?
            .parse()
            .map_err(|e: TimeframeError| StoreError::invalid("stored timeframe", e.to_string()))?,
        bars: r.i64("n")?,
        first: r.ts("first")?,
        last: r.ts("last")?,
        owner: (owner != SHARED_OWNER).then_some(UserId(owner)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_writes() {
        let c: SeriesCursor = "BRK.B@15m".parse().unwrap();
        assert_eq!(c.symbol.as_str(), "BRK.B");
        assert_eq!(c.timeframe, Timeframe::from_secs(900).unwrap());
        assert_eq!(c.to_string(), "BRK.B@15m");
        assert_eq!(
            " BTC/USD@1d ".parse::<SeriesCursor>().unwrap().to_string(),
            "BTC/USD@1d"
        );
    }

    #[test]
    fn a_cursor_without_symbol_or_timeframe_is_refused_naming_the_text() {
        assert_eq!(
            "SPY".parse::<SeriesCursor>().unwrap_err().to_string(),
            "\"SPY\" is not a series cursor: write SYMBOL@TIMEFRAME, e.g. SPY@1d (the \
             next_after of the previous page)"
        );
        assert!(matches!(
            "@1d".parse::<SeriesCursor>(),
            Err(SeriesCursorError::Symbol { .. })
        ));
        let e = "SPY@fortnight".parse::<SeriesCursor>().unwrap_err();
        assert!(matches!(e, SeriesCursorError::Timeframe { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("series cursor \"SPY@fortnight\": ")
        );
    }
}
