//! The Redis backend: the budget of the account shared by every machine. Every change is
//! one Lua script (atomic on the server) that reads the server's clock (`TIME`), never
//! the clients'. Keys are named by the account's fingerprint (a hash: the key is never
//! sent to Redis) with one hash tag, so a cluster keeps them on one node:
//! `seedance:budget:{FINGERPRINT}:…`. `rediss://` (TLS, rustls) and passwords
//! (`redis://:PASSWORD@HOST`) are supported.
//!
//! The same rules as the machine-wide file: leases renewed every second (slots of a
//! process that died start their window when its lease ends), tickets for processes
//! waiting, a shared pause after a 429. Every key expires when the account is idle.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script};
use seedance_core::rules::RateLimit;

use super::backend::{
    Backend, BackendError, BackendResult, Pool, Slot, Ticket, Verdict, WaitReason,
};
use super::scope::redact_url;
use super::shared::{ms, poll_cap, HOLDER_TTL, WAITER_TTL};
use super::usage::PoolUsage;

/// Shared by every script: the clock, and the clean-up of dead leases, finished windows
/// and lapsed tickets. KEYS: held, win, q, qe, pause, holders, seq.
const PRELUDE: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function expire()
  local h = redis.call('HGETALL', KEYS[1])
  for i = 1, #h, 2 do
    local v = h[i + 1]
    local sep = string.find(v, '|', 1, true)
    local who = string.sub(v, 1, sep - 1)
    local hold = tonumber(string.sub(v, sep + 1))
    local alive = redis.call('ZSCORE', KEYS[6], who)
    if (not alive) or tonumber(alive) < now then
      redis.call('HDEL', KEYS[1], h[i])
      local from = now
      if alive then from = tonumber(alive) end
      redis.call('ZADD', KEYS[2], from + hold, h[i])
    end
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. now)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. now)
  for _, tk in ipairs(gone) do redis.call('ZREM', KEYS[3], tk) end
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. now)
end
local function touch(ttl)
  for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ttl) end
end
local function machines()
  local live = redis.call('ZRANGEBYSCORE', KEYS[6], now, '+inf')
  local seen, n = {}, 0
  for _, who in ipairs(live) do
    local m = string.sub(who, 1, (string.find(who, '/', 1, true) or (#who + 1)) - 1)
    if not seen[m] then seen[m] = true; n = n + 1 end
  end
  return n
end
"#;

/// ARGV: holder, slot id, limit, hold ms, holder ttl ms, waiter ttl ms, ticket or "",
/// key ttl ms. Returns {granted, ticket, reason (1 paused, 2 full, 3 queued), wait ms
/// (-1: unknown), used or ahead, machines, slots in flight, ms until each slot in its
/// window frees…}.
const ACQUIRE: &str = r#"
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[5]), ARGV[1])
expire()
local used = redis.call('HLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2])
local free = tonumber(ARGV[3]) - used
local ticket = ARGV[7]
local ahead
if ticket == '' then
  ahead = redis.call('ZCARD', KEYS[3])
else
  ahead = redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. ticket)
end
local pause = tonumber(redis.call('GET', KEYS[5]) or '0')
local function answer(head)
  -- then: machines, slots in flight, and when each slot in its window frees
  table.insert(head, machines())
  table.insert(head, redis.call('HLEN', KEYS[1]))
  local w = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  for i = 2, #w, 2 do table.insert(head, tonumber(w[i]) - now) end
  return head
end
if pause <= now and ahead < free then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[1] .. '|' .. ARGV[4])
  if ticket ~= '' then
    redis.call('ZREM', KEYS[3], ticket)
    redis.call('ZREM', KEYS[4], ticket)
  end
  touch(tonumber(ARGV[8]))
  return answer({1, 0, 0, 0, 0})
end
if ticket == '' then ticket = tostring(redis.call('INCR', KEYS[7])) end
redis.call('ZADD', KEYS[3], tonumber(ticket), ticket)
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[6]), ticket)
touch(tonumber(ARGV[8]))
if pause > now then return answer({0, tonumber(ticket), 1, pause - now, used}) end
if free <= 0 then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local wait = -1
  if #first > 0 then wait = tonumber(first[2]) - now end
  return answer({0, tonumber(ticket), 2, wait, used})
end
return answer({0, tonumber(ticket), 3, 5, ahead})
"#;

/// ARGV: slot id, sent (1/0), hold ms, holder, holder ttl ms.
const RELEASE: &str = r#"
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[5]), ARGV[4])
local was_held = redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  if was_held == 1 then
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
  else
    redis.call('ZADD', KEYS[2], 'XX', 'GT', now + tonumber(ARGV[3]), ARGV[1])
  end
