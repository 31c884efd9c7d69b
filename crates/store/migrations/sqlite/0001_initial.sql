-- tradelab schema v1 (SQLite). Times are UTC nanoseconds since the Unix epoch (INTEGER).
-- Ledger values (money, prices, quantities) are exact decimal TEXT, never REAL.
-- JSON documents are TEXT. Market data (bar prices) is REAL.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    password_hash   TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    display_name    TEXT    NOT NULL,
    created_at_ns   INTEGER NOT NULL,
    updated_at_ns   INTEGER NOT NULL
);

CREATE TABLE models (
    id              INTEGER PRIMARY KEY,
    owner_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    decider         TEXT    NOT NULL,
    initial_cash    TEXT    NOT NULL,
    allowed_symbols TEXT    NOT NULL,
    rules_text      TEXT    NOT NULL,
    instructions    TEXT    NOT NULL,
    fill_model      TEXT    NOT NULL,
    runs_created    INTEGER NOT NULL DEFAULT 0,
    created_at_ns   INTEGER NOT NULL,
    updated_at_ns   INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE model_rules (
    id              INTEGER PRIMARY KEY,
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    category        TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    params          TEXT    NOT NULL,
    priority        INTEGER NOT NULL,
    active          INTEGER NOT NULL CHECK (active IN (0, 1)),
    origin          TEXT    NOT NULL CHECK (origin IN ('user', 'analyst', 'system')),
    created_at_ns   INTEGER NOT NULL,
    updated_at_ns   INTEGER NOT NULL,
    UNIQUE (model_id, name)
);

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
    run_number      INTEGER NOT NULL,
    mode            TEXT    NOT NULL CHECK (mode IN ('daily', 'intraday')),
    source          TEXT    NOT NULL CHECK (source IN ('replay', 'live')),
    symbols         TEXT    NOT NULL,
    period_start_ns INTEGER,
    period_end_ns   INTEGER,
    session         TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'stopped',
                                                       'halted', 'failed', 'interrupted')),
    status_reason   TEXT,
    created_at_ns   INTEGER NOT NULL,
    started_at_ns   INTEGER,
    ended_at_ns     INTEGER,
    snapshot        TEXT    NOT NULL,
    parent_run_id   INTEGER REFERENCES runs (id) ON DELETE SET NULL,
    summary         TEXT,
    last_event_at_ns INTEGER,
    UNIQUE (model_id, run_number)
);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE decisions (
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    ts_ns           INTEGER NOT NULL,
    symbol          TEXT,
    action          TEXT    NOT NULL,
    quantity        TEXT,
    reasoning       TEXT    NOT NULL,
    inputs          TEXT    NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    order_id        INTEGER,
    client_order_id TEXT,
    ts_ns           INTEGER NOT NULL,
    symbol          TEXT    NOT NULL,
    side            TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type      TEXT    NOT NULL CHECK (order_type IN ('market', 'limit', 'stop')),
    limit_price     TEXT,
    stop_price      TEXT,
    qty             TEXT,
    sizing          TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('accepted', 'filled', 'cancelled', 'rejected')),
    reject_rule     TEXT,
    reject_reason   TEXT,
    UNIQUE (run_id, order_id)
);

CREATE TABLE fills (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    order_id        INTEGER NOT NULL,
    ts_ns           INTEGER NOT NULL,
    symbol          TEXT    NOT NULL,
    side            TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    price           TEXT    NOT NULL,
    qty             TEXT    NOT NULL,
    commission      TEXT    NOT NULL,
    slippage        TEXT    NOT NULL
);
CREATE INDEX fills_run ON fills (run_id, ts_ns);

CREATE TABLE equity (
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    ts_ns           INTEGER NOT NULL,
    equity          TEXT    NOT NULL,
    invested        INTEGER NOT NULL CHECK (invested IN (0, 1)),
    PRIMARY KEY (run_id, ts_ns)
) WITHOUT ROWID;

CREATE TABLE run_events (
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    ts_ns           INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    detail          TEXT    NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE bars (
    symbol          TEXT    NOT NULL,
    timeframe       TEXT    NOT NULL,
    ts_ns           INTEGER NOT NULL,
    open            REAL    NOT NULL,
    high            REAL    NOT NULL,
    low             REAL    NOT NULL,
    close           REAL    NOT NULL,
    volume          REAL    NOT NULL,
    trades          INTEGER,
    vwap            REAL,
    PRIMARY KEY (symbol, timeframe, ts_ns)
) WITHOUT ROWID;

CREATE TABLE global_settings (
    key             TEXT    PRIMARY KEY,
    value           TEXT    NOT NULL,
    updated_at_ns   INTEGER NOT NULL
);
