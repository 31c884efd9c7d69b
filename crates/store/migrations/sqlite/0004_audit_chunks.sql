-- Decisions, orders, fills and run events stored in chunks: one row per kind and
-- appended batch holds the batch's rows as a versioned little-endian blob (layout in
-- src/audit/chunks.rs). The row tables `decisions`, `orders`, `fills` and
-- `run_events` stay (empty): at every open, rows found in them are converted into
-- chunks in one transaction and deleted.
CREATE TABLE audit_chunks (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('decision', 'order', 'fill', 'event')),
    first_key       INTEGER,
    last_key        INTEGER,
    n               INTEGER NOT NULL CHECK (n > 0),
    n_rows          INTEGER NOT NULL CHECK (n_rows >= 0),
    data            BLOB    NOT NULL
);
CREATE INDEX audit_chunks_run ON audit_chunks (run_id, kind, id);
