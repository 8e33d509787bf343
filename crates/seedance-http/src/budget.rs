//! The client-side request budget (Promise 2): a conservative sliding window shared by
//! every request of every clone of a client.
//!
//! A slot is taken before a request is sent and is held until one window (plus a small
//! margin) after its response arrived. A slot given back before anything was sent
//! (cancelled while waiting for another budget, connection refused) starts no window. The server counts the request at
//! some instant between those two, so any two requests that reuse a slot arrive at least
//! one window apart, and no window of the server's clock can ever see more than `limit`
//! of our requests, whatever the latency. A 429 caused elsewhere pauses the whole budget
//! until its `Retry-After`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Requests per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests…
    pub requests: u32,
    /// …per this window.
    pub window: Duration,
}

impl RateLimit {
    /// `requests` per `window`.
    pub fn new(requests: u32, window: Duration) -> Self {
        RateLimit { requests, window }
    }
}

#[derive(Debug)]
struct State {
    in_flight: u32,
    /// When the slots of finished requests become free again.
    releases: BinaryHeap<Reverse<Instant>>,
    paused_until: Option<Instant>,
    /// Requests admitted so far (for tests and benchmarks).
    admitted: u64,
}

/// A shared sliding-window budget.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: RateLimit,
    margin: Duration,
    state: Mutex<State>,
    notify: Notify,
}

/// One admitted request. Dropping it starts the slot's window when the request was
/// (maybe) sent ([`Permit::sending`]), and frees the slot at once otherwise.
#[derive(Debug)]
pub(crate) struct Permit {
    budget: Arc<Budget>,
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
        self.budget.release(self.used);
    }
}

impl Budget {
    pub(crate) fn new(limit: RateLimit) -> Arc<Budget> {
        // A margin against the server's window boundary and timer granularity.
        let margin = limit.window / 100 + Duration::from_millis(5);
        Arc::new(Budget {
            limit,
            margin,
            state: Mutex::new(State {
                in_flight: 0,
                releases: BinaryHeap::new(),
                paused_until: None,
                admitted: 0,
            }),
            notify: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Waits for a free slot (and for any pause to end), then takes it.
    pub(crate) async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            let notified = self.notify.notified();
            let wake_at = {
                let mut s = self.lock();
                let now = Instant::now();
                while s.releases.peek().is_some_and(|Reverse(t)| *t <= now) {
                    s.releases.pop();
                }
                match s.paused_until {
                    Some(p) if p > now => Some(p),
                    _ => {
                        let used = s.in_flight as usize + s.releases.len();
                        if used < self.limit.requests as usize {
                            s.in_flight += 1;
                            s.admitted += 1;
                            return Permit {
                                budget: Arc::clone(self),
                                used: false,
                            };
                        }
                        // Full: the earliest release, or (all in flight) a completion.
                        s.releases.peek().map(|Reverse(t)| *t)
                    }
                }
            };
            match wake_at {
                Some(t) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(t) => {}
                        _ = notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    fn release(&self, used: bool) {
        {
            let mut s = self.lock();
            s.in_flight = s.in_flight.saturating_sub(1);
            if used {
                let free_at =
                    crate::backoff::instant_after(self.limit.window.saturating_add(self.margin));
                s.releases.push(Reverse(free_at));
            } else {
                s.admitted = s.admitted.saturating_sub(1);
            }
        }
        self.notify.notify_waiters();
    }

    /// Pauses every request until `until` (a 429 caused elsewhere).
    pub(crate) fn pause_until(&self, until: Instant) {
        {
            let mut s = self.lock();
            if s.paused_until.is_none_or(|p| p < until) {
                s.paused_until = Some(until);
            }
        }
        self.notify.notify_waiters();
    }

    /// Requests admitted since creation.
    pub(crate) fn admitted(&self) -> u64 {
        self.lock().admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
