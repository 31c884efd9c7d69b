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
ALTER INDEX run_events_pkey RENAME TO legacy_run_events_pkey;

CREATE TABLE run_events (
    run_id          BIGINT  NOT NULL,
    seq             BIGINT  NOT NULL,
    ts_ns           BIGINT  NOT NULL,
    time            TEXT    NOT NULL,
    kind            TEXT    COLLATE "C" NOT NULL,
    symbol          TEXT    COLLATE "C",
    order_id        BIGINT,
    side            TEXT,
    qty             TEXT,
    price           TEXT,
    action          TEXT,
    status          TEXT,
    rule            TEXT,
    reason          TEXT,
    -- JSON, not JSONB: checked as it comes in, kept as written (converting every
    -- row to JSONB doubled the cost of writing a run).
    payload         JSON    NOT NULL,
    PRIMARY KEY (run_id, seq)
);
-- Keyset pages by kind and by symbol. One partial index per kind of row, each
-- written at its end as a run goes on (one index on (run_id, kind, seq) takes its
-- rows in the middle, at one place per kind, and cost a tenth more to write a run;
-- SQLite, where the partial indexes cost more, has that one index), and one for
-- every other kind. A period needs no index: a trail is in time order,
-- so its rows are a range of seqs, found by a binary search over the key.
CREATE INDEX run_events_decisions ON run_events (run_id, seq) WHERE kind = 'decision';
CREATE INDEX run_events_orders ON run_events (run_id, seq) WHERE kind = 'order';
CREATE INDEX run_events_fills ON run_events (run_id, seq) WHERE kind = 'fill';
CREATE INDEX run_events_other ON run_events (run_id, kind, seq)
    WHERE kind NOT IN ('decision', 'order', 'fill');
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
           FIRST_VALUE(payload ->> 'order_type') OVER placed AS order_type,
           FIRST_VALUE(payload -> 'sizing') OVER placed AS sizing,
           ROW_NUMBER() OVER (PARTITION BY run_id, COALESCE(order_id, -1 - seq)
                              ORDER BY seq DESC) AS newest
    FROM run_events
    WHERE kind IN ('order', 'fill')
    WINDOW placed AS (PARTITION BY run_id, COALESCE(order_id, -1 - seq) ORDER BY seq)
) AS o
WHERE newest = 1 AND placed_kind = 'order';
