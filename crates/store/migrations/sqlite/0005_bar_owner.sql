-- Owned bars and user roles.
--
-- bar_chunks.owner_id: 0 for shared bars (imported by an admin, read by everyone),
-- else the id of the user whose private upload the bars are (read by that user only).
-- The key gains the owner, so a private series never touches the shared one of the
-- same symbol and timeframe. Bars stored before this version are shared.
CREATE TABLE bar_chunks_owned (
    symbol          TEXT    NOT NULL,
    timeframe       TEXT    NOT NULL,
    owner_id        INTEGER NOT NULL DEFAULT 0 CHECK (owner_id >= 0),
    chunk_start_ns  INTEGER NOT NULL,
    n_bars          INTEGER NOT NULL CHECK (n_bars > 0),
    first_ts_ns     INTEGER NOT NULL,
    last_ts_ns      INTEGER NOT NULL,
    data            BLOB    NOT NULL,
    PRIMARY KEY (symbol, timeframe, owner_id, chunk_start_ns)
);
INSERT INTO bar_chunks_owned
    (symbol, timeframe, owner_id, chunk_start_ns, n_bars, first_ts_ns, last_ts_ns, data)
    SELECT symbol, timeframe, 0, chunk_start_ns, n_bars, first_ts_ns, last_ts_ns, data
    FROM bar_chunks;
DROP TABLE bar_chunks;
ALTER TABLE bar_chunks_owned RENAME TO bar_chunks;

-- Every account the CLI's --user created was an admin. Accounts the CLI made (no
-- password: '!') become plain users, except the local default account, which stays
-- the one admin.
UPDATE users SET role = 'user'
    WHERE role = 'admin' AND password_hash = '!' AND email <> 'local@tradelab';
