-- runs.status gains 'paused': a live run whose market data stopped coming (a provider
-- outage); it goes back to 'running' by itself when data comes back.
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'paused', 'completed', 'stopped', 'halted',
                      'failed', 'interrupted'));

-- The lot step of a symbol (crypto trades in fractions, e.g. 0.00001 BTC), set at
-- import: shared (owner 0, an admin's) or private to a user, the private one first.
CREATE TABLE IF NOT EXISTS symbol_lot_steps (
    owner_id        BIGINT  NOT NULL,
    symbol          TEXT    NOT NULL,
    lot_step        TEXT    NOT NULL,
    updated_at_ns   BIGINT  NOT NULL,
    PRIMARY KEY (owner_id, symbol)
);
