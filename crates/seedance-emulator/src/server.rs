//! The two listeners (API, CDN), the builder, and the handle tests hold.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::routing::any;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use crate::app::{App, ConnKill};
use crate::config::{
    Account, RateLimit, Redirect, RuntimeConfig, DEFAULT_ACCOUNT, DEFAULT_CREDITS, DEFAULT_TEST_KEY,
};
use crate::errors::{ControlError, Error};
use crate::faults::Fault;
use crate::media::MediaCache;
use crate::render::RenderSpread;
use crate::state::{initial_accounts, Initial, Shared, Stats};
use seedance_core::rules::TimeScale;

/// Builds an [`Emulator`]. Defaults: both listeners on `127.0.0.1:0`, render times of
/// realistic length (time scale 1) exactly as the core's model says (spread
/// [`RenderSpread::None`]; see [`EmulatorBuilder::render_spread`]), the spec's 30-per-60-s and 3-per-60-s limits, 100 000 credits.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use seedance_emulator::TimeScale;
/// let emu = seedance_emulator::Emulator::builder()
///     .time_scale(TimeScale::new(1000.0)?)               // renders in ~0.1 s
///     .rate_limit(30, Duration::from_secs(1))            // the spec's 30, in a 1 s window
///     .no_media_rate_limit()
///     .failure_marker(Some("[boom]"))
///     .default_credits(500)
///     .start()
///     .await?;
/// let config = emu.config();
/// assert_eq!((config.time_scale.get(), config.media_rate_limit), (1000.0, None));
/// assert_eq!(emu.stats().credits_balance, 500);
/// emu.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct EmulatorBuilder {
    config: RuntimeConfig,
    accounts: Vec<Account>,
    default_credits: u64,
    api_addr: SocketAddr,
    cdn_addr: SocketAddr,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            config: RuntimeConfig::default(),
            accounts: Vec::new(),
            default_credits: DEFAULT_CREDITS,
            api_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            cdn_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

