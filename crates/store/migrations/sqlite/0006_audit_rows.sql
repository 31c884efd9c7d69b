-- The audit trail as rows: one row of `run_events` per decision, order event
-- (accepted, rejected, cancelled), fill and run event (risk, trade_closed,
-- run_finished, run_failed, data_changed, …), numbered by `seq` in run order (numbers
-- may skip values). Which columns each kind fills: src/audit/table.rs. `time` is the
-- RFC 3339 form of `ts_ns`; quantities and prices are exact decimal text; `payload`
-- is JSON. The equity curve stays in `equity_chunks`.
--
-- Writes are bulk (about 300,000 rows for a 1M-bar run) and the store checks every
-- row before it writes (a run that is open, seqs after the stored ones, times in
-- order, known sides and statuses), so the table has no foreign key or CHECK to test
-- per row. Runs are never deleted; whoever deletes one by hand deletes its rows.
--
-- After this script, in the same transaction, the migration (src/audit/convert.rs)
-- converts every run's audit chunks and legacy audit rows into rows of `run_events`,
-- then drops `audit_chunks`, `decisions`, `orders`, `fills` and `legacy_run_events`.
ALTER TABLE run_events RENAME TO legacy_run_events;

CREATE TABLE run_events (
    run_id          INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    ts_ns           INTEGER NOT NULL,
    -- RFC 3339 of ts_ns (computed when read, not stored).
    time            TEXT    GENERATED ALWAYS AS (
        strftime('%Y-%m-%dT%H:%M:%S',
                 (ts_ns - ((ts_ns % 1000000000) + 1000000000) % 1000000000) / 1000000000,
                 'unixepoch')
        || CASE WHEN ts_ns % 1000000000 = 0 THEN ''
           ELSE '.' || rtrim(printf('%09d', ((ts_ns % 1000000000) + 1000000000) % 1000000000), '0')
           END
        || 'Z') VIRTUAL,
    kind            TEXT    NOT NULL,
    symbol          TEXT,
    order_id        INTEGER,
    side            TEXT,
    qty             TEXT,
    price           TEXT,
    action          TEXT,
    status          TEXT,
    rule            TEXT,
    reason          TEXT,
    payload         TEXT    NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
-- Keyset pages by kind and by symbol (PostgreSQL has one partial index per kind
-- instead: there, one index on (run_id, kind, seq) cost more to write than the
-- table; here the partial indexes cost more). A period needs no index: a trail is
-- in time order, so its rows are a range of seqs, found by a binary search over
-- the key.
CREATE INDEX run_events_kind ON run_events (run_id, kind, seq);
CREATE INDEX run_events_symbol ON run_events (run_id, symbol, seq);

-- Each order's latest state: placed by its first event (seq, time, symbol, side,
-- type, sizing), standing as its latest event says (a fill: filled).
CREATE VIEW run_orders AS
SELECT run_id, order_id, placed_seq, placed_time, symbol, side, order_type, sizing,
       status, qty, rule, reason, last_seq, last_time
FROM (
    SELECT run_id, order_id,
           seq AS last_seq,
           time AS last_time,
           CASE kind WHEN 'fill' THEN 'filled' ELSE status END AS status,
           qty, rule, reason,
           FIRST_VALUE(kind) OVER placed AS placed_kind,
           FIRST_VALUE(seq) OVER placed AS placed_seq,
           FIRST_VALUE(time) OVER placed AS placed_time,
           FIRST_VALUE(symbol) OVER placed AS symbol,
           FIRST_VALUE(side) OVER placed AS side,
           FIRST_VALUE(json_extract(payload, '$.order_type')) OVER placed AS order_type,
           FIRST_VALUE(json_extract(payload, '$.sizing')) OVER placed AS sizing,
           ROW_NUMBER() OVER (PARTITION BY run_id, COALESCE(order_id, -1 - seq)
                              ORDER BY seq DESC) AS newest
    FROM run_events
    WHERE kind IN ('order', 'fill')
    WINDOW placed AS (PARTITION BY run_id, COALESCE(order_id, -1 - seq) ORDER BY seq)
) AS o
WHERE newest = 1 AND placed_kind = 'order';
