//! The bundled sample data, imported as shared series on a server's first start so a
//! new user can build and run a model at once: five US stocks, daily, 2000–2013, and
//! E-mini S&P 500 one-minute bars made from the bundled trades. The files are embedded
//! in the binary (it needs nothing beside it). A marker setting records the import, so
//! data an admin deleted later does not come back at the next start.

use tradelab_core::{BarSeries, Symbol, Timeframe};
use tradelab_data::{CsvOptions, Session, TickOptions};
use tradelab_store::{ImportMode, Store, StoreError};

const STOCKS_NAME: &str = "stocks_daily_2000-2013.csv";
const STOCKS: &[u8] = include_bytes!("../../../data/sample/stocks_daily_2000-2013.csv");
const ES_TICKS_NAME: &str = "es_trades_2013-09-01.csv";
const ES_TICKS: &[u8] = include_bytes!("../../../data/sample/es_trades_2013-09-01.csv");

/// The setting that records the first start's import.
pub const SAMPLE_DATA_SETTING: &str = "sample_data_imported";

/// What the first start imported: one line per series.
#[derive(Debug, Clone, Default)]
pub struct SampleImport {
    /// `(symbol, timeframe, bars)` of each imported series.
    pub series: Vec<(String, String, usize)>,
}

/// Why the sample data could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("bundled sample file {file}: {message}")]
    Sample { file: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports the sample data unless this store already had its first start; `None` when
/// nothing was done.
pub async fn import_on_first_start(store: &Store) -> Result<Option<SampleImport>, SeedError> {
    if store.settings().get(SAMPLE_DATA_SETTING).await?.is_some() {
        return Ok(None);
    }
    let mut report = SampleImport::default();
    let stocks = tradelab_data::parse_bars(STOCKS_NAME, STOCKS, &CsvOptions::default())
        .map_err(|e| sample_error(STOCKS_NAME, e))?;
    for series in &stocks.series {
        import(store, series, Timeframe::DAY, &mut report).await?;
    }
    let ticks =
        tradelab_data::parse_ticks_with_report(ES_TICKS_NAME, ES_TICKS, &TickOptions::default())
            .map_err(|e| sample_error(ES_TICKS_NAME, e))?;
    let minute = Timeframe::MINUTE;
    let bars = tradelab_data::aggregate_ticks(&ticks.ticks, minute, Session::All)
        .into_iter()
        .map(|a| a.bar)
        .collect();
    let symbol = Symbol::new("ES").map_err(|e| sample_error(ES_TICKS_NAME, e))?;
    let es = BarSeries::new(symbol, bars).map_err(|e| sample_error(ES_TICKS_NAME, e))?;
    import(store, &es, minute, &mut report).await?;
    store
        .settings()
        .set(SAMPLE_DATA_SETTING, &serde_json::json!(true))
        .await?;
    Ok(Some(report))
}

async fn import(
    store: &Store,
    series: &BarSeries,
    timeframe: Timeframe,
    report: &mut SampleImport,
) -> Result<(), SeedError> {
    store
        .bars()
        .import_series(series, timeframe, ImportMode::KeepExisting)
        .await?;
    report.series.push((
        series.symbol().to_string(),
        timeframe.to_string(),
        series.bars().len(),
    ));
    Ok(())
}

fn sample_error(file: &'static str, e: impl std::fmt::Display) -> SeedError {
    SeedError::Sample {
        file,
        message: e.to_string(),
    }
}