end
return 1
"#;

/// ARGV: ticket.
const LEAVE: &str = r#"
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
"#;

/// ARGV: pause ms, key ttl ms.
const PAUSE: &str = r#"
local cur = tonumber(redis.call('GET', KEYS[5]) or '0')
local u = now + tonumber(ARGV[1])
if u > cur then redis.call('SET', KEYS[5], u, 'PX', tonumber(ARGV[1]) + 1000) end
return 1
"#;

/// ARGV: key ttl ms, then (id, hold ms) pairs.
const SEED: &str = r#"
for i = 2, #ARGV, 2 do redis.call('ZADD', KEYS[2], now + tonumber(ARGV[i + 1]), ARGV[i]) end
touch(tonumber(ARGV[1]))
return 1
"#;

/// ARGV: holder, holder ttl ms. Returns {in flight, in window, first free at - now or -1,
/// pause left or 0, waiting, machines}.
const USAGE: &str = r#"
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[2]), ARGV[1])
expire()
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local next_free = -1
if #first > 0 then next_free = tonumber(first[2]) - now end
local pause = tonumber(redis.call('GET', KEYS[5]) or '0') - now
if pause < 0 then pause = 0 end
return {redis.call('HLEN', KEYS[1]), redis.call('ZCARD', KEYS[2]), next_free, pause,
        redis.call('ZCARD', KEYS[3]), machines()}
"#;

/// ARGV: holder, holder ttl ms. Returns the machines sharing the budget.
const RENEW: &str = r#"
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[6], tonumber(ARGV[2]) * 4)
return machines()
"#;

struct Scripts {
    acquire: Script,
    release: Script,
    leave: Script,
    pause: Script,
    seed: Script,
    usage: Script,
    renew: Script,
}

impl Scripts {
    fn new() -> Scripts {
        let s = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Scripts {
            acquire: s(ACQUIRE),
            release: s(RELEASE),
            leave: s(LEAVE),
            pause: s(PAUSE),
            seed: s(SEED),
            usage: s(USAGE),
            renew: s(RENEW),
        }
    }
}

/// A change that could not be made (Redis away): made when it answers again.
#[derive(Debug, Clone)]
enum Pending {
    Release {
        pool: Pool,
        slot: u64,
        sent: bool,
        hold: Duration,
    },
    Leave {
        pool: Pool,
        ticket: u64,
    },
}

/// The account's slots at one answer of Redis.
#[derive(Debug, Clone)]
struct Seen {
    at: tokio::time::Instant,
    in_flight: u32,
    hold: Duration,
    /// When each slot inside its window frees, from `at`.
    windows: Vec<Duration>,
}

/// The Redis budgets of one account, as one process uses them.
pub(crate) struct Redis {
    client: redis::Client,
    shown: String,
    prefix: String,
    holder: String,
    conn: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    scripts: Scripts,
    machines: AtomicU32,
    /// The account's slots as last seen, per pool (for a fallback taking over).
    seen: Mutex<[Option<Seen>; 2]>,
    pending: Mutex<Vec<Pending>>,
    heartbeat: OnceLock<()>,
    me: Weak<Redis>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("url", &self.shown)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn err(e: redis::RedisError) -> BackendError {
    BackendError(format!("redis: {e}"), Some(std::sync::Arc::new(e)))
}

/// The keys' time to live when idle.
fn key_ttl(hold: Duration) -> i64 {
    ms(hold) * 2 + 60_000
}

impl Redis {
    /// Parses the URL (nothing is connected yet). `machine` names this machine (the
    /// share of a fallback counts machines).
    pub(crate) fn open(url: &str, fingerprint: &str, machine: &str) -> BackendResult<Arc<Redis>> {
        crate::http_client::install_crypto_provider();
        let client = redis::Client::open(url).map_err(err)?;
        let holder = format!("{machine}/{}/{:08x}", std::process::id(), fastrand::u32(..));
        Ok(Arc::new_cyclic(|me| Redis {
            client,
            shown: redact_url(url),
            prefix: format!("seedance:budget:{{{fingerprint}}}"),
            holder,
            conn: tokio::sync::Mutex::new(None),
            scripts: Scripts::new(),
            machines: AtomicU32::new(1),
            seen: Mutex::new([None, None]),
            pending: Mutex::new(Vec::new()),
            heartbeat: OnceLock::new(),
            me: me.clone(),
        }))
    }