impl EmulatorBuilder {
    /// Divides simulated render times by `scale` (default [`TimeScale::REAL_TIME`]:
    /// realistic, 1–5 minutes). A [`TimeScale`] is valid by construction, so nothing
    /// here falls back silently.
    pub fn time_scale(mut self, scale: TimeScale) -> Self {
        self.config.time_scale = scale;
        self
    }
    /// The account-wide limit over every endpoint (default 30 per 60 s).
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.config.rate_limit = Some(RateLimit::new(requests, window));
        self
    }
    /// Turns the account-wide limit off.
    pub fn no_rate_limit(mut self) -> Self {
        self.config.rate_limit = None;
        self
    }
    /// The limit on submits carrying reference media (default 3 per 60 s).
    pub fn media_rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.config.media_rate_limit = Some(RateLimit::new(requests, window));
        self
    }
    /// Turns the reference-media limit off.
    pub fn no_media_rate_limit(mut self) -> Self {
        self.config.media_rate_limit = None;
        self
    }
    /// Adds an account (replacing a built-in one with the same id).
    pub fn account(mut self, account: Account) -> Self {
        self.accounts.push(account);
        self
    }
    /// The default account's starting balance (default 100 000).
    pub fn default_credits(mut self, credits: u64) -> Self {
        self.default_credits = credits;
        self
    }
    /// How long idempotency keys are remembered (default 24 h).
    pub fn idempotency_retention(mut self, retention: Duration) -> Self {
        self.config.idempotency_retention = retention;
        self
    }
    /// The prompt marker that makes a task fail (default `[fail]`; `None` = off).
    pub fn failure_marker(mut self, marker: Option<&str>) -> Self {
        self.config.failure_marker = marker.map(str::to_owned);
        self
    }
    /// The probability that any task fails (default 0).
    pub fn failure_probability(mut self, p: f64) -> Self {
        self.config.failure_probability = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        self
    }
    /// The prompt marker refused by the content policy (default `[refuse]`; `None` = off).
    pub fn refusal_marker(mut self, marker: Option<&str>) -> Self {
        self.config.refusal_marker = marker.map(str::to_owned);
        self
    }
    /// The reference-URL marker refused as a real person (default `real-person`; `None` = off).
    pub fn real_person_marker(mut self, marker: Option<&str>) -> Self {
        self.config.real_person_marker = marker.map(str::to_owned);
        self
    }
    /// The largest accepted request body (default 256 KiB).
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.config.max_body_bytes = n;
        self
    }
    /// Answers API requests with a 307 to another host of the same site.
    pub fn redirect(mut self, redirect: Option<Redirect>) -> Self {
        self.config.redirect = redirect;
        self
    }
    /// How render times spread around the core's model (default [`RenderSpread::None`]:
    /// exactly the model, for deterministic tests; `seedance emulator`, `seedance demo` and
    /// the `seedance-emulator` binary use [`RenderSpread::Realistic`]).
    ///
    /// ```
    /// use seedance_emulator::{Emulator, RenderSpread};
    /// let b = Emulator::builder().render_spread(RenderSpread::Realistic).render_seed(Some(42)).render_queue(Some(4));
    /// # let _ = b;
    /// ```
    pub fn render_spread(mut self, spread: RenderSpread) -> Self {
        self.config.render_spread = spread;
        self
    }
    /// Seeds the render-time draws (`None`, the default: a random seed).
    pub fn render_seed(mut self, seed: Option<u64>) -> Self {
        self.config.render_seed = seed;
        self
    }
    /// Each account renders at most `n` tasks at once, later ones wait their turn
    /// (default `None`: no queue).
    pub fn render_queue(mut self, n: Option<u32>) -> Self {
        self.config.render_queue = n.filter(|n| *n > 0);
        self
    }
    /// Replaces the whole runtime configuration.
    pub fn config(mut self, config: RuntimeConfig) -> Self {
        self.config = config;
        self
    }
    /// The API listener's address (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.api_addr = addr;
        self
    }
    /// The CDN listener's address (default `127.0.0.1:0`, a free port).
    pub fn cdn_bind(mut self, addr: SocketAddr) -> Self {
        self.cdn_addr = addr;
        self
    }

    /// Binds both listeners and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<Emulator, Error> {
        let api = TcpListener::bind(self.api_addr)
            .await
            .map_err(|source| Error::Bind {
                addr: self.api_addr,
                source,
            })?;
        let cdn = TcpListener::bind(self.cdn_addr)
            .await
            .map_err(|source| Error::Bind {
                addr: self.cdn_addr,
                source,
            })?;
        let api_addr = api.local_addr()?;
        let cdn_addr = cdn.local_addr()?;
        let initial = Initial {
            accounts: initial_accounts(self.default_credits, self.accounts),
            config: self.config,
        };
        let app = Arc::new(App {
            shared: Shared::new(initial),
            base_url: format!("http://{api_addr}"),
            cdn_url: format!("http://{cdn_addr}"),
            media: MediaCache::default(),
        });
        let api_router = Router::new()
            .route(
                seedance_core::rules::SUBMIT_PATH,
                any(crate::handlers::submit_route),
            )
            .route(
                &format!("{}/{{id}}", seedance_core::rules::TASKS_PATH),
                any(crate::handlers::task_route),
            )
            .merge(crate::handlers::control_routes())
            .fallback(crate::handlers::fallback)
            .with_state(Arc::clone(&app));
        let cdn_router = Router::new()
            .fallback(crate::handlers::cdn)
            .with_state(Arc::clone(&app));
        let (stop_tx, stop_rx) = watch::channel(false);
        let api_task = tokio::spawn(accept_loop(api, api_router, stop_rx.clone()));
        let cdn_task = tokio::spawn(accept_loop(cdn, cdn_router, stop_rx));
        Ok(Emulator {
            app,
            api_addr,
            cdn_addr,
            stop: stop_tx,
            tasks: vec![api_task, cdn_task],
        })
    }
}

/// How long a connection may take to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves one listener until `stop` changes (or its sender is dropped).
async fn accept_loop(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    loop {
        let (stream, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    // Out of file descriptors and the like: back off briefly.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let kill = ConnKill(Arc::new(Notify::new()));
            let conn_kill = kill.clone();
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(conn_kill.clone());
                router.clone().oneshot(req.map(Body::new))
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.0.notified() => {}
                _ = stop.changed() => {}
            }
        });
    }
}

