-- Leaner indexes on run_events: writing a run's rows cost about as much in index
-- upkeep as in the rows themselves (five indexes; 90 MB of WAL for a 195,000-row
-- run, 66 MB with these two).
--
-- - The primary key carries each row's kind and symbol, so a page of one kind that
--   is common in a trail (decision, order, fill, trade_closed) or of one symbol is a
--   walk along the key in seq order that skips the other rows without reading them:
--   it costs the page times how rare the kind or symbol is in that run.
-- - Kinds that are rare in a trail (risk, run_finished, run_failed, data_changed,
--   command, decider_failed, …) have an index of their own, so a page of them never
--   walks the whole run.
DROP INDEX run_events_decisions;
DROP INDEX run_events_orders;
DROP INDEX run_events_fills;
DROP INDEX run_events_other;
DROP INDEX run_events_symbol;
ALTER TABLE run_events DROP CONSTRAINT run_events_pkey;
ALTER TABLE run_events ADD CONSTRAINT run_events_pkey PRIMARY KEY (run_id, seq) INCLUDE (kind, symbol);
CREATE INDEX run_events_rare ON run_events (run_id, kind, seq)
    WHERE kind NOT IN ('decision', 'order', 'fill', 'trade_closed');
