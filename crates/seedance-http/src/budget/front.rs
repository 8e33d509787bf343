//! [`Budget`], one budget as this process sees it: its waiters served in order, only
//! the head asking the [`Backend`]; a [`Permit`] per admitted request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use seedance_core::rules::RateLimit;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::backend::{Backend, BackendResult, Pool, Slot, Ticket, Verdict, WaitReason};
use super::usage::PoolUsage;
use crate::events::{Event, EventBus};

/// One budget (requests or media) as this process sees it: FIFO in front of a backend.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: RateLimit,
    pool: Pool,
    backend: Arc<dyn Backend>,
    turn: tokio::sync::Mutex<()>,
    notify: Notify,
    admitted: AtomicU64,
    events: Option<EventBus>,
}

/// One admitted request. Dropping it starts the slot's window when the request was
/// (maybe) sent ([`Permit::sending`]), and frees the slot at once otherwise.
#[derive(Debug)]
pub(crate) struct Permit {
    budget: Arc<Budget>,
    slot: Slot,
    used: bool,
}

impl Permit {
    /// The request is about to leave: from now on the server may count it.
    pub(crate) fn sending(&mut self) {
        self.used = true;
    }

    /// Nothing reached the server after all (connection refused).
    pub(crate) fn not_sent(&mut self) {
        self.used = false;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.budget.release(self.slot, self.used);
    }
}

/// Leaves the shared queue when an acquire is dropped while waiting.
struct QueueGuard<'a> {
    budget: &'a Budget,
    ticket: Ticket,
}

impl Drop for QueueGuard<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            self.budget.backend.leave(self.budget.pool, t);
        }
    }
}

/// Waits this long or more are announced as an event.
const ANNOUNCE_AFTER: Duration = Duration::from_millis(500);

impl Budget {
    pub(crate) fn with_backend(
        limit: RateLimit,
        pool: Pool,
        backend: Arc<dyn Backend>,
        events: Option<EventBus>,
    ) -> Arc<Budget> {
        Arc::new(Budget {
            limit,
            pool,
            backend,
            turn: tokio::sync::Mutex::new(()),
            notify: Notify::new(),
            admitted: AtomicU64::new(0),
            events,
        })
    }

    /// An in-process budget of its own (tests).
    #[cfg(test)]
    pub(crate) fn new(limit: RateLimit) -> Arc<Budget> {
        Budget::with_backend(
            limit,
            Pool::General,
            Arc::new(super::local::Local::new()),
            None,
        )
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    pub(crate) fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Waits for a free slot (and for any pause to end), then takes it. Waiters of this
    /// process are served in order.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Permit {
        let _turn = self.turn.lock().await;
        let mut queue = QueueGuard {
            budget: self,
            ticket: None,
        };
        let mut announced = false;
        let started = Instant::now();
        loop {
            let notified = self.notify.notified();
            let verdict = match self
                .backend
                .try_acquire(self.pool, self.limit, &mut queue.ticket)
                .await
            {
                Ok(v) => v,
                // The failover layer never fails; a bare backend that does is retried.
                Err(e) => {
                    tracing::warn!(error = %e, "request budget unavailable; retrying");
                    Verdict::Wait {
                        retry_in: Duration::from_millis(100),
                        why: WaitReason::Paused,
                    }
                }
            };
            match verdict {
                Verdict::Granted(slot) => {
                    queue.ticket = None;
                    self.admitted.fetch_add(1, Ordering::Relaxed);
                    return Permit {
                        budget: Arc::clone(self),
                        slot,
                        used: false,
                    };
                }
                Verdict::Wait { retry_in, why } => {
                    // The shared backends answer "look again soon" (they cannot wake
                    // us): a wait is also announced once it has lasted long enough.
                    if !announced
                        && (retry_in >= ANNOUNCE_AFTER
                            || started.elapsed() + retry_in >= ANNOUNCE_AFTER)
                    {
                        announced = true;
                        tracing::debug!(pool = self.pool.name(), reason = %why, wait = ?retry_in, "waiting for the budget");
                        if let Some(ev) = &self.events {
                            ev.emit(Event::BudgetWait {
                                budget: self.pool.name(),
                                reason: why.to_string(),
                                wait: retry_in,
                                backend: self.backend.describe(),
                            });
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(retry_in) => {}
                        _ = notified => {}
                    }
                }
            }
        }
    }

    fn release(&self, slot: Slot, used: bool) {
        self.backend
            .release(self.pool, slot, used, self.limit.hold());
        if !used {
            let _ = self
                .admitted
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    Some(n.saturating_sub(1))
                });
        }
        self.notify.notify_waiters();
    }

    /// Pauses every request (of every process sharing the budget) until `until`.
    pub(crate) fn pause_until(&self, until: Instant) {
        let d = until.saturating_duration_since(Instant::now());
        self.backend.pause(self.pool, d);
        self.notify.notify_waiters();
    }

    /// Requests admitted by this process since creation.
    pub(crate) fn admitted(&self) -> u64 {
        self.admitted.load(Ordering::Relaxed)
    }

    /// The current use, from the backend.
    pub(crate) async fn usage(&self) -> BackendResult<PoolUsage> {
        self.backend.usage(self.pool, self.limit).await
    }
}
