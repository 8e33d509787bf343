//! `Client`: the handle (cheap clones over one `Inner`), its construction from the
//! builder's settings, accessors, events and cancellation. What it does lives beside it:
//! submitting in `submit`, reading and waiting in `wait`, generate and resume in `jobs`,
//! downloads and preflight in `download`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::HeaderValue;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::budget::{self, Budget, BudgetStatus, Pool, RateLimit};
use crate::config::{ClientBuilder, Settings};
use crate::error::{Error, Result};
use crate::events::{Callback, Event, EventBus};
use crate::options::PollSchedule;
use crate::poller::Poller;
use crate::secret::ApiKey;
use crate::store::{JobScope, JobStore};
use crate::transport;
use crate::RetryPolicy;

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) key: ApiKey,
    pub(crate) auth_header: HeaderValue,
    pub(crate) user_agent: HeaderValue,
    pub(crate) timeout: Duration,
    /// Reading R24: the largest API body read.
    pub(crate) max_body_bytes: u64,
    /// Reading R24: the largest download, and the longest one file may take.
    pub(crate) max_download_bytes: u64,
    pub(crate) download_deadline: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Option<Arc<Budget>>,
    pub(crate) media_budget: Option<Arc<Budget>>,
    pub(crate) schedule: PollSchedule,
    /// The client-wide expected render time (model time), when set.
    pub(crate) expected_render: Option<Duration>,
    /// The bound of a wait whose options set none.
    pub(crate) wait_timeout: Option<Duration>,
    pub(crate) journal: Option<JobStore>,
    /// The origin and account this client's jobs belong to.
    pub(crate) scope: JobScope,
    /// Reading R28: re-POSTs of lost answers older than this need `resubmit_stale`.
    pub(crate) idempotency_retention: Duration,
    pub(crate) events: EventBus,
    pub(crate) poller: Arc<Poller>,
    cancel: Mutex<CancellationToken>,
}

/// The Seedance client. Cheap to clone; clones share one connection pool, one request
/// budget (Promise 2), one poller (Promise 3), one journal and one event stream.
///
/// ```no_run
/// use seedance_core::VideoRequest;
/// use seedance_http::{Client, GenerateOptions};
/// # async fn run() -> Result<(), seedance_http::Error> {
/// let client = Client::from_env()?; // SEEDANCE_API_KEY, …
/// let request = VideoRequest::builder("A glass train crossing a snowy mountain bridge").build()?;
/// let task = client.generate(&request, GenerateOptions::default().download_to("out/")).await?;
/// println!("{}", task.video_url().unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("api_key", &self.inner.key)
            .field("rate_limit", &self.inner.budget.as_ref().map(|b| b.limit()))
            .field("journal", &self.inner.journal.as_ref().map(JobStore::path))
            .finish_non_exhaustive()
    }
}

/// Installs the process-wide rustls crypto provider (`ring`) unless one is installed.
/// Call it before building your own `reqwest::Client` (the client's builder calls it).
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may win the race: either provider is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A `reqwest::ClientBuilder` ready for [`ClientBuilder::http_client`]: the crypto
/// provider installed and redirects left to this crate (Reading R13). Add proxies,
/// resolvers or pools, then `build()`.
///
/// ```
/// let http = seedance_http::reqwest_client_builder().pool_max_idle_per_host(4).build().unwrap();
/// let client = seedance_http::Client::builder().no_env().api_key("k_1").http_client(http).build();
/// assert!(client.is_ok());
/// ```
pub fn reqwest_client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

/// A fresh idempotency key: a random UUIDv4.
///
/// ```
/// let k = seedance_http::new_idempotency_key();
/// assert_eq!(k.len(), 36);
/// assert_eq!(&k[14..15], "4");
/// assert_ne!(k, seedance_http::new_idempotency_key());
/// ```
pub fn new_idempotency_key() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        for x in &mut b {
            *x = fastrand::u8(..);
        }
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Waits until `a` or `b` is cancelled.
pub(crate) async fn cancelled(a: &CancellationToken, b: Option<&CancellationToken>) {
    match b {
        Some(b) => {
            tokio::select! {
                _ = a.cancelled() => {}
                _ = b.cancelled() => {}
            }
        }
        None => a.cancelled().await,
    }
}

fn budget_error(e: budget::BackendError) -> Error {
    Error::Config(format!("the request budget: {e}"))
}

impl Client {
    /// A builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from the `SEEDANCE_*` variables alone.
    pub fn from_env() -> Result<Client> {
        ClientBuilder::default().build()
    }

