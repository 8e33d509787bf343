//! What the shared backends (machine-wide, Redis) have in common: how long a lease
//! and a queued ticket live, how often a waiter looks again, times in milliseconds.

use std::time::Duration;

use seedance_core::rules::RateLimit;

/// Milliseconds in a `Duration`, for the shared backends.
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How long a waiting process sleeps at most before looking again (the shared backends
/// cannot wake it).
pub(crate) fn poll_cap(limit: RateLimit) -> Duration {
    (limit.window / 20).clamp(Duration::from_millis(20), Duration::from_secs(1))
}

/// How long a process that stops renewing its lease is taken to be alive (its in-flight
/// slots are then held one window after that). Renewed every third of it.
pub(crate) const HOLDER_TTL: Duration = Duration::from_secs(3);

/// How long a queued ticket lives without being renewed.
pub(crate) const WAITER_TTL: Duration = Duration::from_secs(5);
