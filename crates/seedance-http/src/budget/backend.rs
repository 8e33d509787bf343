//! What the front of a budget asks of the shared state ([`Backend`]): the pools, the
//! slots granted, the verdict of one try and why a request waits, a backend's failure.

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;
use seedance_core::rules::RateLimit;

use super::usage::PoolUsage;

/// Which budget of the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pool {
    /// Every request.
    General,
    /// Submits carrying reference media.
    Media,
}

impl Pool {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Pool::General => "requests",
            Pool::Media => "media",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Pool::General => 0,
            Pool::Media => 1,
        }
    }
}

/// A slot granted by a backend (its id there; 0 for the in-process backend).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) id: u64,
    /// Which backend of each (nested) [`Failover`](super::failover::Failover) granted
    /// it: one bit per level, the outermost lowest.
    pub(crate) via: u8,
}

/// Why a request waits.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum WaitReason {
    /// Every slot is in flight or inside its window.
    Full { used: u32, limit: u32 },
    /// A 429 paused the account.
    Paused,
    /// Slots are free but waiters of other processes came first.
    Queued { ahead: u32 },
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitReason::Full { used, limit } => {
                write!(
                    f,
                    "all {limit} slots of the account are in use ({used} held)"
                )
            }
            WaitReason::Paused => f.write_str("the account was rate limited (429): paused"),
            WaitReason::Queued { ahead } => {
                write!(f, "{ahead} request(s) of other processes are first in line")
            }
        }
    }
}

/// A backend's answer to one try.
#[derive(Debug)]
pub(crate) enum Verdict {
    Granted(Slot),
    /// Try again after this long at most (sooner when woken).
    Wait {
        retry_in: Duration,
        why: WaitReason,
    },
}

/// A backend failure (the failover layer handles it): what failed, and the database's or
/// Redis's error.
#[derive(Debug)]
pub(crate) struct BackendError(pub(crate) String, pub(crate) Option<crate::error::Source>);

impl BackendError {
    /// A failure saying `message`, without an underlying error.
    #[cfg(test)]
    pub(crate) fn msg(message: impl Into<String>) -> Self {
        BackendError(message.into(), None)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) type BackendResult<T> = std::result::Result<T, BackendError>;

/// A place in a shared queue (one per waiting process and pool).
pub(crate) type Ticket = Option<u64>;

/// The shared state of an account's budgets. Times are relative (the backend uses its
/// own clock: tokio's, the machine's, or the Redis server's).
pub(crate) trait Backend: Send + Sync + fmt::Debug {
    /// `in-process`, `machine-wide (…)`, `redis (…)`.
    fn describe(&self) -> String;
    /// Takes a slot if one is free and no earlier ticket waits; else registers (or
    /// refreshes) `ticket` in the queue.
    fn try_acquire<'a>(
        &'a self,
        pool: Pool,
        limit: RateLimit,
        ticket: &'a mut Ticket,
    ) -> BoxFuture<'a, BackendResult<Verdict>>;
    /// Gives a slot back: `sent` slots stay taken for `hold`, others free at once.
    fn release(&self, pool: Pool, slot: Slot, sent: bool, hold: Duration);
    /// Leaves the queue (an acquire that was cancelled).
    fn leave(&self, pool: Pool, ticket: u64);
    /// Pauses the pool for everyone.
    fn pause(&self, pool: Pool, d: Duration);
    /// Counts `holds` extra slots, each held for its duration from now (a fallback taking
    /// over the slots spent through another backend).
    fn seed(&self, pool: Pool, holds: &[Duration]);
    /// The current use.
    fn usage(&self, pool: Pool, limit: RateLimit) -> BoxFuture<'_, BackendResult<PoolUsage>>;
    /// Why a fallback is in use, when one is.
    fn degraded(&self) -> Option<String> {
        None
    }
    /// Machines seen sharing the budget recently (Redis; 1 elsewhere).
    fn peers(&self) -> u32 {
        1
    }
    /// The account's slots (every machine's) at the last answer, as durations from now
    /// (Redis; empty elsewhere).
    fn last_known_holds(&self, _pool: Pool) -> Vec<Duration> {
        Vec::new()
    }
}
