//! The in-process backend: the budget lives in this process only (today's behaviour, and
//! the fallback of the shared backends). Times are tokio's (paused in tests).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::BoxFuture;
use seedance_core::rules::RateLimit;
use tokio::time::Instant;

use super::backend::{Backend, BackendResult, Pool, Slot, Ticket, Verdict, WaitReason};
use super::usage::PoolUsage;

#[derive(Debug, Default)]
struct State {
    in_flight: u32,
    /// When the slots of finished requests become free again.
    releases: BinaryHeap<Reverse<Instant>>,
    paused_until: Option<Instant>,
}

impl State {
    fn prune(&mut self, now: Instant) {
        while self.releases.peek().is_some_and(|Reverse(t)| *t <= now) {
            self.releases.pop();
        }
    }
}

/// The budgets of one process.
#[derive(Debug, Default)]
pub(crate) struct Local {
    pools: [Mutex<State>; 2],
}

impl Local {
    pub(crate) fn new() -> Local {
        Local::default()
    }

    fn lock(&self, pool: Pool) -> MutexGuard<'_, State> {
        self.pools[pool.index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn try_now(&self, pool: Pool, limit: RateLimit) -> Verdict {
        let mut s = self.lock(pool);
        let now = Instant::now();
        s.prune(now);
        if let Some(p) = s.paused_until.filter(|p| *p > now) {
            return Verdict::Wait {
                retry_in: p - now,
                why: WaitReason::Paused,
            };
        }
        let used = s.in_flight + u32::try_from(s.releases.len()).unwrap_or(u32::MAX);
        if used < limit.requests {
            s.in_flight += 1;
            return Verdict::Granted(Slot { id: 0, via: 0 });
        }
        // Full: the earliest release, or (all in flight) a completion, which wakes us.
        let retry_in = s
            .releases
            .peek()
            .map_or(limit.window.max(Duration::from_secs(1)), |Reverse(t)| {
                *t - now
            });
        Verdict::Wait {
            retry_in,
            why: WaitReason::Full {
                used,
                limit: limit.requests,
            },
        }
    }
}

impl Backend for Local {
    fn describe(&self) -> String {
        "in-process".to_owned()
    }