    pub(crate) fn from_parts(
        s: Settings,
        http: Option<reqwest::Client>,
        callbacks: Vec<Callback>,
    ) -> Result<Client> {
        let http = match http {
            Some(c) => c,
            None => reqwest_client_builder()
                .connect_timeout(s.connect_timeout)
                .no_proxy()
                .proxy(crate::origin::env_proxy())
                .build()
                .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?,
        };
        let auth_header = transport::auth_header(s.api_key.expose())?;
        let user_agent = HeaderValue::from_str(&s.user_agent)
            .map_err(|_| Error::Config("the user agent is not a valid header value".into()))?;
        let events = EventBus::new(callbacks);
        let scope = JobScope::new(s.base_url.as_str(), s.api_key.expose());
        let fingerprint = budget::account_fingerprint(
            &s.base_url.origin().ascii_serialization(),
            s.api_key.expose(),
        );
        let backend = (s.rate_limit.is_some() || s.media_rate_limit.is_some())
            .then(|| budget::open_backend(&s.budget, &fingerprint, &events));
        let make = |limit: Option<RateLimit>, pool: Pool| {
            let backend = backend.clone()?;
            Some(Budget::with_backend(
                limit?,
                pool,
                backend,
                Some(events.clone()),
            ))
        };
        let profile = crate::profile::Profile::open(
            s.render_profile.clone(),
            &crate::profile::origin_key(&s.base_url),
            &s.poll_schedule,
        );
        let general = make(s.rate_limit, Pool::General);
        let media = make(s.media_rate_limit, Pool::Media);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url: s.base_url,
                key: s.api_key,
                auth_header,
                user_agent,
                timeout: s.timeout,
                max_body_bytes: s.max_body_bytes,
                max_download_bytes: s.max_download_bytes,
                download_deadline: s.download_deadline,
                retry: s.retry,
                budget: general,
                media_budget: media,
                schedule: s.poll_schedule,
                expected_render: s.expected_render,
                wait_timeout: s.wait_timeout,
                journal: s.journal,
                scope,
                idempotency_retention: s.idempotency_retention,
                events,
                poller: Arc::new(Poller::new(profile)),
                cancel: Mutex::new(CancellationToken::new()),
            }),
        })
    }

    fn cancel_lock(&self) -> MutexGuard<'_, CancellationToken> {
        self.inner.cancel.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The client-wide cancellation token: cancelling it stops every call in progress
    /// on this client and its clones with [`Error::Cancelled`]. Calls started after
    /// that get a fresh token (ask for it again to cancel them).
    pub fn cancel_token(&self) -> CancellationToken {
        self.active_token()
    }

    /// The token for a call starting now: a cancelled one is replaced.
    pub(crate) fn active_token(&self) -> CancellationToken {
        let mut g = self.cancel_lock();
        if g.is_cancelled() {
            *g = CancellationToken::new();
        }
        g.clone()
    }

    /// Cancels every call in progress, then arms a fresh token for later calls (for
    /// bindings: Ctrl-C, `cancel()`).
    pub fn cancel_all(&self) {
        let mut g = self.cancel_lock();
        g.cancel();
        *g = CancellationToken::new();
    }

    /// A receiver of every [`Event`] from now on.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// The events as a `Stream` (lagging receivers skip what they missed).
    pub fn event_stream(&self) -> impl futures_util::Stream<Item = Event> + Send + 'static {
        let rx = self.events();
        futures_util::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(e) => return Some((e, rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// The job store, when one is configured.
    pub fn journal(&self) -> Option<&JobStore> {
        self.inner.journal.as_ref()
    }

    /// The job store, when one is configured (the same as [`Client::journal`]).
    pub fn job_store(&self) -> Option<&JobStore> {
        self.inner.journal.as_ref()
    }

    /// The API origin and account (fingerprint) this client's jobs belong to: `resume`
    /// and job look-ups touch only jobs of this scope.
    pub fn job_scope(&self) -> &JobScope {
        &self.inner.scope
    }

    /// The API origin in use.
    pub fn base_url(&self) -> &str {
        self.inner.base_url.as_str()
    }

    /// The request budget in force (`None`: off).
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.inner.budget.as_ref().map(|b| b.limit())
    }

    /// Requests this client (and its clones) has sent to the API so far.
    pub fn requests_sent(&self) -> Option<u64> {
        self.inner.budget.as_ref().map(|b| b.admitted())
    }

    /// The account's current use of its budgets, from the backend in use (in-process,
    /// machine-wide or Redis): slots in flight and in their window, the next free slot,
    /// any pause after a 429, processes waiting.
    pub async fn budget_status(&self) -> Result<BudgetStatus> {
        let general = self.inner.budget.as_ref();
        let media = self.inner.media_budget.as_ref();
        let Some(any) = general.or(media) else {
            return Ok(BudgetStatus {
                backend: "off".to_owned(),
                degraded: None,
                requests: None,
                media: None,
            });
        };
        let requests = match general {
            Some(b) => Some(b.usage().await.map_err(budget_error)?),
            None => None,
        };
        let media = match media {
            Some(b) => Some(b.usage().await.map_err(budget_error)?),
            None => None,
        };
        Ok(BudgetStatus {
            backend: any.backend().describe(),
            degraded: any.backend().degraded(),
            requests,
            media,
        })
    }

    /// Tasks being watched by the poller right now.
    pub fn waits_in_progress(&self) -> usize {
        self.inner.poller.watched()
    }

    /// Renders this client has learned so far (from the profile it loaded and the tasks
    /// it saw end), pooled over every class.
    pub fn renders_learned(&self) -> usize {
        self.inner.poller.learned()
    }

    /// Writes the learned render profile now (it is also written while waits run and
    /// when the last wait ends). A failure is logged, never returned.
    pub fn save_render_profile(&self) {
        self.inner.poller.save_profile();
    }

    pub(crate) async fn sleep_or_cancel(
        &self,
        d: Duration,
        token: &CancellationToken,
        cancel: Option<&CancellationToken>,
    ) -> Result<()> {
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = cancelled(token, cancel) => Err(Error::Cancelled),
        }
    }
}
