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
//! The front ([`Budget`]) serves the waiters of one process in order (a fair tokio mutex:
//! FIFO); only its head asks the [`Backend`], which keeps the shared state:
//! [`local`] (in-process), [`machine`] (a SQLite file in the data dir), [`redis`]. The
//! shared backends queue the heads of every process by ticket, so processes take turns
//! and none starves. A shared backend that fails is replaced by a more local one
//! ([`failover`]) and never blocks work.

pub(crate) mod failover;
pub(crate) mod local;
pub(crate) mod machine;
pub(crate) mod redis;

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::events::{Event, EventBus};

/// Requests per window: the core's one type ([`seedance_core::rules::RateLimit`]),
/// re-exported here; the spec's limits are `RateLimit::ACCOUNT` and `RateLimit::MEDIA`.
pub use seedance_core::rules::RateLimit;

/// Where the request budget of the account is kept, i.e. who shares it.
///
/// ```
/// use seedance_http::BudgetScope;
/// assert_eq!(BudgetScope::parse("machine"), Ok(BudgetScope::Machine(None)));
/// assert_eq!(BudgetScope::parse("process"), Ok(BudgetScope::Process));
/// assert_eq!(
///     BudgetScope::parse("redis://10.0.0.5:6379/2"),
///     Ok(BudgetScope::Redis("redis://10.0.0.5:6379/2".into()))
/// );
/// assert!(BudgetScope::parse("memcached://x").is_err());
/// // a password in the URL is never shown
/// let s = BudgetScope::parse("rediss://:hunter2@cache:6380/0").unwrap();
/// assert!(!s.to_string().contains("hunter2"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetScope {
    /// Only this client and its clones (for libraries that opt out of shared state).
    Process,
    /// Every process of this machine using the account: a small SQLite file in this
    /// directory (`None`: the data dir, [`crate::default_data_dir_path`]).
    Machine(Option<PathBuf>),
    /// Every machine using the account: a Redis server (`redis://[:PASSWORD@]HOST:PORT/DB`,
    /// `rediss://` for TLS).
    Redis(String),
}

impl BudgetScope {
    /// `process` (or `in-process`), `machine` (or `machine-wide`), `machine:DIR`,
    /// `redis://…` or `rediss://…`.
    pub fn parse(value: &str) -> Result<BudgetScope, String> {
        let v = value.trim();
        match v {
            "process" | "in-process" | "local" => return Ok(BudgetScope::Process),
            "machine" | "machine-wide" => return Ok(BudgetScope::Machine(None)),
            _ => {}
        }
        if let Some(dir) = v.strip_prefix("machine:") {
            if dir.is_empty() {
                return Err("machine: needs a directory (machine:/var/lib/seedance)".into());
            }
            return Ok(BudgetScope::Machine(Some(PathBuf::from(dir))));
        }
        if v.starts_with("redis://") || v.starts_with("rediss://") {
            let url = url::Url::parse(v).map_err(|e| format!("{:?}: {e}", redact_url(v)))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(format!("{:?} names no host", redact_url(v)));
            }
            return Ok(BudgetScope::Redis(v.to_owned()));
        }
        Err(format!(
            "{:?} is not a budget scope: process, machine, machine:DIR, redis://HOST:PORT/DB or rediss://…",
            redact_url(v)
        ))
    }
}

impl fmt::Display for BudgetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetScope::Process => f.write_str("process"),
            BudgetScope::Machine(None) => f.write_str("machine"),
            BudgetScope::Machine(Some(d)) => write!(f, "machine:{}", d.display()),
            BudgetScope::Redis(u) => f.write_str(&redact_url(u)),
        }
    }
}

impl fmt::Debug for BudgetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BudgetScope({self})")
    }
}

/// A URL without its `user:password@`.
pub(crate) fn redact_url(u: &str) -> String {
    crate::secret::scrub_userinfo(u)
}

/// The account's fingerprint: a hash of the API origin and key (the key itself is never
/// stored nor sent anywhere but the API).
pub(crate) fn account_fingerprint(origin: &str, key: &str) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"seedance-budget\0");
    h.update(origin.as_bytes());
    h.update(b"\0");
    h.update(key.as_bytes());
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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
    /// Which backend of each (nested) [`failover::Failover`] granted it: one bit per
    /// level, the outermost lowest.
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
        Budget::with_backend(limit, Pool::General, Arc::new(local::Local::new()), None)
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

/// The account's backend for `scope`: with its fallbacks (Redis → machine-wide at a
/// conservative share → in-process; machine-wide → in-process).
pub(crate) fn open_backend(
    scope: &BudgetScope,
    fingerprint: &str,
    events: &EventBus,
) -> Arc<dyn Backend> {
    let local = || -> Arc<dyn Backend> { Arc::new(local::Local::new()) };
    let machine = |dir: Option<&PathBuf>| -> Arc<dyn Backend> {
        let dir = dir.cloned().unwrap_or_else(crate::default_data_dir_path);
        match machine::Machine::open(&dir, fingerprint) {
            Ok(m) => failover::Failover::wrap(m, local(), false, events.clone()),
            Err(e) => {
                let msg = format!(
                    "the machine-wide request budget in {} cannot be used ({e}); this process keeps a budget of its own",
                    dir.display()
                );
                tracing::warn!("{msg}");
                events.emit(Event::BudgetNotice { message: msg });
                local()
            }
        }
    };
    match scope {
        BudgetScope::Process => local(),
        BudgetScope::Machine(dir) => machine(dir.as_ref()),
        BudgetScope::Redis(url) => match redis::Redis::open(url, fingerprint, &machine_id()) {
            Ok(r) => {
                let fallback = machine(None);
                failover::Failover::wrap(r, fallback, true, events.clone())
            }
            Err(e) => {
                let msg = format!(
                    "the Redis request budget {} cannot be used ({e}); using the machine-wide one",
                    redact_url(url)
                );
                tracing::warn!("{msg}");
                events.emit(Event::BudgetNotice { message: msg });
                machine(None)
            }
        },
    }
}

/// This machine's name in a shared budget: a hash of its host name and data dir (two
/// data dirs stand in for two machines in tests).
pub(crate) fn machine_id() -> String {
    use sha2::Digest;
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    let mut h = sha2::Sha256::new();
    h.update(host.trim().as_bytes());
    h.update(b"\0");
    h.update(crate::default_data_dir_path().to_string_lossy().as_bytes());
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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
