//! An in-memory cache of recent bars for hot symbols, in front of the store.
