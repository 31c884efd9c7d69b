-- tradelab schema v1 (PostgreSQL). Times are UTC nanoseconds since the Unix epoch (BIGINT).
-- Ledger values (money, prices, quantities) are exact decimal TEXT, never REAL.
-- JSON documents are JSONB. Market data (bar prices) is DOUBLE PRECISION.

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    password_hash   TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    display_name    TEXT    NOT NULL,
    created_at_ns   BIGINT  NOT NULL,
    updated_at_ns   BIGINT  NOT NULL
);

CREATE TABLE models (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id        BIGINT  NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    decider         JSONB   NOT NULL,
    initial_cash    TEXT    NOT NULL,
    allowed_symbols JSONB   NOT NULL,
    rules_text      TEXT    NOT NULL,
    instructions    TEXT    NOT NULL,
    fill_model      JSONB   NOT NULL,
    runs_created    BIGINT  NOT NULL DEFAULT 0,
    created_at_ns   BIGINT  NOT NULL,
    updated_at_ns   BIGINT  NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE model_rules (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id        BIGINT  NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    category        TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    params          JSONB   NOT NULL,
    priority        BIGINT  NOT NULL,
    active          BOOLEAN NOT NULL,
    origin          TEXT    NOT NULL CHECK (origin IN ('user', 'analyst', 'system')),
    created_at_ns   BIGINT  NOT NULL,
    updated_at_ns   BIGINT  NOT NULL,
    UNIQUE (model_id, name)
);

CREATE TABLE runs (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id        BIGINT  NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
    run_number      BIGINT  NOT NULL,
    mode            TEXT    NOT NULL CHECK (mode IN ('daily', 'intraday')),
    source          TEXT    NOT NULL CHECK (source IN ('replay', 'live')),
    symbols         JSONB   NOT NULL,
    period_start_ns BIGINT,
    period_end_ns   BIGINT,
    session         TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'stopped',
                                                       'halted', 'failed', 'interrupted')),
    status_reason   TEXT,
    created_at_ns   BIGINT  NOT NULL,
    started_at_ns   BIGINT,
    ended_at_ns     BIGINT,
    snapshot        JSONB   NOT NULL,
    parent_run_id   BIGINT  REFERENCES runs (id) ON DELETE SET NULL,
    summary         JSONB,
    last_event_at_ns BIGINT,
    UNIQUE (model_id, run_number)
);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE decisions (
    run_id          BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq             BIGINT  NOT NULL,
    ts_ns           BIGINT  NOT NULL,
    symbol          TEXT,
    action          TEXT    NOT NULL,
    quantity        TEXT,
    reasoning       TEXT    NOT NULL,
    inputs          JSONB   NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE orders (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    order_id        BIGINT,
    client_order_id TEXT,
    ts_ns           BIGINT  NOT NULL,
    symbol          TEXT    NOT NULL,
    side            TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    order_type      TEXT    NOT NULL CHECK (order_type IN ('market', 'limit', 'stop')),
    limit_price     TEXT,
    stop_price      TEXT,
    qty             TEXT,
    sizing          JSONB   NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('accepted', 'filled', 'cancelled', 'rejected')),
    reject_rule     TEXT,
    reject_reason   TEXT,
    UNIQUE (run_id, order_id)
);

CREATE TABLE fills (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    order_id        BIGINT  NOT NULL,
    ts_ns           BIGINT  NOT NULL,
    symbol          TEXT    NOT NULL,
    side            TEXT    NOT NULL CHECK (side IN ('buy', 'sell')),
    price           TEXT    NOT NULL,
    qty             TEXT    NOT NULL,
    commission      TEXT    NOT NULL,
    slippage        TEXT    NOT NULL
);
CREATE INDEX fills_run ON fills (run_id, ts_ns);

CREATE TABLE equity (
    run_id          BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    ts_ns           BIGINT  NOT NULL,
    equity          TEXT    NOT NULL,
    invested        BOOLEAN NOT NULL,
    PRIMARY KEY (run_id, ts_ns)
);

CREATE TABLE run_events (
    run_id          BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq             BIGINT  NOT NULL,
    ts_ns           BIGINT  NOT NULL,
    kind            TEXT    NOT NULL,
    detail          JSONB   NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE bars (
    symbol          TEXT    COLLATE "C" NOT NULL,
    timeframe       TEXT    COLLATE "C" NOT NULL,
    ts_ns           BIGINT  NOT NULL,
    open             DOUBLE PRECISION   NOT NULL,
    high             DOUBLE PRECISION   NOT NULL,
    low              DOUBLE PRECISION   NOT NULL,
    close            DOUBLE PRECISION   NOT NULL,
    volume           DOUBLE PRECISION   NOT NULL,
    trades          BIGINT,
    vwap            DOUBLE PRECISION,
    PRIMARY KEY (symbol, timeframe, ts_ns)
);

CREATE TABLE global_settings (
    key             TEXT    PRIMARY KEY,
    value           JSONB   NOT NULL,
    updated_at_ns   BIGINT  NOT NULL
);