    fn keys(&self, pool: Pool) -> [String; 7] {
        let p = format!("{}:{}", self.prefix, pool.name());
        [
            format!("{p}:held"),
            format!("{p}:win"),
            format!("{p}:q"),
            format!("{p}:qe"),
            format!("{p}:pause"),
            format!("{}:holders", self.prefix),
            format!("{}:seq", self.prefix),
        ]
    }

    fn pending(&self) -> MutexGuard<'_, Vec<Pending>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn connection(&self) -> BackendResult<MultiplexedConnection> {
        let mut g = self.conn.lock().await;
        if let Some(c) = g.as_ref() {
            return Ok(c.clone());
        }
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(Duration::from_secs(1))
            .set_response_timeout(Duration::from_secs(1));
        let c = self
            .client
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
            .map_err(err)?;
        *g = Some(c.clone());
        Ok(c)
    }

    /// Runs one script; a failure drops the connection (the next call reconnects).
    async fn run<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        pool: Pool,
        args: Vec<String>,
    ) -> BackendResult<T> {
        let mut conn = self.connection().await?;
        let mut inv = script.prepare_invoke();
        for k in self.keys(pool) {
            inv.key(k);
        }
        for a in args {
            inv.arg(a);
        }
        match inv.invoke_async(&mut conn).await {
            Ok(v) => Ok(v),
            Err(e) => {
                *self.conn.lock().await = None;
                Err(err(e))
            }
        }
    }

    fn start_heartbeat(&self) {
        self.heartbeat.get_or_init(|| {
            let me = self.me.clone();
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    loop {
                        tokio::time::sleep(HOLDER_TTL / 3).await;
                        let Some(r) = me.upgrade() else { return };
                        r.renew().await;
                    }
                });
            }
        });
    }

    async fn renew(&self) {
        let args = vec![self.holder.clone(), ms(HOLDER_TTL).to_string()];
        match self
            .run::<u32>(&self.scripts.renew, Pool::General, args)
            .await
        {
            Ok(n) => {
                self.machines.store(n.max(1), Ordering::Relaxed);
                self.flush_pending().await;
            }
            Err(e) => tracing::debug!(error = %e, "budget lease not renewed"),
        }
    }

    async fn flush_pending(&self) {
        let todo = std::mem::take(&mut *self.pending());
        for p in todo {
            if let Err(e) = self.apply(p.clone()).await {
                tracing::debug!(error = %e, "budget change still pending");
                self.pending().push(p);
            }
        }
    }

    async fn apply(&self, p: Pending) -> BackendResult<()> {
        match p {
            Pending::Release {
                pool,
                slot,
                sent,
                hold,
            } => {
                let args = vec![
                    slot.to_string(),
                    if sent { "1" } else { "0" }.to_owned(),
                    ms(hold).to_string(),
                    self.holder.clone(),
                    ms(HOLDER_TTL).to_string(),
                ];
                self.run::<i64>(&self.scripts.release, pool, args).await?;
            }
            Pending::Leave { pool, ticket } => {
                self.run::<i64>(&self.scripts.leave, pool, vec![ticket.to_string()])
                    .await?;
            }
        }
        Ok(())
    }

    /// Runs `p` on the runtime (the trait's sync methods are called from `Drop`).
    fn spawn_change(&self, p: Pending) {
        let Some(me) = self.me.upgrade() else { return };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    if me.apply(p.clone()).await.is_err() {
                        me.pending().push(p);
                    }
                });
            }
            Err(_) => self.pending().push(p),
        }
    }

    async fn try_now(
        &self,
        pool: Pool,
        limit: RateLimit,
        ticket: &mut Ticket,
    ) -> BackendResult<Verdict> {
        let slot = fastrand::u64(1..u64::MAX >> 11);
        let hold = limit.hold();
        let args = vec![
            self.holder.clone(),
            slot.to_string(),
            limit.requests.to_string(),
            ms(hold).to_string(),
            ms(HOLDER_TTL).to_string(),
            ms(WAITER_TTL).to_string(),
            ticket.map_or(String::new(), |t| t.to_string()),
            key_ttl(hold).to_string(),
        ];
        let r: Vec<i64> = self.run(&self.scripts.acquire, pool, args).await?;
        let get = |i: usize| r.get(i).copied().unwrap_or(0);
        self.machines
            .store(u32::try_from(get(5)).unwrap_or(1).max(1), Ordering::Relaxed);
        let dur = |m: i64| Duration::from_millis(u64::try_from(m.max(0)).unwrap_or(0));
        let seen = Seen {
            at: tokio::time::Instant::now(),
            in_flight: u32::try_from(get(6)).unwrap_or(0),
            hold,
            windows: r.iter().skip(7).map(|m| dur(*m)).collect(),
        };
        self.seen.lock().unwrap_or_else(|e| e.into_inner())[pool.index()] = Some(seen);
        if get(0) == 1 {
            *ticket = None;
            return Ok(Verdict::Granted(Slot { id: slot, via: 0 }));
        }
        *ticket = u64::try_from(get(1)).ok().filter(|t| *t > 0);
        let cap = ms(poll_cap(limit));
        let n = u32::try_from(get(4)).unwrap_or(u32::MAX);
        let (wait, why) = match get(2) {
            1 => (get(3), WaitReason::Paused),
            2 => (
                if get(3) < 0 { cap } else { get(3) },
                WaitReason::Full {
                    used: n,
                    limit: limit.requests,
                },
            ),
            _ => (5, WaitReason::Queued { ahead: n }),
        };
        Ok(Verdict::Wait {
            retry_in: Duration::from_millis(u64::try_from(wait.clamp(1, cap)).unwrap_or(1)),
            why,
        })
    }
}

