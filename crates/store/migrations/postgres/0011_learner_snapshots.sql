-- Snapshots of an online learner's state (issue 20): weights, scalers, calibration
-- and counts, saved every N bars of a run and at its end, numbered 1, 2, … per run.
-- A snapshot belongs to its run (and through it to the run's owner); deleting the
-- run deletes its snapshots. `state` is the learner's JSON as written (text, so its
-- floating-point numbers come back bit for bit and a warm start continues exactly).
CREATE TABLE IF NOT EXISTS learner_snapshots (
    run_id        BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL,
    -- Time of the last bar the learner took (NULL: none yet).
    bar_ts_ns     BIGINT,
    -- Bars the learner had taken (over all symbols, warm start included).
    bars          BIGINT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    state         TEXT    NOT NULL,
    created_at_ns BIGINT NOT NULL,
    PRIMARY KEY (run_id, version)
);
