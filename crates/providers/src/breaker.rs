//! A circuit breaker per provider: closed, open after N failures, half-open probe after a cool-down.
