//! The emulator's state: accounts, balances, tasks, idempotency keys, rate windows,
//! faults and counters. One mutex, held only for short synchronous sections (never
//! across an await).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use parking_lot::Mutex;
use seedance_core::{AspectRatio, Channel, QualityTier};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::{builtin_accounts, Account, RateLimit, RuntimeConfig};
use crate::faults::{self, Endpoint, Fault, FaultSlot, Plan};
use crate::render::{Planner, TaskTiming, Timing};
use crate::timefmt::rfc3339_millis;

/// Counters of one account (or of the whole emulator in `total`).
///
/// ```
/// let s = seedance_emulator::Stats::default();
/// assert_eq!(s.tasks_created, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Stats {
    /// API requests (public endpoints) authenticated as the account, including those
    /// answered 429 or with an injected fault. A 401 has no account: it is counted only in
    /// `unauthorized` of the totals.
    pub requests: u64,
    /// Of those, submits (`POST /api/v1/video/seedance2`).
    pub submits: u64,
    /// Of those, task reads (`GET /api/v1/tasks/{id}`).
    pub task_reads: u64,
    /// Tasks created (charged).
    pub tasks_created: u64,
    /// Tasks that reached `completed`.
    pub tasks_completed: u64,
    /// Tasks that reached `failed`.
    pub tasks_failed: u64,
    /// Credits charged for created tasks.
    pub credits_charged: u64,
    /// Credits refunded for failed tasks.
    pub credits_refunded: u64,
    /// The current balance (in `total`: the sum over accounts).
    pub credits_balance: u64,
    /// 429 answers sent (account limit, media limit and injected).
    pub rate_limited: u64,
    /// Of those, 429s of the reference-media limit.
    pub media_rate_limited: u64,
    /// Submits answered by replaying an earlier response (same key, same body).
    pub idempotent_replays: u64,
    /// 409 `idempotency_conflict` answers.
    pub idempotency_conflicts: u64,
    /// 402 `insufficient_credits` answers.
    pub insufficient_credits: u64,
    /// 400 `invalid_request` answers.
    pub invalid_requests: u64,
    /// 401 answers (only in `total`: they have no account).
    pub unauthorized: u64,
    /// 307 redirects sent (only in `total`).
    pub redirects: u64,
    /// Faults injected.
    pub faults_injected: u64,
    /// Requests to the CDN (for an account: to its tasks' outputs).
    pub cdn_requests: u64,
    /// CDN requests that carried an `Authorization` header (must stay 0).
    pub cdn_auth_headers_seen: u64,
}

/// A stored task.
#[derive(Clone, Debug)]
pub(crate) struct TaskRecord {
    pub(crate) id: String,
    pub(crate) account: String,
    pub(crate) tier: QualityTier,
    pub(crate) channel: Channel,
    pub(crate) aspect_ratio: AspectRatio,
    pub(crate) credits_used: u64,
    pub(crate) credits_refunded: u64,
    pub(crate) created_at: SystemTime,
    pub(crate) created: Instant,
    /// From creation to the end (queue + render): `timing.done_after()`.
    pub(crate) render: Duration,
    pub(crate) timing: Timing,
    pub(crate) will_fail: bool,
    pub(crate) seed: i64,
    pub(crate) settled: bool,
}

/// A task's state as seen now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Processing,
    Completed,
    Failed,
}

impl TaskRecord {
    pub(crate) fn phase(&self, now: Instant) -> Phase {
        if now.duration_since(self.created) < self.render {
            Phase::Processing
        } else if self.will_fail {
            Phase::Failed
        } else {
            Phase::Completed
        }
    }

