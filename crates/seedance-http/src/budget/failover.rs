//! A shared backend with a more local one behind it: when the shared one fails (Redis
//! unreachable, the budget file unwritable) the fallback takes over at once — seeded with
//! the slots this process spent in the last window, and, for Redis, at a conservative
//! share of the limit (the other machines fall back too; when others were sharing it, the
//! window counts as full for one hold) — with one warning; Redis is
//! probed every few seconds and used again when it answers. Work never blocks on it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::BoxFuture;
use seedance_core::rules::RateLimit;
use tokio::time::Instant;

use super::backend::{Backend, BackendResult, Pool, Slot, Ticket, Verdict};
use super::usage::PoolUsage;
use crate::events::{Event, EventBus};

/// How often a failed primary is tried again.
const PROBE_EVERY: Duration = Duration::from_secs(2);
/// The longest a primary may take to answer before it counts as failed.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
struct State {
    /// Why the primary is not used (`None`: it is).
    down: Option<String>,
    next_probe: Option<Instant>,
    /// When this process's sent slots leave their window, per pool.
    ledger: [Vec<Instant>; 2],
    in_flight: [u32; 2],
    hold: [Duration; 2],
    /// The last limit asked for, per pool (what a full window of others means).
    limit: [Option<RateLimit>; 2],
    /// The places in the queues of the primary and of the fallback, per pool (one head
    /// per pool and process asks at a time).
    tickets: [[Ticket; 2]; 2],
}

/// See the module doc.
#[derive(Debug)]
pub(crate) struct Failover {
    primary: Arc<dyn Backend>,
    fallback: Arc<dyn Backend>,
    /// Whether the fallback gets a share of the limit (machines falling back together)
    /// and the primary is probed again.
    shared_by_machines: bool,
    events: EventBus,
    state: Mutex<State>,
}