/// A running emulator: an API origin and a CDN origin on loopback. Dropping it stops
/// both listeners (as [`Emulator::shutdown`] does).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use seedance_emulator::{Account, Emulator, TimeScale};
/// let emu = Emulator::builder()
///     .time_scale(TimeScale::new(1000.0)?)
///     .rate_limit(30, Duration::from_secs(1))
///     .account(Account::new("acct_a").key("sk_test_a").credits(1000))
///     .start()
///     .await?;
/// assert!(emu.base_url().starts_with("http://127.0.0.1:"));
/// assert_eq!(emu.api_key(), seedance_emulator::DEFAULT_TEST_KEY);
/// assert_eq!(emu.account_stats("acct_a").map(|s| s.credits_balance), Some(1000));
/// emu.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Emulator {
    app: Arc<App>,
    api_addr: SocketAddr,
    cdn_addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.app.base_url)
            .field("cdn_url", &self.app.cdn_url)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the defaults (realistic render times, 30/60 s and 3/60 s limits).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The API origin, `http://127.0.0.1:PORT` (paths `/api/v1/...`).
    pub fn base_url(&self) -> String {
        self.app.base_url.clone()
    }
    /// The CDN origin serving outputs.
    pub fn cdn_url(&self) -> String {
        self.app.cdn_url.clone()
    }
    /// The API listener's address.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }
    /// The CDN listener's address.
    pub fn cdn_addr(&self) -> SocketAddr {
        self.cdn_addr
    }
    /// The default test key ([`DEFAULT_TEST_KEY`]).
    pub fn api_key(&self) -> &str {
        DEFAULT_TEST_KEY
    }
    /// The default account's counters.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), seedance_emulator::Error> {
    /// let emu = seedance_emulator::Emulator::builder().start().await?;
    /// let s = emu.stats();
    /// assert_eq!((s.requests, s.credits_balance), (0, seedance_emulator::DEFAULT_CREDITS));
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> Stats {
        self.account_stats(DEFAULT_ACCOUNT).unwrap_or_default()
    }
    /// One account's counters, if the account exists.
    pub fn account_stats(&self, account: &str) -> Option<Stats> {
        self.app.shared.inner.lock().stats_of(account)
    }
    /// Counters over every account, plus requests with no account (401s, CDN, redirects).
    pub fn total_stats(&self) -> Stats {
        self.app.shared.inner.lock().total_stats()
    }
    /// Every `Authorization` header value the CDN received (the first 10 000).
    pub fn cdn_auth_headers(&self) -> Vec<String> {
        self.app.shared.inner.lock().cdn_auth_headers.clone()
    }
    /// Every task, oldest first, as `GET /api/v1/tasks/{id}` would answer it now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), seedance_emulator::Error> {
    /// let emu = seedance_emulator::Emulator::builder().start().await?;
    /// assert!(emu.tasks().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn tasks(&self) -> Vec<seedance_core::Task> {
        let mut inner = self.app.shared.inner.lock();
        let now = Instant::now();
        inner.settle_due(now);
        let mut list: Vec<_> = inner
            .tasks
            .values()
            .map(|t| (t.created_at, t.to_json(now, &self.app.cdn_url)))
            .collect();
        drop(inner);
        list.sort_by_key(|(at, _)| *at);
        list.into_iter()
            .filter_map(|(_, v)| seedance_core::Task::from_json(v.to_string().as_bytes()).ok())
            .collect()
    }
    /// Every task's render timing, oldest first: the drawn render time, the time queued,
    /// when a read first saw it done and how many reads it took (the `timing` field of
    /// `GET /_emulator/tasks`). Detection delay = `first_seen_done_ms - done_ms`.
    pub fn task_timings(&self) -> Vec<crate::render::TaskTiming> {
        self.app.shared.inner.lock().timings()
    }
    /// Adds a fault ([`Emulator::clear_faults`] removes them all).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), seedance_emulator::Error> {
    /// use seedance_emulator::{Emulator, Endpoint, Fault, FaultKind};
    /// let emu = Emulator::builder().start().await?;
    /// emu.inject(Fault::new(Endpoint::Submit, FaultKind::DropAfterHandling).nth(1));
    /// emu.clear_faults();
    /// # Ok(()) }
    /// ```
    pub fn inject(&self, fault: Fault) {
        self.app.shared.inner.lock().inject(fault);
    }
    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.app.shared.inner.lock().faults.clear();
    }
    /// Back to the state at start: accounts, balances and configuration as built; no
    /// tasks, idempotency keys, rate windows, faults or counters.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), seedance_emulator::Error> {
    /// use seedance_emulator::{Account, Emulator};
    /// let emu = Emulator::builder().start().await?;
    /// emu.add_account(Account::new("acct_late").key("sk_test_late").credits(5));
    /// assert!(emu.set_credits(seedance_emulator::DEFAULT_ACCOUNT, 1));
    /// emu.configure(|c| c.failure_probability = 0.5);
    /// emu.reset();
    /// assert_eq!(emu.account_stats("acct_late"), None);
    /// assert_eq!(emu.stats().credits_balance, seedance_emulator::DEFAULT_CREDITS);
    /// assert_eq!(emu.config().failure_probability, 0.0);
    /// # Ok(()) }
    /// ```
    pub fn reset(&self) {
        self.app.shared.reset();
    }
    /// Turns the 307 redirect on (`Some`) or off (`None`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), seedance_emulator::Error> {
    /// use seedance_emulator::{Emulator, Redirect};
    /// let emu = Emulator::builder().start().await?;
    /// emu.set_redirect(Some(Redirect::ApexToWww));
    /// assert_eq!(emu.config().redirect, Some(Redirect::ApexToWww));
    /// # Ok(()) }
    /// ```
    pub fn set_redirect(&self, redirect: Option<Redirect>) {
        self.app.shared.inner.lock().config.redirect = redirect;
    }
    /// The current runtime configuration.
    pub fn config(&self) -> RuntimeConfig {
        self.app.shared.inner.lock().config.clone()
    }
    /// Changes the runtime configuration.
    pub fn configure(&self, f: impl FnOnce(&mut RuntimeConfig)) {
        f(&mut self.app.shared.inner.lock().config);
    }
    /// Sets an account's balance; false if there is no such account.
    pub fn set_credits(&self, account: &str, credits: u64) -> bool {
        match self.app.shared.inner.lock().accounts.get_mut(account) {
            Some(a) => {
                a.balance = credits;
                true
            }
            None => false,
        }
    }
    /// Adds (or replaces) an account at runtime.
    pub fn add_account(&self, account: Account) {
        self.app.shared.inner.lock().add_account(&account);
    }
    /// Stops both listeners and closes open connections.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Emulator {
    /// Changes runtime configuration fields given as a partial JSON object of the README's
    /// `Config` (as `POST /_emulator/config` takes), atomically, and returns the new
    /// configuration. Unknown fields and bad values change nothing and are an error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emu = seedance_emulator::Emulator::builder().start().await?;
    /// let c = emu.configure_json(&serde_json::json!({"time_scale": 500.0, "rate_limit": null}))?;
    /// assert_eq!((c.time_scale.get(), c.rate_limit), (500.0, None));
    /// assert!(emu.configure_json(&serde_json::json!({"colour": "red"})).is_err());
    /// assert!(emu.configure_json(&serde_json::json!({"time_scale": 0})).is_err());
    /// assert_eq!(emu.config().time_scale.get(), 500.0);
    /// emu.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn configure_json(&self, patch: &Value) -> Result<RuntimeConfig, ControlError> {
        let mut result = Err(ControlError::new("not applied"));
        self.configure(|c| {
            result = c.patched(patch).inspect(|new| *c = new.clone());
        });
        result
    }

    /// Adds faults given as JSON (one `FaultJson` object or an array of them, as
    /// `POST /_emulator/faults` takes; all or nothing) and returns how many were added.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let emu = seedance_emulator::Emulator::builder().start().await?;
    /// let n = emu.inject_json(&serde_json::json!({"endpoint": "submit", "kind": "service_busy", "nth": 1}))?;
    /// assert_eq!(n, 1);
    /// emu.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn inject_json(&self, faults: &Value) -> Result<usize, ControlError> {
        let list = Fault::list_from_json(faults)?;
        let n = list.len();
        for f in list {
            self.inject(f);
        }
        Ok(n)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts the emulator from `builder`, prints its URLs and keys to stdout, and serves