    /// The task's JSON as `GET /api/v1/tasks/{id}` answers it.
    pub(crate) fn to_json(&self, now: Instant, cdn_url: &str) -> Value {
        let phase = self.phase(now);
        let (status, updated, output, error) = match phase {
            Phase::Processing => ("processing", self.created_at, Value::Null, Value::Null),
            Phase::Completed => (
                "completed",
                self.created_at + self.render,
                json!({
                    "video_url": format!("{cdn_url}/v/{}/video.mp4", self.id),
                    "last_frame_url": format!("{cdn_url}/v/{}/last_frame.png", self.id),
                    "seed": self.seed,
                }),
                Value::Null,
            ),
            Phase::Failed => (
                "failed",
                self.created_at + self.render,
                Value::Null,
                json!({
                    "code": "generation_failed",
                    "message": format!(
                        "The video could not be generated (emulated failure); {} credits were refunded.",
                        self.credits_used
                    ),
                }),
            ),
        };
        let refunded = if phase == Phase::Failed {
            self.credits_used
        } else {
            self.credits_refunded
        };
        json!({
            "id": self.id,
            "status": status,
            "model": "seedance2",
            "quality_tier": self.tier.as_str(),
            "channel": self.channel.as_str(),
            "credits_used": self.credits_used,
            "credits_refunded": refunded,
            "output": output,
            "error": error,
            "created_at": rfc3339_millis(self.created_at),
            "updated_at": rfc3339_millis(updated),
        })
    }
}

/// A remembered idempotency key.
#[derive(Clone, Debug)]
pub(crate) struct IdemEntry {
    pub(crate) fingerprint: String,
    pub(crate) at: Instant,
    pub(crate) token: u64,
    /// `None` while the first request is in flight; then the stored answer.
    pub(crate) response: Option<(u16, Bytes)>,
}

#[derive(Debug, Default)]
pub(crate) struct AccountState {
    pub(crate) balance: u64,
    pub(crate) stats: Stats,
    pub(crate) window: VecDeque<Instant>,
    pub(crate) media_window: VecDeque<Instant>,
}

#[derive(Clone, Debug)]
pub(crate) struct KeyEntry {
    pub(crate) account: String,
    pub(crate) revoked: bool,
}

/// The initial settings, restored by reset.
#[derive(Clone, Debug)]
pub(crate) struct Initial {
    pub(crate) accounts: Vec<Account>,
    pub(crate) config: RuntimeConfig,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: RuntimeConfig,
    pub(crate) keys: HashMap<String, KeyEntry>,
    pub(crate) accounts: HashMap<String, AccountState>,
    pub(crate) tasks: HashMap<String, TaskRecord>,
    pub(crate) idem: HashMap<(String, String), IdemEntry>,
    pub(crate) idem_inserts: u64,
    pub(crate) next_token: u64,
    pub(crate) faults: Vec<FaultSlot>,
    pub(crate) total: Stats,
    pub(crate) cdn_auth_headers: Vec<String>,
    pub(crate) planner: Planner,
    pub(crate) planner_seed: Option<u64>,
}

/// Everything shared by the handlers.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) initial: Mutex<Initial>,
}

/// Result of an authentication.
pub(crate) enum Auth {
    Ok(String),
    Missing,
    Invalid,
    Revoked,
}

impl Inner {
    pub(crate) fn new(initial: &Initial) -> Inner {
        let mut inner = Inner {
            config: initial.config.clone(),
            keys: HashMap::new(),
            accounts: HashMap::new(),
            tasks: HashMap::new(),
            idem: HashMap::new(),
            idem_inserts: 0,
            next_token: 1,
            faults: Vec::new(),
            total: Stats::default(),
            cdn_auth_headers: Vec::new(),
            planner: Planner::new(initial.config.render_seed),
            planner_seed: initial.config.render_seed,
        };
        for a in &initial.accounts {
            inner.add_account(a);
        }
        inner
    }

    /// Adds or replaces an account (keys of a replaced account are removed first).
    pub(crate) fn add_account(&mut self, a: &Account) {
        self.keys.retain(|_, k| k.account != a.id);
        for k in &a.keys {
            self.keys.insert(
                k.clone(),
                KeyEntry {
                    account: a.id.clone(),
                    revoked: false,
                },
            );
        }
        for k in &a.revoked_keys {
            self.keys.insert(
                k.clone(),
                KeyEntry {
                    account: a.id.clone(),
                    revoked: true,
                },
            );
        }
        let st = self.accounts.entry(a.id.clone()).or_default();
        st.balance = a.credits;
    }

