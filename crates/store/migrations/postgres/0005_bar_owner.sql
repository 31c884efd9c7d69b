-- Owned bars and user roles.
--
-- bar_chunks.owner_id: 0 for shared bars (imported by an admin, read by everyone),
-- else the id of the user whose private upload the bars are (read by that user only).
-- The key gains the owner, so a private series never touches the shared one of the
-- same symbol and timeframe. Bars stored before this version are shared.
ALTER TABLE bar_chunks ADD COLUMN owner_id BIGINT NOT NULL DEFAULT 0 CHECK (owner_id >= 0);
ALTER TABLE bar_chunks DROP CONSTRAINT bar_chunks_pkey;
ALTER TABLE bar_chunks ADD CONSTRAINT bar_chunks_pkey
    PRIMARY KEY (symbol, timeframe, owner_id, chunk_start_ns);

-- Every account the CLI's --user created was an admin. Accounts the CLI made (no
-- password: '!') become plain users, except the local default account, which stays
-- the one admin.
UPDATE users SET role = 'user'
    WHERE role = 'admin' AND password_hash = '!' AND email <> 'local@tradelab';