impl Backend for Redis {
    fn describe(&self) -> String {
        format!("redis ({})", self.shown)
    }

    fn try_acquire<'a>(
        &'a self,
        pool: Pool,
        limit: RateLimit,
        ticket: &'a mut Ticket,
    ) -> BoxFuture<'a, BackendResult<Verdict>> {
        self.start_heartbeat();
        Box::pin(async move {
            if !self.pending().is_empty() {
                self.flush_pending().await;
            }
            self.try_now(pool, limit, ticket).await
        })
    }

    fn release(&self, pool: Pool, slot: Slot, sent: bool, hold: Duration) {
        self.spawn_change(Pending::Release {
            pool,
            slot: slot.id,
            sent,
            hold,
        });
    }

    fn leave(&self, pool: Pool, ticket: u64) {
        self.spawn_change(Pending::Leave { pool, ticket });
    }

    fn pause(&self, pool: Pool, d: Duration) {
        let Some(me) = self.me.upgrade() else { return };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let args = vec![ms(d).to_string(), key_ttl(d).to_string()];
                if let Err(e) = me.run::<i64>(&me.scripts.pause, pool, args).await {
                    tracing::debug!(error = %e, "pause not shared through redis");
                }
            });
        }
    }

    fn seed(&self, pool: Pool, holds: &[Duration]) {
        if holds.is_empty() {
            return;
        }
        let Some(me) = self.me.upgrade() else { return };
        let longest = holds.iter().max().copied().unwrap_or_default();
        let mut args = vec![key_ttl(longest).to_string()];
        for d in holds {
            args.push(format!("seed-{:016x}", fastrand::u64(..)));
            args.push(ms(*d).to_string());
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = me.run::<i64>(&me.scripts.seed, pool, args).await {
                    tracing::debug!(error = %e, "slots not seeded into redis");
                }
            });
        }
    }

    fn usage(&self, pool: Pool, limit: RateLimit) -> BoxFuture<'_, BackendResult<PoolUsage>> {
        Box::pin(async move {
            let args = vec![self.holder.clone(), ms(HOLDER_TTL).to_string()];
            let r: Vec<i64> = self.run(&self.scripts.usage, pool, args).await?;
            let get = |i: usize| r.get(i).copied().unwrap_or(0);
            let dur = |m: i64| Duration::from_millis(u64::try_from(m.max(0)).unwrap_or(0));
            let in_flight = u32::try_from(get(0)).unwrap_or(0);
            let in_window = u32::try_from(get(1)).unwrap_or(0);
            self.machines
                .store(u32::try_from(get(5)).unwrap_or(1).max(1), Ordering::Relaxed);
            let full = in_flight + in_window >= limit.requests;
            Ok(PoolUsage {
                limit,
                in_flight,
                in_window,
                next_free_in: (full && get(2) >= 0).then(|| dur(get(2))),
                paused_for: (get(3) > 0).then(|| dur(get(3))),
                waiting: u32::try_from(get(4)).unwrap_or(0),
            })
        })
    }

    fn peers(&self) -> u32 {
        self.machines.load(Ordering::Relaxed)
    }

    fn last_known_holds(&self, pool: Pool) -> Vec<Duration> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner())[pool.index()].clone();
        let Some(s) = seen else {
            return Vec::new();
        };
        let gone = s.at.elapsed();
        let mut v: Vec<Duration> = s
            .windows
            .iter()
            .filter_map(|d| d.checked_sub(gone).filter(|d| !d.is_zero()))
            .collect();
        // in flight then: held a whole window from now at most
        v.extend((0..s.in_flight).map(|_| s.hold));
        v
    }
}
