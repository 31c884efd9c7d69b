//! Keyset paging of lists: a limit and the id of the last row of the previous page.
//!
//! Every list a user can grow without bound is read a page at a time, so a listing
//! costs the page, not the table. The cursor is the id of the last row already seen
//! (`next_after` of the previous [`Page`]); a list keeps its own order (models by
//! name, runs newest first) and continues after that row in it.

use crate::error::{Result, StoreError};

/// Rows a page holds when the caller does not say.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// Most rows one page may hold.
pub const MAX_PAGE_LIMIT: u32 = 1000;

/// Which page of a list to read: at most `limit` rows, after the row `after` (the first
/// page when `None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest<C> {
    /// Most rows to return, 1 to [`MAX_PAGE_LIMIT`].
    pub limit: u32,
    /// Id of the last row of the previous page.
    pub after: Option<C>,
}

impl<C> Default for PageRequest<C> {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_PAGE_LIMIT,
            after: None,
        }
    }
}

impl<C> PageRequest<C> {
    /// The first page of at most `limit` rows.
    pub fn first(limit: u32) -> Self {
        PageRequest { limit, after: None }
    }

    /// The page of at most `limit` rows after the row `after`.
    pub fn after(limit: u32, after: C) -> Self {
        PageRequest {
            limit,
            after: Some(after),
        }
    }

    /// The largest page: for callers that need a short list whole (names in a hint).
    pub fn max() -> Self {
        PageRequest::first(MAX_PAGE_LIMIT)
    }

    /// The limit as SQL binds it, plus one row to tell whether a next page exists.
    /// A limit of 0 or above [`MAX_PAGE_LIMIT`] is [`StoreError::InvalidData`].
    pub(crate) fn fetch_limit(&self) -> Result<i64> {
        if self.limit == 0 || self.limit > MAX_PAGE_LIMIT {
            return Err(StoreError::invalid(
                "page limit",
                format!(
                    "{} is outside 1..={MAX_PAGE_LIMIT}; ask for fewer rows and page on \
                     with the cursor of each page",
                    self.limit
                ),
            ));
        }
        Ok(i64::from(self.limit) + 1)
    }
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T, C> {
    /// The rows, in the list's order.
    pub items: Vec<T>,
    /// The cursor of the next page (`after` of its request); `None` on the last page.
    pub next_after: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page from rows fetched with [`PageRequest::fetch_limit`]: the extra row, if
    /// any, is dropped and says a next page exists.
    pub(crate) fn from_fetched(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> C) -> Self {
        let limit = limit as usize;
        let next_after = if items.len() > limit {
            items.truncate(limit);
            items.last().map(id)
        } else {
            None
        };
        Page { items, next_after }
    }
}
