//! The machine-wide backend: one small SQLite file in the data dir (`budget.sqlite3`),
//! shared by every process of the machine. Each change is one `BEGIN IMMEDIATE`
//! transaction (SQLite's file lock), so processes never see each other half-way.
//!
//! Crash safety: each process holds a lease (`holders.alive_until`) that it renews every
//! second while it lives. A slot in flight whose holder's lease ran out is treated as
//! sent at the end of the lease and held one window after it, so a process killed while
//! holding slots leaks none and never lets anyone exceed the limit.
//!
//! Fairness: a process whose head waiter finds no slot it may take gets a ticket; a slot
//! goes to a newcomer only when more slots are free than tickets are waiting before it,
//! so processes are served in the order they started waiting.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use seedance_core::rules::RateLimit;

use super::backend::{
    Backend, BackendError, BackendResult, Pool, Slot, Ticket, Verdict, WaitReason,
};
use super::shared::{ms, poll_cap, HOLDER_TTL, WAITER_TTL};
use super::usage::PoolUsage;

/// The file's name in the data dir.
pub(crate) const FILE_NAME: &str = "budget.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS holders (holder INTEGER PRIMARY KEY, alive_until INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS slots (
    scope TEXT NOT NULL, id INTEGER NOT NULL, holder INTEGER NOT NULL,
    held INTEGER NOT NULL, free_at INTEGER, hold_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, id));
CREATE TABLE IF NOT EXISTS waiters (
    ticket INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL,
    holder INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pauses (scope TEXT PRIMARY KEY, until INTEGER NOT NULL);
";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn err(e: rusqlite::Error) -> BackendError {
    BackendError(
        format!("budget database: {e}"),
        Some(std::sync::Arc::new(e)),
    )
}

/// The machine-wide budgets of one account, as one process uses them.
#[derive(Debug)]
pub(crate) struct Machine {
    path: PathBuf,
    fingerprint: String,
    holder: i64,
    conn: Mutex<Connection>,
    heartbeat: std::sync::OnceLock<()>,
    me: Weak<Machine>,
}

impl Machine {
    /// Opens (creates) `dir/budget.sqlite3`. Fails when the directory is not writable.
    pub(crate) fn open(dir: &Path, fingerprint: &str) -> BackendResult<Arc<Machine>> {
        crate::ensure_private_dir(dir).map_err(|e| {
            BackendError(
                format!("cannot create {}: {e}", dir.display()),
                Some(std::sync::Arc::new(e)),
            )
        })?;
        let path = dir.join(FILE_NAME);
        let conn = Connection::open(&path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
        // WAL: readers never block the writer; NORMAL sync is crash-safe in WAL mode.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        let holder = i64::from(fastrand::u32(..)) << 20 | i64::from(std::process::id() & 0xfffff);
        conn.execute(
            "INSERT OR REPLACE INTO holders (holder, alive_until) VALUES (?1, ?2)",
            params![holder, now_ms() + ms(HOLDER_TTL)],
        )
        .map_err(err)?;
        Ok(Arc::new_cyclic(|me| Machine {
            path,
            fingerprint: fingerprint.to_owned(),
            holder,
            conn: Mutex::new(conn),
            heartbeat: std::sync::OnceLock::new(),
            me: me.clone(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn scope(&self, pool: Pool) -> String {
        format!("{}/{}", self.fingerprint, pool.name())
    }

    /// Renews the lease every third of its life while this process holds the backend.
    fn start_heartbeat(&self) {
        self.heartbeat.get_or_init(|| {
            let me = self.me.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    loop {
                        tokio::time::sleep(HOLDER_TTL / 3).await;
                        let Some(m) = me.upgrade() else { return };
                        let conn = m.lock();
                        if let Err(e) = renew(&conn, m.holder, now_ms()) {
                            tracing::debug!(error = %e, "budget lease not renewed");
                        }
                    }
                });
            }
        });
    }

    fn with_tx<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>, i64) -> rusqlite::Result<T>,
    ) -> BackendResult<T> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let now = now_ms();
        renew(&tx, self.holder, now).map_err(err)?;
        let v = f(&tx, now).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(v)
    }

