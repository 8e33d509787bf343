//! What the budgets report: the use of one budget ([`PoolUsage`]) and of the account's
//! budgets ([`BudgetStatus`]).

use std::time::Duration;

use seedance_core::rules::RateLimit;

/// The use of one budget, as a backend sees it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PoolUsage {
    /// The limit in force.
    pub limit: RateLimit,
    /// Requests in flight (sent or about to be).
    pub in_flight: u32,
    /// Finished requests whose slot is still inside its window.
    pub in_window: u32,
    /// When the next slot frees (`None`: one is free now, or all are in flight).
    pub next_free_in: Option<Duration>,
    /// The rest of a pause after a 429.
    pub paused_for: Option<Duration>,
    /// Processes waiting in the shared queue.
    pub waiting: u32,
}

/// The account's current use of its budgets (see [`crate::Client::budget_status`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BudgetStatus {
    /// The backend answering: `in-process`, `machine-wide (PATH)`, `redis (URL)`.
    pub backend: String,
    /// Why a fallback is in use, when one is.
    pub degraded: Option<String>,
    /// The budget of every request (`None`: off).
    pub requests: Option<PoolUsage>,
    /// The budget of submits with reference media (`None`: off).
    pub media: Option<PoolUsage>,
}
