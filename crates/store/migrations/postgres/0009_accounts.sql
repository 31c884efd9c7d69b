-- Accounts of the HTTP service (issue 17): disabled users, login sessions, API keys
-- and the admin audit log.
--
-- Secrets are never stored: a session's token and an API key are kept as the hash
-- the server computes (HMAC-SHA256, 64 hex digits), looked up by equality.

-- When an admin disabled the account (NULL: enabled). A disabled user's sessions
-- and API keys authenticate no one.
ALTER TABLE users ADD COLUMN disabled_at_ns BIGINT NULL;

-- Login sessions: a browser cookie or a bearer token. Logout deletes the row;
-- expired rows are purged by housekeeping.
CREATE TABLE sessions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash      TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    created_at_ns   BIGINT  NOT NULL,
    expires_at_ns   BIGINT  NOT NULL,
    last_used_at_ns BIGINT  NOT NULL
);
-- A user's sessions (revoke all); expired sessions (purge).
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at_ns);

-- API keys a user made for programs. `prefix` is the key's first characters, shown
-- in listings; a revoked key stays listed, with its revocation time.
CREATE TABLE api_keys (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id        BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    prefix          TEXT    NOT NULL,
    key_hash        TEXT    NOT NULL UNIQUE,
    created_at_ns   BIGINT  NOT NULL,
    last_used_at_ns BIGINT,
    revoked_at_ns   BIGINT
);
-- An owner's keys, oldest first.
CREATE INDEX api_keys_owner ON api_keys (owner_id, id);

-- What admins did (disable a user, change a role, …), newest last. `actor_email` is
-- the actor's address when they acted.
CREATE TABLE admin_actions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id        BIGINT  NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    actor_email     TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    target          TEXT,
    detail          JSONB   NOT NULL,
    at_ns           BIGINT  NOT NULL
);
