//! Yahoo Finance's chart endpoint: daily bars, no key.
