//! Provider settings: base URLs, the environment variables holding keys, chains per asset class, breaker limits.
