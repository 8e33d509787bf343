//! The client-side request budget (Promise 2): a conservative sliding window shared by
//! every request of the account — inside one process, by every process of a machine, or
//! by every machine through Redis.
//!
//! A slot is taken before a request is sent and is held until one window (plus a small
//! margin) after its response arrived. A slot given back before anything was sent
//! (cancelled while waiting for another budget, connection refused) starts no window. The
//! server counts the request at some instant between those two, so any two requests that
//! reuse a slot arrive at least one window apart, and no window of the server's clock can
//! ever see more than `limit` of our requests, whatever the latency. A 429 caused
//! elsewhere pauses the whole budget (every process sharing it) until its `Retry-After`.
//!
//! The front ([`Budget`], in `front`) serves the waiters of one process in order (a fair
//! tokio mutex: FIFO); only its head asks the [`Backend`](backend::Backend), which keeps
//! the shared state: [`local`] (in-process), [`machine`] (a SQLite file in the data dir),
//! [`redis`]. The shared backends queue the heads of every process by ticket, so
//! processes take turns and none starves. A shared backend that fails is replaced by a
//! more local one ([`failover`]) and never blocks work; `open` picks them for a
//! [`BudgetScope`].
//!
//! This module only declares and re-exports: what the backends and the front share
//! (`backend`, `usage`, `shared`, `scope`) sits in leaves below them, none of which uses
//! this module.

mod backend;
pub(crate) mod failover;
mod front;
pub(crate) mod local;
pub(crate) mod machine;
mod open;
pub(crate) mod redis;
mod scope;
mod shared;
mod usage;

pub use scope::BudgetScope;
/// Requests per window: the core's one type ([`seedance_core::rules::RateLimit`]),
/// re-exported here; the spec's limits are `RateLimit::ACCOUNT` and `RateLimit::MEDIA`.
pub use seedance_core::rules::RateLimit;
pub use usage::{BudgetStatus, PoolUsage};

pub(crate) use backend::{BackendError, Pool};
pub(crate) use front::{Budget, Permit};
pub(crate) use open::{account_fingerprint, open_backend};