    fn try_acquire<'a>(
        &'a self,
        pool: Pool,
        limit: RateLimit,
        _ticket: &'a mut Ticket,
    ) -> BoxFuture<'a, BackendResult<Verdict>> {
        let v = self.try_now(pool, limit);
        Box::pin(async move { Ok(v) })
    }

    fn release(&self, pool: Pool, _slot: Slot, sent: bool, hold: Duration) {
        let mut s = self.lock(pool);
        s.in_flight = s.in_flight.saturating_sub(1);
        if sent {
            s.releases
                .push(Reverse(crate::backoff::instant_after(hold)));
        }
    }

    fn leave(&self, _pool: Pool, _ticket: u64) {}

    fn pause(&self, pool: Pool, d: Duration) {
        let until = crate::backoff::instant_after(d);
        let mut s = self.lock(pool);
        if s.paused_until.is_none_or(|p| p < until) {
            s.paused_until = Some(until);
        }
    }

    fn seed(&self, pool: Pool, holds: &[Duration]) {
        let mut s = self.lock(pool);
        for d in holds {
            s.releases.push(Reverse(crate::backoff::instant_after(*d)));
        }
    }

    fn usage(&self, pool: Pool, limit: RateLimit) -> BoxFuture<'_, BackendResult<PoolUsage>> {
        let u = {
            let mut s = self.lock(pool);
            let now = Instant::now();
            s.prune(now);
            let in_window = u32::try_from(s.releases.len()).unwrap_or(u32::MAX);
            let full = s.in_flight + in_window >= limit.requests;
            PoolUsage {
                limit,
                in_flight: s.in_flight,
                in_window,
                next_free_in: if full {
                    s.releases.peek().map(|Reverse(t)| *t - now)
                } else {
                    None
                },
                paused_for: s.paused_until.filter(|p| *p > now).map(|p| p - now),
                waiting: 0,
            }
        };
        Box::pin(async move { Ok(u) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Budget;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_limit_per_window() {
        let b = Budget::new(RateLimit::new(3, Duration::from_secs(10)));
        let start = Instant::now();
        let mut admitted_at = Vec::new();
        for _ in 0..9 {
            let mut p = b.acquire().await;
            p.sending();
            admitted_at.push(Instant::now() - start);
            // a request with 1 s of latency
            tokio::time::sleep(Duration::from_secs(1)).await;
            drop(p);
        }
        // any window of 10 s holds at most 3 admissions, even counting latency
        for (i, t) in admitted_at.iter().enumerate() {
            let in_window = admitted_at
                .iter()
                .filter(|u| **u >= *t && **u < *t + Duration::from_secs(11))
                .count();
            assert!(in_window <= 3, "at {i}: {admitted_at:?}");
        }
        // and it is not needlessly slow: the 4th request waits for one window after the
        // 1st response (1 s latency + 10 s + margin)
        assert!(admitted_at[3] >= Duration::from_secs(11));
        assert!(
            admitted_at[3] < Duration::from_millis(11_300),
            "{admitted_at:?}"
        );
        assert_eq!(b.admitted(), 9);
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_requests_hold_their_slot() {
        let b = Budget::new(RateLimit::new(2, Duration::from_secs(5)));
        let mut p1 = b.acquire().await;
        p1.sending();
        let mut p2 = b.acquire().await;
        p2.sending();
        let b2 = Arc::clone(&b);
        let waiter = tokio::spawn(async move {
            let t = Instant::now();
            let _p = b2.acquire().await;
            Instant::now() - t
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(!waiter.is_finished(), "both slots are in flight");
        drop(p1);
        let waited = waiter.await.unwrap();
        assert!(waited >= Duration::from_secs(35), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn pause_stops_everything_until_retry_after() {
        let b = Budget::new(RateLimit::new(100, Duration::from_secs(60)));
        let t0 = Instant::now();
        b.pause_until(t0 + Duration::from_secs(36));
        let _p = b.acquire().await;
        assert_eq!(Instant::now() - t0, Duration::from_secs(36));
        // a shorter pause never shortens a longer one
        b.pause_until(Instant::now() + Duration::from_secs(10));
        b.pause_until(Instant::now() + Duration::from_secs(2));
        let t1 = Instant::now();
        let _q = b.acquire().await;
        assert_eq!(Instant::now() - t1, Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn shared_by_concurrent_users() {
        let b = Budget::new(RateLimit::new(5, Duration::from_secs(1)));
        let t0 = Instant::now();
        let mut handles = Vec::new();
        for _ in 0..20 {
            let b = Arc::clone(&b);
            handles.push(tokio::spawn(async move {
                b.acquire().await.sending();
                Instant::now() - t0
            }));
        }
        let mut times = Vec::new();
        for h in handles {
            times.push(h.await.unwrap());
        }
        times.sort();
        // 20 requests at 5 per (1 s + margin): the last waits three full windows
        assert!(times[19] >= Duration::from_secs(3), "{times:?}");
        for w in times.windows(6) {
            assert!(w[5] - w[0] >= Duration::from_secs(1), "{times:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_given_back_unsent_starts_no_window() {
        let b = Budget::new(RateLimit::new(1, Duration::from_secs(60)));
        let t0 = Instant::now();
        // taken, then dropped before sending (cancelled while waiting for another budget)
        drop(b.acquire().await);
        // taken, "sent", then the connection was refused: nothing reached the server
        let mut p = b.acquire().await;
        p.sending();
        p.not_sent();
        drop(p);
        let mut p = b.acquire().await;
        assert_eq!(Instant::now(), t0, "no window was started");
        p.sending();
        drop(p);
        let _next = b.acquire().await;
        assert!(
            Instant::now() - t0 >= Duration::from_secs(60),
            "a sent one holds it"
        );
        assert_eq!(b.admitted(), 2, "only requests that left are counted");
    }

    /// Issue 12, fairness inside a process: waiters are served in the order they came,
    /// whatever they are (the poller's one waiter, submits of a batch, a single generate).
    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_in_order() {
        let b = Budget::new(RateLimit::new(1, Duration::from_secs(1)));
        let mut first = b.acquire().await;
        first.sending();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..8 {
            let (b, order) = (Arc::clone(&b), Arc::clone(&order));
            handles.push(tokio::spawn(async move {
                let mut p = b.acquire().await;
                p.sending();
                order.lock().unwrap().push(i);
            }));
            // let waiter i queue before waiter i + 1 arrives
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(first);
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());
    }
}