impl Failover {
    pub(crate) fn wrap(
        primary: Arc<dyn Backend>,
        fallback: Arc<dyn Backend>,
        shared_by_machines: bool,
        events: EventBus,
    ) -> Arc<dyn Backend> {
        Arc::new(Failover {
            primary,
            fallback,
            shared_by_machines,
            events,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The slots this process holds now, as durations from now (for seeding).
    fn own_holds(s: &mut State, pool: Pool) -> Vec<Duration> {
        let now = Instant::now();
        let i = pool.index();
        s.ledger[i].retain(|t| *t > now);
        let mut v: Vec<Duration> = s.ledger[i].iter().map(|t| *t - now).collect();
        v.extend((0..s.in_flight[i]).map(|_| s.hold[i]));
        v
    }

    fn go_down(&self, why: String) {
        let holds = {
            let mut s = self.lock();
            s.next_probe = Some(Instant::now() + PROBE_EVERY);
            if s.down.is_some() {
                return;
            }
            s.down = Some(why.clone());
            [
                Self::own_holds(&mut s, Pool::General),
                Self::own_holds(&mut s, Pool::Media),
            ]
        };
        let holds = [
            self.with_share_of_others(Pool::General, holds[0].clone()),
            self.with_share_of_others(Pool::Media, holds[1].clone()),
        ];
        self.fallback.seed(Pool::General, &holds[0]);
        self.fallback.seed(Pool::Media, &holds[1]);
        let msg = if self.shared_by_machines {
            format!(
                "{} failed ({why}); using {} at a conservative share until it answers again",
                self.primary.describe(),
                self.fallback.describe()
            )
        } else {
            format!(
                "{} failed ({why}); this process keeps a budget of its own",
                self.primary.describe()
            )
        };
        // the event carries the warning (the CLI shows it once)
        tracing::info!("{msg}");
        self.events.emit(Event::BudgetNotice { message: msg });
    }

    /// Own slots plus this machine's share of every machine's slots as last seen: with
    /// N machines each taking every N-th of them (from the latest), the slots the
    /// machines still count at any instant cover the account's.
    fn with_share_of_others(&self, pool: Pool, mut own: Vec<Duration>) -> Vec<Duration> {
        if !self.shared_by_machines {
            return own;
        }
        let n = usize::try_from(self.primary.peers().max(2)).unwrap_or(2);
        let mut all = self.primary.last_known_holds(pool);
        all.sort();
        let share: Vec<Duration> = all.iter().rev().step_by(n).copied().collect();
        // (own slots may be counted twice: conservative)
        own.extend(share);
        // What the other machines seen sharing it sent since this process last heard from
        // the primary is unknown: count the window as full until one hold from now (a pause
        // of at most one window, after which every slot granted before the failure has left
        // the server's window). The last known holds alone let 3 × 429 through in
        // `redis_stopping_mid_run_loses_no_job` (crates/seedance-cli/tests/budget.rs).
        let others_seen = self.primary.peers() > 1;
        if let Some(limit) = self.lock().limit[pool.index()].filter(|_| others_seen) {
            let full = usize::try_from(limit.requests).unwrap_or(usize::MAX);
            own.extend(std::iter::repeat_n(limit.hold(), full));
        }
        own
    }

    fn come_back(&self) {
        let holds = {
            let mut s = self.lock();
            if s.down.take().is_none() {
                return;
            }
            [
                Self::own_holds(&mut s, Pool::General),
                Self::own_holds(&mut s, Pool::Media),
            ]
        };
        self.primary.seed(Pool::General, &holds[0]);
        self.primary.seed(Pool::Media, &holds[1]);
        let msg = format!("{} answers again: using it", self.primary.describe());
        // the event carries the warning (the CLI shows it once)
        tracing::info!("{msg}");
        self.events.emit(Event::BudgetNotice { message: msg });
    }

    fn fallback_limit(&self, limit: RateLimit) -> RateLimit {
        if !self.shared_by_machines {
            return limit;
        }
        let share = self.primary.peers().max(2);
        RateLimit::new((limit.requests / share).max(1), limit.window)
    }

    fn granted(&self, pool: Pool, limit: RateLimit, v: Verdict, via: u8) -> Verdict {
        match v {
            Verdict::Granted(mut slot) => {
                // one bit per level of failover (they nest: Redis -> machine -> local)
                slot.via = (slot.via << 1) | via;
                let mut s = self.lock();
                s.in_flight[pool.index()] += 1;
                s.hold[pool.index()] = limit.hold();
                Verdict::Granted(slot)
            }
            w => w,
        }
    }

    async fn try_primary(
        &self,
        pool: Pool,
        limit: RateLimit,
        ticket: &mut Ticket,
    ) -> Option<Verdict> {
        match tokio::time::timeout(ANSWER_WITHIN, self.primary.try_acquire(pool, limit, ticket))
            .await
        {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                self.go_down(e.to_string());
                None
            }
            Err(_) => {
                self.go_down(format!("no answer within {ANSWER_WITHIN:?}"));
                None
            }
        }
    }

    /// What the front holds: some ticket while either queue holds one of ours.
    fn outer_ticket(&self, i: usize) -> Ticket {
        let s = self.lock();
        (s.tickets[0][i].is_some() || s.tickets[1][i].is_some()).then_some(1)
    }

    fn is_down(&self) -> bool {
        self.lock().down.is_some()
    }
}

impl Backend for Failover {
    fn describe(&self) -> String {
        match &self.lock().down {
            None => self.primary.describe(),
            Some(_) => format!(
                "{} (fallback for {})",
                self.fallback.describe(),
                self.primary.describe()
            ),
        }
    }

    fn try_acquire<'a>(
        &'a self,
        pool: Pool,
        limit: RateLimit,
        ticket: &'a mut Ticket,
    ) -> BoxFuture<'a, BackendResult<Verdict>> {
        Box::pin(async move {
            let i = pool.index();
            let (probe, was_down) = {
                let mut s = self.lock();
                s.limit[i] = Some(limit);
                match s.down {
                    None => (true, false),
                    Some(_) => (s.next_probe.is_none_or(|t| Instant::now() >= t), true),
                }
            };
            if probe {
                let mut t = self.lock().tickets[0][i];
                let answer = self.try_primary(pool, limit, &mut t).await;
                self.lock().tickets[0][i] = t;
                if let Some(v) = answer {
                    if was_down {
                        self.come_back();
                        let old = self.lock().tickets[1][i].take();
                        if let Some(old) = old {
                            self.fallback.leave(pool, old);
                        }
                    }
                    let v = self.granted(pool, limit, v, 0);
                    *ticket = self.outer_ticket(i);
                    return Ok(v);
                }
                // (a primary that failed forgets its ticket: it lapses there)
                self.lock().tickets[0][i] = None;
            }
            let fl = self.fallback_limit(limit);
            let mut t = self.lock().tickets[1][i];
            let r = self.fallback.try_acquire(pool, fl, &mut t).await;
            self.lock().tickets[1][i] = t;
            *ticket = self.outer_ticket(i);
            r.map(|v| self.granted(pool, limit, v, 1))
        })
    }

