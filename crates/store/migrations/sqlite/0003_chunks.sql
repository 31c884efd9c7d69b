-- Bars and equity curves stored in chunks: one row holds many points as a versioned
-- little-endian blob (layouts in src/bars.rs and src/audit.rs). The row-per-point
-- tables `bars` and `equity` stay (empty): at every open, rows found in them are
-- converted into chunks in one transaction and deleted.

-- The bars of one series in one UTC day (timeframes below 1d) or one UTC year (1d and
-- longer). `chunk_start_ns` is the start of that day or year.
CREATE TABLE bar_chunks (
    symbol          TEXT    NOT NULL,
    timeframe       TEXT    NOT NULL,
    chunk_start_ns  INTEGER NOT NULL,
    n_bars          INTEGER NOT NULL CHECK (n_bars > 0),
    first_ts_ns     INTEGER NOT NULL,
    last_ts_ns      INTEGER NOT NULL,
    data            BLOB    NOT NULL,
    PRIMARY KEY (symbol, timeframe, chunk_start_ns)
);

-- The equity points of one audit batch of a run.
CREATE TABLE equity_chunks (
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    first_ts_ns     INTEGER NOT NULL,
    last_ts_ns      INTEGER NOT NULL,
    n               INTEGER NOT NULL CHECK (n > 0),
    data            BLOB    NOT NULL,
    PRIMARY KEY (run_id, first_ts_ns)
);
