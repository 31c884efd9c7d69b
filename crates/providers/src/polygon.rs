//! Polygon (Massive) aggregates: REST bars paged by next_url.
