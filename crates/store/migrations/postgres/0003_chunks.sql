-- Bars and equity curves stored in chunks: one row holds many points as a versioned
-- little-endian blob (layouts in src/bars.rs and src/audit.rs). The row-per-point
-- tables `bars` and `equity` stay (empty): at every open, rows found in them are
-- converted into chunks in one transaction and deleted.

-- The bars of one series in one UTC day (timeframes below 1d) or one UTC year (1d and
-- longer). `chunk_start_ns` is the start of that day or year.
CREATE TABLE bar_chunks (
    symbol          TEXT    COLLATE "C" NOT NULL,
    timeframe       TEXT    COLLATE "C" NOT NULL,
    chunk_start_ns  BIGINT  NOT NULL,
    n_bars          BIGINT  NOT NULL CHECK (n_bars > 0),
    first_ts_ns     BIGINT  NOT NULL,
    last_ts_ns      BIGINT  NOT NULL,
    data            BYTEA   NOT NULL,
    PRIMARY KEY (symbol, timeframe, chunk_start_ns)
);
-- Blobs are already compact binary: skip TOAST compression attempts.
ALTER TABLE bar_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- The equity points of one audit batch of a run.
CREATE TABLE equity_chunks (
    run_id          BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    first_ts_ns     BIGINT  NOT NULL,
    last_ts_ns      BIGINT  NOT NULL,
    n               BIGINT  NOT NULL CHECK (n > 0),
    data            BYTEA   NOT NULL,
    PRIMARY KEY (run_id, first_ts_ns)
);
ALTER TABLE equity_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