    fn try_now(&self, pool: Pool, limit: RateLimit, ticket: &mut Ticket) -> BackendResult<Verdict> {
        let scope = self.scope(pool);
        let holder = self.holder;
        self.with_tx(|tx, now| {
            expire(tx, now)?;
            let paused: Option<i64> = tx
                .query_row(
                    "SELECT until FROM pauses WHERE scope = ?1 AND until > ?2",
                    params![scope, now],
                    |r| r.get(0),
                )
                .optional()?;
            let used: i64 = tx.query_row(
                "SELECT COUNT(*) FROM slots WHERE scope = ?1",
                params![scope],
                |r| r.get(0),
            )?;
            let free = i64::from(limit.requests) - used;
            let ahead: i64 = match *ticket {
                Some(t) => tx.query_row(
                    "SELECT COUNT(*) FROM waiters WHERE scope = ?1 AND ticket < ?2",
                    params![scope, i64::try_from(t).unwrap_or(i64::MAX)],
                    |r| r.get(0),
                )?,
                None => tx.query_row(
                    "SELECT COUNT(*) FROM waiters WHERE scope = ?1",
                    params![scope],
                    |r| r.get(0),
                )?,
            };
            if paused.is_none() && ahead < free {
                let id = i64::from(fastrand::u32(..)) << 31 | i64::from(fastrand::u32(..) >> 1);
                tx.execute(
                    "INSERT INTO slots (scope, id, holder, held, free_at, hold_ms) VALUES (?1, ?2, ?3, 1, NULL, ?4)",
                    params![scope, id, holder, ms(limit.hold())],
                )?;
                if let Some(t) = ticket.take() {
                    tx.execute(
                        "DELETE FROM waiters WHERE ticket = ?1",
                        params![i64::try_from(t).unwrap_or(i64::MAX)],
                    )?;
                }
                return Ok(Verdict::Granted(Slot {
                    id: u64::try_from(id).unwrap_or(0),
                    via: 0,
                }));
            }
            // Queue (or stay queued: a lapsed ticket keeps its number).
            let expires = now + ms(WAITER_TTL);
            match *ticket {
                Some(t) => {
                    tx.execute(
                        "INSERT OR REPLACE INTO waiters (ticket, scope, holder, expires) VALUES (?1, ?2, ?3, ?4)",
                        params![i64::try_from(t).unwrap_or(i64::MAX), scope, holder, expires],
                    )?;
                }
                None => {
                    tx.execute(
                        "INSERT INTO waiters (scope, holder, expires) VALUES (?1, ?2, ?3)",
                        params![scope, holder, expires],
                    )?;
                    *ticket = u64::try_from(tx.last_insert_rowid()).ok();
                }
            }
            let cap = ms(poll_cap(limit));
            let (retry, why) = if let Some(until) = paused {
                (until - now, WaitReason::Paused)
            } else if free <= 0 {
                let next: Option<i64> = tx.query_row(
                    "SELECT MIN(free_at) FROM slots WHERE scope = ?1 AND held = 0",
                    params![scope],
                    |r| r.get(0),
                )?;
                let wait = next.map_or(cap, |t| (t - now).max(1));
                (
                    wait,
                    WaitReason::Full {
                        used: u32::try_from(used).unwrap_or(u32::MAX),
                        limit: limit.requests,
                    },
                )
            } else {
                (
                    5,
                    WaitReason::Queued {
                        ahead: u32::try_from(ahead).unwrap_or(u32::MAX),
                    },
                )
            };
            // Sleep to the known time, but look again at least every `cap` for what
            // other processes free early (slots given back unsent, dead leases).
            let retry_in = Duration::from_millis(u64::try_from(retry.clamp(1, cap)).unwrap_or(1));
            Ok(Verdict::Wait { retry_in, why })
        })
    }