/// until Ctrl-C (what `seedance-emulator` and `seedance emulator` run).
pub async fn serve(builder: EmulatorBuilder) -> Result<(), Error> {
    let emu = builder.start().await?;
    let config = emu.config();
    println!("Seedance emulator running");
    println!("  API:      {}", emu.base_url());
    println!("  CDN:      {}", emu.cdn_url());
    println!("  test key: {}  (account {DEFAULT_ACCOUNT})", emu.api_key());
    println!(
        "  other keys: {} (same account), {} (revoked), {} (no credits)",
        crate::config::DEFAULT_TEST_KEY_2,
        crate::config::REVOKED_TEST_KEY,
        crate::config::NO_CREDITS_TEST_KEY
    );
    println!(
        "  time scale: {}  rate limit: {}  media limit: {}",
        config.time_scale,
        describe(config.rate_limit),
        describe(config.media_rate_limit)
    );
    println!(
        "  render spread: {}  seed: {}",
        crate::render::describe(&config.render_spread),
        config
            .render_seed
            .map_or_else(|| "random".to_owned(), |s| s.to_string())
    );
    println!("  control:  {}/_emulator/stats", emu.base_url());
    println!(
        "  try: SEEDANCE_BASE_URL={} SEEDANCE_API_KEY={}",
        emu.base_url(),
        emu.api_key()
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    emu.shutdown().await;
    Ok(())
}

fn describe(l: Option<RateLimit>) -> String {
    match l {
        Some(l) => format!("{}/{}s", l.requests, l.window.as_secs_f64()),
        None => "off".into(),
    }
}
