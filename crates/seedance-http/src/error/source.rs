//! [`Source`]: the underlying error a typed cause carries (reqwest's, the `io::Error`,
//! rusqlite's), shared.

use std::sync::Arc;

/// An underlying error, shared so that [`Error`](super::Error) stays `Clone` (one outcome
/// delivered to several waiters).
pub(crate) type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A source as `std::error::Error::source` returns it (the error itself, not the `Arc`).
pub(crate) fn as_source(s: Option<&Source>) -> Option<&(dyn std::error::Error + 'static)> {
    s.map(|s| &**s as &(dyn std::error::Error + 'static))
}