    fn usage_now(&self, pool: Pool, limit: RateLimit) -> BackendResult<PoolUsage> {
        let scope = self.scope(pool);
        self.with_tx(|tx, now| {
            expire(tx, now)?;
            let (in_flight, in_window, next): (i64, i64, Option<i64>) = tx.query_row(
                "SELECT COALESCE(SUM(held), 0), COALESCE(SUM(1 - held), 0), MIN(free_at) FROM slots WHERE scope = ?1",
                params![scope],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let paused: Option<i64> = tx
                .query_row(
                    "SELECT until FROM pauses WHERE scope = ?1 AND until > ?2",
                    params![scope, now],
                    |r| r.get(0),
                )
                .optional()?;
            let waiting: i64 = tx.query_row(
                "SELECT COUNT(DISTINCT holder) FROM waiters WHERE scope = ?1",
                params![scope],
                |r| r.get(0),
            )?;
            let dur = |m: i64| Duration::from_millis(u64::try_from(m.max(0)).unwrap_or(0));
            let full = in_flight + in_window >= i64::from(limit.requests);
            Ok(PoolUsage {
                limit,
                in_flight: u32::try_from(in_flight).unwrap_or(0),
                in_window: u32::try_from(in_window).unwrap_or(0),
                next_free_in: next.filter(|_| full).map(|t| dur(t - now)),
                paused_for: paused.map(|p| dur(p - now)),
                waiting: u32::try_from(waiting).unwrap_or(0),
            })
        })
    }

    fn log(&self, what: &str, r: BackendResult<()>) {
        if let Err(e) = r {
            tracing::warn!(error = %e, "machine-wide budget: {what} failed");
        }
    }
}

/// Renews this holder's lease.
fn renew(conn: &Connection, holder: i64, now: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO holders (holder, alive_until) VALUES (?1, ?2)",
        params![holder, now + ms(HOLDER_TTL)],
    )?;
    Ok(())
}

/// Slots of dead holders start their window at the end of the lease; finished windows,
/// lapsed tickets and dead holders go.
fn expire(tx: &rusqlite::Transaction<'_>, now: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE slots SET held = 0, free_at = COALESCE(
             (SELECT alive_until FROM holders h WHERE h.holder = slots.holder), ?1) + hold_ms
         WHERE held = 1 AND holder NOT IN (SELECT holder FROM holders WHERE alive_until >= ?1)",
        params![now],
    )?;
    tx.execute("DELETE FROM holders WHERE alive_until < ?1", params![now])?;
    tx.execute(
        "DELETE FROM slots WHERE held = 0 AND free_at <= ?1",
        params![now],
    )?;
    tx.execute("DELETE FROM waiters WHERE expires < ?1", params![now])?;
    Ok(())
}

impl Backend for Machine {
    fn describe(&self) -> String {
        format!("machine-wide ({})", self.path.display())
    }

