-- Decisions, orders, fills and run events stored in chunks: one row per kind and
-- appended batch holds the batch's rows as a versioned little-endian blob (layout in
-- src/audit/chunks.rs). The row tables `decisions`, `orders`, `fills` and
-- `run_events` stay (empty): at every open, rows found in them are converted into
-- chunks in one transaction and deleted.
CREATE TABLE audit_chunks (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          BIGINT  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind            TEXT    COLLATE "C" NOT NULL CHECK (kind IN ('decision', 'order', 'fill', 'event')),
    first_key       BIGINT,
    last_key        BIGINT,
    n               BIGINT  NOT NULL CHECK (n > 0),
    n_rows          BIGINT  NOT NULL CHECK (n_rows >= 0),
    data            BYTEA   NOT NULL
);
-- Blobs are already compact binary: skip TOAST compression attempts.
ALTER TABLE audit_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX audit_chunks_run ON audit_chunks (run_id, kind, id);
