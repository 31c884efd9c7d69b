-- Leaner indexes on run_events: each of the two indexes cost about a sixth of the
-- time to write a run.
--
-- - The table is stored in key order (run_id, seq), so a page of one kind that is
--   common in a trail (decision, order, fill, trade_closed) or of one symbol is a
--   walk along the run's rows in seq order that skips the others: it costs the page
--   times how rare the kind or symbol is in that run.
-- - Kinds that are rare in a trail (risk, run_finished, run_failed, data_changed,
--   command, decider_failed, …) have an index of their own, so a page of them never
--   walks the whole run.
DROP INDEX run_events_kind;
DROP INDEX run_events_symbol;
CREATE INDEX run_events_rare ON run_events (run_id, kind, seq)
    WHERE kind NOT IN ('decision', 'order', 'fill', 'trade_closed');