    fn try_acquire<'a>(
        &'a self,
        pool: Pool,
        limit: RateLimit,
        ticket: &'a mut Ticket,
    ) -> BoxFuture<'a, BackendResult<Verdict>> {
        self.start_heartbeat();
        let v = self.try_now(pool, limit, ticket);
        Box::pin(async move { v })
    }

    fn release(&self, pool: Pool, slot: Slot, sent: bool, hold: Duration) {
        let scope = self.scope(pool);
        let id = i64::try_from(slot.id).unwrap_or(0);
        let r = self.with_tx(|tx, now| {
            if sent {
                tx.execute(
                    "UPDATE slots SET held = 0, free_at = ?3 WHERE scope = ?1 AND id = ?2",
                    params![scope, id, now + ms(hold)],
                )?;
            } else {
                tx.execute(
                    "DELETE FROM slots WHERE scope = ?1 AND id = ?2",
                    params![scope, id],
                )?;
            }
            Ok(())
        });
        self.log("release", r);
    }

    fn leave(&self, _pool: Pool, ticket: u64) {
        let t = i64::try_from(ticket).unwrap_or(i64::MAX);
        let r = self.with_tx(|tx, _| {
            tx.execute("DELETE FROM waiters WHERE ticket = ?1", params![t])?;
            Ok(())
        });
        self.log("leaving the queue", r);
    }

    fn pause(&self, pool: Pool, d: Duration) {
        let scope = self.scope(pool);
        let r = self.with_tx(|tx, now| {
            tx.execute(
                "INSERT INTO pauses (scope, until) VALUES (?1, ?2)
                 ON CONFLICT (scope) DO UPDATE SET until = MAX(until, excluded.until)",
                params![scope, now + ms(d)],
            )?;
            Ok(())
        });
        self.log("pause", r);
    }

    fn seed(&self, pool: Pool, holds: &[Duration]) {
        let scope = self.scope(pool);
        let holder = self.holder;
        let r = self.with_tx(|tx, now| {
            for d in holds {
                let id = i64::from(fastrand::u32(..)) << 31 | i64::from(fastrand::u32(..) >> 1);
                tx.execute(
                    "INSERT OR IGNORE INTO slots (scope, id, holder, held, free_at, hold_ms) VALUES (?1, ?2, ?3, 0, ?4, 0)",
                    params![scope, id, holder, now + ms(*d)],
                )?;
            }
            Ok(())
        });
        self.log("seed", r);
    }

    fn usage(&self, pool: Pool, limit: RateLimit) -> BoxFuture<'_, BackendResult<PoolUsage>> {
        let u = self.usage_now(pool, limit);
        Box::pin(async move { u })
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        // A clean exit: in-flight slots start their window now, the lease goes.
        let conn = self.lock();
        let now = now_ms();
        let _ = conn.execute(
            "UPDATE slots SET held = 0, free_at = ?2 + hold_ms WHERE holder = ?1 AND held = 1",
            params![self.holder, now],
        );
        let _ = conn.execute(
            "DELETE FROM waiters WHERE holder = ?1",
            params![self.holder],
        );
        let _ = conn.execute(
            "DELETE FROM holders WHERE holder = ?1",
            params![self.holder],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(n: u32, secs: u64) -> RateLimit {
        RateLimit::new(n, Duration::from_secs(secs))
    }

    fn granted(v: Verdict) -> Slot {
        match v {
            Verdict::Granted(s) => s,
            Verdict::Wait { why, .. } => panic!("not granted: {why}"),
        }
    }

    #[test]
    fn two_processes_share_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = Machine::open(dir.path(), "acct").unwrap();
        let b = Machine::open(dir.path(), "acct").unwrap();
        let other = Machine::open(dir.path(), "other-account").unwrap();
        let l = limit(2, 60);
        let s1 = granted(a.try_now(Pool::General, l, &mut None).unwrap());
        let _s2 = granted(b.try_now(Pool::General, l, &mut None).unwrap());
        // full for both processes of the account…
        let mut t = None;
        match b.try_now(Pool::General, l, &mut t).unwrap() {
            Verdict::Wait { why, .. } => assert_eq!(why, WaitReason::Full { used: 2, limit: 2 }),
            v => panic!("{v:?}"),
        }
        assert!(t.is_some(), "queued");
        // …not for another account, nor for the media pool
        granted(other.try_now(Pool::General, l, &mut None).unwrap());
        granted(a.try_now(Pool::Media, l, &mut None).unwrap());
        // a slot given back unsent is free at once, and goes to the queued process
        a.release(Pool::General, s1, false, l.hold());
        match a.try_now(Pool::General, l, &mut None).unwrap() {
            Verdict::Wait { why, .. } => assert_eq!(why, WaitReason::Queued { ahead: 1 }),
            v => panic!("{v:?}"),
        }
        let s3 = granted(b.try_now(Pool::General, l, &mut t).unwrap());
        assert!(t.is_none());
        // a sent one holds its window
        b.release(Pool::General, s3, true, l.hold());
        let u = a.usage_now(Pool::General, l).unwrap();
        assert_eq!((u.in_flight, u.in_window), (1, 1));
        assert!(
            u.next_free_in.is_some_and(|d| d > Duration::from_secs(59)),
            "{u:?}"
        );
    }

    #[test]
    fn a_dead_process_leaks_nothing_and_a_pause_is_shared() {
        let dir = tempfile::tempdir().unwrap();
        let a = Machine::open(dir.path(), "acct").unwrap();
        let l = limit(1, 60);
        let _held = granted(a.try_now(Pool::General, l, &mut None).unwrap());
        // the process "dies": its lease is in the past
        {
            let conn = a.lock();
            conn.execute(
                "UPDATE holders SET alive_until = ?1",
                params![now_ms() - 1000],
            )
            .unwrap();
        }
        let b = Machine::open(dir.path(), "acct").unwrap();
        let u = b.usage_now(Pool::General, l).unwrap();
        assert_eq!(
            (u.in_flight, u.in_window),
            (0, 1),
            "released into its window"
        );
        let left = u.next_free_in.unwrap();
        assert!(
            left > Duration::from_secs(58) && left <= Duration::from_secs(61),
            "{left:?}"
        );
        // a 429 seen by one pauses the other
        b.pause(Pool::Media, Duration::from_secs(30));
        let c = Machine::open(dir.path(), "acct").unwrap();
        match c.try_now(Pool::Media, l, &mut None).unwrap() {
            Verdict::Wait { why, .. } => assert_eq!(why, WaitReason::Paused),
            v => panic!("{v:?}"),
        }
        std::mem::forget(a); // never ran its clean exit
    }

    #[test]
    fn a_read_only_dir_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        assert!(Machine::open(&file, "acct").is_err());
    }

    fn queued(v: Verdict) -> WaitReason {
        match v {
            Verdict::Wait { why, .. } => why,
            Verdict::Granted(s) => panic!("granted {s:?}, expected to wait"),
        }
    }

    /// Issue 12, fairness between processes: a batch process with many waiters and an
    /// interactive process with one take turns. Each process queues only its head waiter
    /// (the front serves the rest in order), and a slot goes to the earliest ticket, so
    /// the interactive waiter is served right after the batch's head, never after the
    /// whole batch.
    #[test]
    fn a_batch_cannot_starve_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let batch = Machine::open(dir.path(), "acct").unwrap();
        let interactive = Machine::open(dir.path(), "acct").unwrap();
        let l = limit(1, 60);
        let s0 = granted(batch.try_now(Pool::General, l, &mut None).unwrap());
        // the batch's next head queues first, then the interactive process
        let mut batch_head = None;
        assert!(matches!(
            queued(batch.try_now(Pool::General, l, &mut batch_head).unwrap()),
            WaitReason::Full { .. }
        ));
        let mut single = None;
        queued(interactive.try_now(Pool::General, l, &mut single).unwrap());
        // the slot frees (given back unsent: at once)
        batch.release(Pool::General, s0, false, l.hold());
        // the interactive one may not jump the queue…
        assert_eq!(
            queued(interactive.try_now(Pool::General, l, &mut single).unwrap()),
            WaitReason::Queued { ahead: 1 }
        );
        // …the batch's head is first in line and gets it
        let s1 = granted(batch.try_now(Pool::General, l, &mut batch_head).unwrap());
        batch.release(Pool::General, s1, false, l.hold());
        // the batch's following waiter comes in behind the interactive one
        let mut batch_next = None;
        assert_eq!(
            queued(batch.try_now(Pool::General, l, &mut batch_next).unwrap()),
            WaitReason::Queued { ahead: 1 }
        );
        let s2 = granted(interactive.try_now(Pool::General, l, &mut single).unwrap());
        assert!(single.is_none(), "left the queue when served");
        interactive.release(Pool::General, s2, false, l.hold());
        // and then it is the batch's turn again
        granted(batch.try_now(Pool::General, l, &mut batch_next).unwrap());
    }

    /// Many processes are served in the order they started waiting (FIFO by ticket).
    #[test]
    fn processes_are_served_in_the_order_they_queued() {
        let dir = tempfile::tempdir().unwrap();
        let l = limit(1, 60);
        let procs: Vec<_> = (0..5)
            .map(|_| Machine::open(dir.path(), "acct").unwrap())
            .collect();
        let mut held = granted(procs[0].try_now(Pool::General, l, &mut None).unwrap());
        let mut tickets: Vec<Ticket> = vec![None; 5];
        for (p, t) in procs.iter().zip(tickets.iter_mut()).skip(1) {
            queued(p.try_now(Pool::General, l, t).unwrap());
        }
        let mut served = Vec::new();
        for _ in 1..5 {
            procs[0].release(Pool::General, held, false, l.hold());
            // everyone asks, in reverse order: only the earliest ticket is granted
            let mut winner = None;
            for i in (1..5).rev() {
                if tickets[i].is_none() && served.contains(&i) {
                    continue;
                }
                if let Verdict::Granted(s) =
                    procs[i].try_now(Pool::General, l, &mut tickets[i]).unwrap()
                {
                    assert!(winner.is_none(), "two grants for one slot");
                    winner = Some((i, s));
                }
            }
            let (i, s) = winner.expect("someone is served");
            served.push(i);
            held = s;
        }
        assert_eq!(served, vec![1, 2, 3, 4]);
    }

    /// A wait for the machine-wide budget is announced (the backend only ever says "look
    /// again soon", so the front announces a wait that has lasted half a second).
    #[tokio::test]
    async fn a_long_wait_for_the_machine_budget_is_announced() {
        use crate::budget::Budget;
        use crate::events::{Event, EventBus};
        let dir = tempfile::tempdir().unwrap();
        let m = Machine::open(dir.path(), "acct").unwrap();
        let bus = EventBus::new(Vec::new());
        let mut rx = bus.subscribe();
        let b = Budget::with_backend(limit(1, 1), Pool::General, m, Some(bus));
        let mut p = b.acquire().await;
        p.sending();
        drop(p);
        let _q = b.acquire().await;
        match rx.try_recv() {
            Ok(Event::BudgetWait { backend, .. }) => {
                assert!(backend.starts_with("machine-wide"), "{backend}")
            }
            other => panic!("no BudgetWait: {other:?}"),
        }
    }
}