    pub(crate) fn authenticate(&self, authorization: Option<&str>) -> Auth {
        let Some(h) = authorization else {
            return Auth::Missing;
        };
        let mut parts = h.trim().splitn(2, ' ');
        let scheme = parts.next().unwrap_or("");
        let token = parts.next().unwrap_or("").trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Auth::Invalid;
        }
        match self.keys.get(token) {
            Some(k) if k.revoked => Auth::Revoked,
            Some(k) => Auth::Ok(k.account.clone()),
            None => Auth::Invalid,
        }
    }

    /// Runs `f` on the stats of `account` and on the totals.
    pub(crate) fn bump(&mut self, account: Option<&str>, f: impl Fn(&mut Stats)) {
        f(&mut self.total);
        if let Some(a) = account.and_then(|a| self.accounts.get_mut(a)) {
            f(&mut a.stats);
        }
    }

    pub(crate) fn decide_faults(&mut self, endpoint: Endpoint) -> Plan {
        if self.faults.is_empty() {
            return Plan::default();
        }
        faults::decide(&mut self.faults, endpoint)
    }

    pub(crate) fn inject(&mut self, fault: Fault) {
        self.faults.push(FaultSlot {
            fault,
            seen: 0,
            fired: 0,
        });
    }

    /// Plans the render of a task of `account` created now whose model time (scaled) is
    /// `model`: draws it from the configured spread, queues it when configured.
    pub(crate) fn plan_render(&mut self, account: &str, model: Duration, now: Instant) -> Timing {
        if self.planner_seed != self.config.render_seed {
            self.planner = Planner::new(self.config.render_seed);
            self.planner_seed = self.config.render_seed;
        }
        let (spread, queue) = (&self.config.render_spread, self.config.render_queue);
        self.planner.plan(spread, queue, account, model, now)
    }

    /// Counts a read of task `id` by its owner and notes when one first saw it done.
    pub(crate) fn note_poll(&mut self, id: &str, now: Instant) {
        if let Some(t) = self.tasks.get_mut(id) {
            t.timing.polls += 1;
            if t.timing.first_seen_done.is_none() && t.phase(now) != Phase::Processing {
                t.timing.first_seen_done = Some(now.duration_since(t.created));
            }
        }
    }

    /// The timing records of every task, oldest first.
    pub(crate) fn timings(&self) -> Vec<TaskTiming> {
        let mut list: Vec<&TaskRecord> = self.tasks.values().collect();
        list.sort_by_key(|t| t.created);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        list.into_iter()
            .map(|t| TaskTiming {
                id: t.id.clone(),
                account: t.account.clone(),
                model_ms: ms(t.timing.model),
                render_ms: ms(t.timing.render),
                queued_ms: ms(t.timing.queued),
                done_ms: ms(t.timing.done_after()),
                first_seen_done_ms: t.timing.first_seen_done.map(ms),
                polls: t.timing.polls,
            })
            .collect()
    }

    /// Settles every task whose render time is over (refunds failed ones).
    pub(crate) fn settle_due(&mut self, now: Instant) {
        let due: Vec<String> = self
            .tasks
            .values()
            .filter(|t| !t.settled && t.phase(now) != Phase::Processing)
            .map(|t| t.id.clone())
            .collect();
        for id in due {
            self.settle(&id, now);
        }
    }

    /// Applies a task's end (counters, refund) once, when its render time is over.
    pub(crate) fn settle(&mut self, id: &str, now: Instant) {
        let Some(t) = self.tasks.get_mut(id) else {
            return;
        };
        if t.settled {
            return;
        }
        let phase = t.phase(now);
        if phase == Phase::Processing {
            return;
        }
        t.settled = true;
        let account = t.account.clone();
        if phase == Phase::Failed {
            let refund = t.credits_used;
            t.credits_refunded = refund;
            if let Some(a) = self.accounts.get_mut(&account) {
                a.balance = a.balance.saturating_add(refund);
            }
            self.bump(Some(&account), |s| {
                s.tasks_failed += 1;
                s.credits_refunded += refund;
            });
        } else {
            self.bump(Some(&account), |s| s.tasks_completed += 1);
        }
    }

    pub(crate) fn stats_of(&mut self, account: &str) -> Option<Stats> {
        self.settle_due(Instant::now());
        let a = self.accounts.get(account)?;
        let mut s = a.stats.clone();
        s.credits_balance = a.balance;
        Some(s)
    }

    pub(crate) fn total_stats(&mut self) -> Stats {
        self.settle_due(Instant::now());
        let mut s = self.total.clone();
        s.credits_balance = self.accounts.values().map(|a| a.balance).sum();
        s
    }

    /// Removes expired idempotency keys now and then.
    pub(crate) fn sweep_idempotency(&mut self, now: Instant) {
        self.idem_inserts += 1;
        if self.idem_inserts.is_multiple_of(1024) {
            let keep = self.config.idempotency_retention;
            self.idem
                .retain(|_, e| e.response.is_none() || now.duration_since(e.at) < keep);
        }
    }
}

