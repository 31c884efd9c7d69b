-- News items a user imported (`tradelab data import-news`), read point-in-time by
-- the LLM agent's `search_news` tool. News is private to its owner, like private
-- bars: no user reads another's.
--
-- `time` is the RFC 3339 form of `published_ns` (computed, as `run_events.time`);
-- `symbols` the item's symbols joined by ';' ('' for general market news). The same
-- owner, time, headline and source is the same item: a re-import leaves it as stored.
CREATE TABLE news (
    id              INTEGER PRIMARY KEY,
    owner_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    published_ns    INTEGER NOT NULL,
    -- RFC 3339 of published_ns (computed when read, not stored).
    time            TEXT    GENERATED ALWAYS AS (
        strftime('%Y-%m-%dT%H:%M:%S',
                 (published_ns - ((published_ns % 1000000000) + 1000000000) % 1000000000)
                     / 1000000000,
                 'unixepoch')
        || CASE WHEN published_ns % 1000000000 = 0 THEN ''
           ELSE '.' || rtrim(printf('%09d',
                    ((published_ns % 1000000000) + 1000000000) % 1000000000), '0')
           END
        || 'Z') VIRTUAL,
    symbols         TEXT    NOT NULL,
    headline        TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    CONSTRAINT news_item UNIQUE (owner_id, published_ns, headline, source)
);
-- An owner's news newest first (lists) or up to a time (archives).
CREATE INDEX news_owner_time ON news (owner_id, published_ns, id);
