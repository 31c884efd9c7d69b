-- News items a user imported (`tradelab data import-news`), read point-in-time by
-- the LLM agent's `search_news` tool. News is private to its owner, like private
-- bars: no user reads another's.
--
-- `time` is the RFC 3339 form of `published_ns` (written by the store, as
-- `run_events.time`); `symbols` the item's symbols joined by ';' ('' for general
-- market news). The same owner, time, headline and source is the same item: a
-- re-import leaves it as stored.
CREATE TABLE news (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id        BIGINT  NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    published_ns    BIGINT  NOT NULL,
    time            TEXT    NOT NULL,
    symbols         TEXT    COLLATE "C" NOT NULL,
    headline        TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    CONSTRAINT news_item UNIQUE (owner_id, published_ns, headline, source)
);
-- An owner's news newest first (lists) or up to a time (archives).
CREATE INDEX news_owner_time ON news (owner_id, published_ns, id);
