-- runs.status gains 'paused': a live run whose market data stopped coming (a provider
-- outage); it goes back to 'running' by itself when data comes back.
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt as the SQLite
-- documentation's "other kinds of table schema changes" procedure says. The migrator
-- runs SQLite scripts with foreign keys off (so dropping the old table does not
-- cascade into the tables that reference runs) and checks them before committing.
CREATE TABLE runs_new (
    id              INTEGER PRIMARY KEY,
    model_id        INTEGER NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
    run_number      INTEGER NOT NULL,
    mode            TEXT    NOT NULL CHECK (mode IN ('daily', 'intraday')),
    source          TEXT    NOT NULL CHECK (source IN ('replay', 'live')),
    symbols         TEXT    NOT NULL,
    period_start_ns INTEGER,
    period_end_ns   INTEGER,
    session         TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'completed',
                                                       'stopped', 'halted', 'failed',
                                                       'interrupted')),
    status_reason   TEXT,
    created_at_ns   INTEGER NOT NULL,
    started_at_ns   INTEGER,
    ended_at_ns     INTEGER,
    snapshot        TEXT    NOT NULL,
    parent_run_id   INTEGER REFERENCES runs (id) ON DELETE SET NULL,
    summary         TEXT,
    last_event_at_ns INTEGER,
    worker          TEXT,
    UNIQUE (model_id, run_number)
);
INSERT INTO runs_new (id, model_id, run_number, mode, source, symbols, period_start_ns,
                      period_end_ns, session, status, status_reason, created_at_ns,
                      started_at_ns, ended_at_ns, snapshot, parent_run_id, summary,
                      last_event_at_ns, worker)
SELECT id, model_id, run_number, mode, source, symbols, period_start_ns, period_end_ns,
       session, status, status_reason, created_at_ns, started_at_ns, ended_at_ns, snapshot,
       parent_run_id, summary, last_event_at_ns, worker
FROM runs;
DROP TABLE runs;
ALTER TABLE runs_new RENAME TO runs;
CREATE INDEX runs_status ON runs (status);

-- The lot step of a symbol (crypto trades in fractions, e.g. 0.00001 BTC), set at
-- import: shared (owner 0, an admin's) or private to a user, the private one first.
CREATE TABLE IF NOT EXISTS symbol_lot_steps (
    owner_id        BIGINT  NOT NULL,
    symbol          TEXT    NOT NULL,
    lot_step        TEXT    NOT NULL,
    updated_at_ns   BIGINT  NOT NULL,
    PRIMARY KEY (owner_id, symbol)
);