    fn release(&self, pool: Pool, slot: Slot, sent: bool, hold: Duration) {
        {
            let mut s = self.lock();
            let i = pool.index();
            s.in_flight[i] = s.in_flight[i].saturating_sub(1);
            if sent {
                let now = Instant::now();
                s.ledger[i].retain(|t| *t > now);
                s.ledger[i].push(now + hold);
            }
        }
        let mine = slot.via & 1;
        let inner = Slot {
            via: slot.via >> 1,
            ..slot
        };
        if mine == 0 {
            self.primary.release(pool, inner, sent, hold);
        } else {
            self.fallback.release(pool, inner, sent, hold);
        }
    }

    fn leave(&self, pool: Pool, _ticket: u64) {
        let [p, f] = {
            let mut s = self.lock();
            let i = pool.index();
            [s.tickets[0][i].take(), s.tickets[1][i].take()]
        };
        if let Some(t) = p {
            self.primary.leave(pool, t);
        }
        if let Some(t) = f {
            self.fallback.leave(pool, t);
        }
    }

    fn pause(&self, pool: Pool, d: Duration) {
        // The fallback learns of every pause (it may take over any time).
        self.fallback.pause(pool, d);
        if !self.is_down() {
            self.primary.pause(pool, d);
        }
    }

    fn seed(&self, pool: Pool, holds: &[Duration]) {
        if self.is_down() {
            self.fallback.seed(pool, holds);
        } else {
            self.primary.seed(pool, holds);
        }
    }

    fn usage(&self, pool: Pool, limit: RateLimit) -> BoxFuture<'_, BackendResult<PoolUsage>> {
        Box::pin(async move {
            if !self.is_down() {
                match tokio::time::timeout(ANSWER_WITHIN, self.primary.usage(pool, limit)).await {
                    Ok(Ok(u)) => return Ok(u),
                    Ok(Err(e)) => self.go_down(e.to_string()),
                    Err(_) => self.go_down(format!("no answer within {ANSWER_WITHIN:?}")),
                }
            }
            self.fallback.usage(pool, self.fallback_limit(limit)).await
        })
    }

    fn degraded(&self) -> Option<String> {
        self.lock()
            .down
            .clone()
            .or_else(|| self.primary.degraded())
            .or_else(|| self.fallback.degraded())
    }

    fn peers(&self) -> u32 {
        self.primary.peers()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::local::Local;
    use crate::budget::machine::Machine;
    use crate::budget::BackendError;

    /// A shared backend that is down.
    #[derive(Debug)]
    struct Down;

    impl Backend for Down {
        fn describe(&self) -> String {
            "down".into()
        }
        fn try_acquire<'a>(
            &'a self,
            _: Pool,
            _: RateLimit,
            _: &'a mut Ticket,
        ) -> BoxFuture<'a, BackendResult<Verdict>> {
            Box::pin(async { Err(BackendError::msg("unreachable")) })
        }
        fn release(&self, _: Pool, _: Slot, _: bool, _: Duration) {
            panic!("a slot went back to a backend that never granted it");
        }
        fn leave(&self, _: Pool, _: u64) {}
        fn pause(&self, _: Pool, _: Duration) {}
        fn seed(&self, _: Pool, _: &[Duration]) {}
        fn usage(&self, _: Pool, _: RateLimit) -> BoxFuture<'_, BackendResult<PoolUsage>> {
            Box::pin(async { Err(BackendError::msg("unreachable")) })
        }
    }

    #[tokio::test]
    async fn nested_fallbacks_give_each_slot_back_where_it_came_from() {
        let dir = tempfile::tempdir().unwrap();
        let machine = Machine::open(dir.path(), "acct").unwrap();
        let events = EventBus::new(Vec::new());
        let mut notices = events.subscribe();
        let inner = Failover::wrap(
            machine.clone(),
            Arc::new(Local::new()),
            false,
            events.clone(),
        );
        let outer = Failover::wrap(Arc::new(Down), inner, true, events);
        let l = RateLimit::new(4, Duration::from_secs(60));
        for _ in 0..2 {
            let v = outer
                .try_acquire(Pool::General, l, &mut None)
                .await
                .unwrap();
            let Verdict::Granted(slot) = v else {
                panic!("{v:?}")
            };
            outer.release(Pool::General, slot, true, l.hold());
        }
        // granted by the machine-wide file (at a share: 4 / 2), and given back there
        let u = machine.usage(Pool::General, l).await.unwrap();
        assert_eq!((u.in_flight, u.in_window), (0, 2), "{u:?}");
        let v = outer
            .try_acquire(Pool::General, l, &mut None)
            .await
            .unwrap();
        assert!(matches!(v, Verdict::Wait { .. }), "{v:?}");
        // warned once
        assert!(matches!(notices.try_recv(), Ok(Event::BudgetNotice { .. })));
        assert!(notices.try_recv().is_err());
        assert!(outer.degraded().is_some());
    }
}