/// Sliding-window check: admits and records the request, or gives the whole seconds
/// until a slot frees (at least 1).
pub(crate) fn admit(
    window: &mut VecDeque<Instant>,
    limit: &RateLimit,
    now: Instant,
) -> Result<(), u64> {
    while let Some(&first) = window.front() {
        if now.duration_since(first) >= limit.window {
            window.pop_front();
        } else {
            break;
        }
    }
    if (window.len() as u64) < u64::from(limit.requests) {
        window.push_back(now);
        return Ok(());
    }
    // The slot of the request at index len - requests frees first.
    let idx = window.len() - limit.requests as usize;
    let oldest = window.get(idx).copied().unwrap_or(now);
    let wait = match oldest.checked_add(limit.window) {
        Some(frees_at) => frees_at.saturating_duration_since(now).as_secs_f64().ceil() as u64,
        None => u64::MAX,
    };
    Err(wait.max(1))
}

impl Shared {
    pub(crate) fn new(initial: Initial) -> Shared {
        Shared {
            inner: Mutex::new(Inner::new(&initial)),
            initial: Mutex::new(initial),
        }
    }

    pub(crate) fn reset(&self) {
        let initial = self.initial.lock().clone();
        *self.inner.lock() = Inner::new(&initial);
    }
}

/// The accounts the emulator starts with: the built-in ones plus `extra`.
pub(crate) fn initial_accounts(default_credits: u64, extra: Vec<Account>) -> Vec<Account> {
    let mut all = builtin_accounts(default_credits);
    for a in extra {
        all.retain(|b| b.id != a.id);
        all.push(a);
    }
    all
}

/// Canonical JSON (object keys sorted, no whitespace): the body fingerprint.
pub(crate) fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String((*k).clone()).to_string());
                    out.push(':');
                    if let Some(x) = m.get(*k) {
                        write(x, out);
                    }
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(x, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut s = String::new();
    write(v, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_ignores_key_order_and_spacing() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "a" : {"x":"s","y":[1, 2]}, "b":1 }"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(canonical_json(&a), r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
    }

    #[test]
    fn sliding_window_retry_after() {
        let limit = RateLimit::new(2, Duration::from_secs(10));
        let mut w = VecDeque::new();
        let t0 = Instant::now();
        assert!(admit(&mut w, &limit, t0).is_ok());
        assert!(admit(&mut w, &limit, t0 + Duration::from_secs(3)).is_ok());
        // Third at t0+4.5: the first slot frees at t0+10 → 5.5 s → 6.
        assert_eq!(
            admit(&mut w, &limit, t0 + Duration::from_millis(4500)),
            Err(6)
        );
        // At t0+10 the first has left the window.
        assert!(admit(&mut w, &limit, t0 + Duration::from_secs(10)).is_ok());
        assert_eq!(
            admit(&mut w, &limit, t0 + Duration::from_millis(12_999)),
            Err(1)
        );
    }
}
