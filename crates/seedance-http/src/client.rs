//! `Client`: submit, get_task, wait, generate, resume.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::Method;
use seedance_core::rules::ConflictReason;
use seedance_core::{Task, TaskId, TaskStatus, VideoRequest};
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::budget::{self, Budget, BudgetStatus, Pool, RateLimit};
use crate::config::{ClientBuilder, Settings};
use crate::error::{Error, Result};
use crate::events::{Callback, Event, EventBus};
use crate::journal::{JobRecord, JobState, Journal};
use crate::options::{
    DownloadOptions, Downloaded, GenerateOptions, PollSchedule, SubmitOptions, WaitOptions,
};
use crate::poller::{task_failed, Poller, Registration};
use crate::secret::ApiKey;
use crate::transport::{self, Attempt, Retry};
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
    pub(crate) journal: Option<Journal>,
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
            .field("journal", &self.inner.journal.as_ref().map(Journal::path))
            .finish_non_exhaustive()
    }
}

/// The outcome of one job of [`Client::resume`] or [`Client::generate_job`].
#[derive(Debug)]
#[non_exhaustive]
pub struct JobOutcome {
    /// The idempotency key (the job's identity in the journal).
    pub key: String,
    /// The task id, when one was heard.
    pub task_id: Option<TaskId>,
    /// The finished task, or why the job did not finish.
    pub result: Result<Task>,
    /// Files written, when a download was asked for.
    pub downloaded: Option<Downloaded>,
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

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
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
            &s.base_url.origin().ascii_serialization(),
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

    /// The journal, when one is configured.
    pub fn journal(&self) -> Option<&Journal> {
        self.inner.journal.as_ref()
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

    async fn sleep_or_cancel(
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

    /// Submits a request (Promise 1: charged once). Validates it first (nothing is sent
    /// when it breaks a rule), optionally preflights its reference URLs, journals it,
    /// then POSTs it with an `Idempotency-Key` that every retry reuses.
    pub async fn submit(&self, request: &VideoRequest, options: SubmitOptions) -> Result<Task> {
        self.submit_job(request, options, None)
            .await
            .map(|(t, _)| t)
    }

    async fn submit_job(
        &self,
        request: &VideoRequest,
        options: SubmitOptions,
        download_dir: Option<&Path>,
    ) -> Result<(Task, String)> {
        request.validate()?;
        if options.preflight {
            self.preflight(request).await?;
        }
        let key = options
            .idempotency_key
            .clone()
            .unwrap_or_else(new_idempotency_key);
        if key.is_empty() || HeaderValue::from_str(&key).is_err() {
            return Err(Error::Config(
                "the idempotency key must be a non-empty visible ASCII string".into(),
            ));
        }
        // An unfinished journal entry under this key means an earlier process may have
        // sent it (Reading R18).
        let sent_before = self
            .inner
            .journal
            .as_ref()
            .and_then(|j| j.job(&key))
            .is_some_and(|j| j.is_unfinished());
        if let Some(j) = &self.inner.journal {
            j.record_job(&key, request, download_dir)?;
        }
        let task = self
            .post_submit(request, &key, sent_before, options.cancel.as_ref())
            .await?;
        Ok((task, key))
    }

    /// POSTs with retries and records the outcome in the journal.
    async fn post_submit(
        &self,
        request: &VideoRequest,
        key: &str,
        sent_before: bool,
        cancel: Option<&CancellationToken>,
    ) -> Result<Task> {
        let result = self
            .post_with_retries(request, key, sent_before, cancel)
            .await;
        if let Some(j) = &self.inner.journal {
            match &result {
                Ok(task) => {
                    j.record_task(key, &task.id)?;
                    if task.status == TaskStatus::Completed {
                        j.record_completed(key, task)?;
                    } else if task.status.is_failure() {
                        j.record_failed(key, &task_failed(task).to_string())?;
                    }
                }
                // Refused for good (nothing was created): the job is over.
                Err(
                    e @ Error::Api {
                        status: 400 | 401 | 402 | 404 | 409,
                        ..
                    },
                ) => {
                    j.record_failed(key, &e.to_string())?;
                }
                Err(_) => {} // unknown fate: stays pending, `resume` re-POSTs with the key
            }
        }
        result
    }

    async fn post_with_retries(
        &self,
        request: &VideoRequest,
        key: &str,
        mut sent_before: bool,
        cancel: Option<&CancellationToken>,
    ) -> Result<Task> {
        let inner = &self.inner;
        let body = serde_json::to_vec(request)
            .map_err(|e| Error::Config(format!("cannot encode the request: {e}")))?;
        let media = request.has_reference_media();
        let token = self.cancel_token();
        let mut retries = 0u32;
        let mut conflicts = 0u32;
        let mut conflict_since: Option<Instant> = None;
        loop {
            let send = async {
                // The scarce media slot first, then the general one (in `send`): never a
                // general slot held idle while the media budget is exhausted.
                let held = match (&inner.media_budget, media) {
                    (Some(b), true) => vec![b.acquire().await],
                    _ => Vec::new(),
                };
                transport::send(
                    inner,
                    Method::POST,
                    seedance_core::rules::SUBMIT_PATH,
                    Some(&body),
                    Some(key),
                    held,
                    false,
                )
                .await
            };
            let result = tokio::select! {
                r = send => r,
                _ = cancelled(&token, cancel) => return Err(Error::Cancelled),
            };
            let (error, delay, counted) = match transport::classify(inner, result) {
                Attempt::Task(task) => {
                    tracing::info!(task_id = %task.id, "submitted");
                    inner.events.emit(Event::Submitted {
                        task_id: task.id.clone(),
                        idempotency_key: key.to_owned(),
                        credits_used: task.credits_used,
                    });
                    return Ok(task);
                }
                Attempt::Failed { error, retry } => match retry {
                    Retry::No => return Err(error),
                    Retry::Conflict => {
                        // Reading R18: retry a 409 only when it is not about another body
                        // and this same submit was (maybe) sent before, or the server says
                        // the first request is still running.
                        let reason = transport::conflict_reason(&error);
                        if reason == ConflictReason::BodyMismatch
                            || !(sent_before || reason == ConflictReason::InFlight)
                        {
                            return Err(error);
                        }
                        let since = *conflict_since.get_or_insert_with(Instant::now);
                        if since.elapsed() >= inner.retry.in_flight_timeout {
                            return Err(error);
                        }
                        conflicts += 1;
                        let d = match &error {
                            Error::Api {
                                retry_after: Some(d),
                                ..
                            } => *d,
                            _ => inner
                                .retry
                                .backoff(conflicts.min(6))
                                .max(inner.retry.base / 2),
                        };
                        (error, d, false)
                    }
                    Retry::After(d) => {
                        if media && error.status() == Some(429) {
                            if let Some(b) = &inner.media_budget {
                                b.pause_until(crate::backoff::instant_after(d));
                            }
                        }
                        (error, d, true)
                    }
                    Retry::Backoff => (error, inner.retry.backoff(retries), true),
                },
            };
            if counted {
                if retries >= inner.retry.max_retries {
                    return Err(error);
                }
                retries += 1;
            }
            tracing::warn!(error = %error, delay_ms = delay.as_millis() as u64, "submit will be retried with the same key");
            inner.events.emit(Event::RetryScheduled {
                operation: "submit",
                task_id: None,
                reason: error.to_string(),
                delay,
                attempt: retries + conflicts,
            });
            sent_before = true;
            self.sleep_or_cancel(delay, &token, cancel).await?;
        }
    }

    /// Reads a task once (retrying transient failures). `Task::raw` holds the JSON. An id
    /// that is not a task id (Reading R19) is refused before anything is sent; an answer
    /// about another task is an error.
    pub async fn get_task(&self, id: &TaskId) -> Result<Task> {
        id.check().map_err(|e| Error::Config(e.to_string()))?;
        let inner = &self.inner;
        let path = format!("{}/{}", seedance_core::rules::TASKS_PATH, id.as_str());
        let token = self.cancel_token();
        let mut retries = 0u32;
        loop {
            let result = tokio::select! {
                r = transport::send(inner, Method::GET, &path, None, None, Vec::new(), false) => r,
                _ = token.cancelled() => return Err(Error::Cancelled),
            };
            let (error, delay) =
                match transport::expect_task(id, transport::classify(inner, result)) {
                    Attempt::Task(t) => return Ok(t),
                    Attempt::Failed { error, retry } => match retry {
                        Retry::No | Retry::Conflict => return Err(error),
                        Retry::After(d) => (error, d),
                        Retry::Backoff => (error, inner.retry.backoff(retries)),
                    },
                };
            if retries >= inner.retry.max_retries {
                return Err(error);
            }
            retries += 1;
            inner.events.emit(Event::RetryScheduled {
                operation: "poll",
                task_id: Some(id.clone()),
                reason: error.to_string(),
                delay,
                attempt: retries,
            });
            self.sleep_or_cancel(delay, &token, None).await?;
        }
    }

    /// Waits until the task ends (Promise 3): `completed` returns the task; `failed` and
    /// the terminal statuses of Reading R12 become [`Error::TaskFailed`]; other statuses
    /// keep waiting. Bounded by [`WaitOptions::timeout`] (30 minutes by default). All
    /// concurrent waits share one poller; dropping this future stops its polling.
    pub async fn wait(&self, id: &TaskId, options: WaitOptions) -> Result<Task> {
        id.check().map_err(|e| Error::Config(e.to_string()))?;
        let schedule = &self.inner.schedule;
        let expected = options
            .expected_render
            .or(self.inner.expected_render)
            .unwrap_or(schedule.default_expected);
        let bound = options.bound(self.inner.wait_timeout);
        let reg = Registration {
            expected: schedule.scaled(expected),
            elapsed: options.elapsed,
            learn: options.class.is_some(),
            class: options.class.clone(),
        };
        let started = Instant::now();
        // The token first: a cancel seen by anyone who saw this wait registered reaches it.
        let token = self.cancel_token();
        let (guard, rx) = self.inner.poller.register(self, id, reg);
        let timeout = async {
            match bound {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending::<()>().await,
            }
        };
        let result = tokio::select! {
            r = rx => r.unwrap_or_else(|_| Err(Error::Transport("the poller stopped".into()))),
            _ = timeout => Err(Error::WaitTimeout { task_id: id.clone(), waited: started.elapsed() }),
            _ = cancelled(&token, options.cancel.as_ref()) => Err(Error::Cancelled),
        };
        drop(guard);
        if let Some(j) = &self.inner.journal {
            if let Some(key) = j.key_for_task(id) {
                match &result {
                    Ok(task) => j.record_completed(&key, task)?,
                    Err(e @ Error::TaskFailed { .. }) => j.record_failed(&key, &e.to_string())?,
                    Err(e @ Error::Api { status: 404, .. }) => {
                        j.record_failed(&key, &e.to_string())?
                    }
                    Err(_) => {}
                }
            }
        }
        result
    }

    /// Submit + wait (+ download into [`GenerateOptions::download_dir`] as soon as the
    /// task completes). The first poll comes near the request's expected render time.
    pub async fn generate(&self, request: &VideoRequest, options: GenerateOptions) -> Result<Task> {
        let outcome = self.generate_job(request, options).await?;
        outcome.result
    }

    /// Like [`Client::generate`], also reporting the key and the files written. `Err`
    /// only when nothing was submitted (validation, preflight, journal).
    pub async fn generate_job(
        &self,
        request: &VideoRequest,
        options: GenerateOptions,
    ) -> Result<JobOutcome> {
        request.validate()?;
        // The key is chosen here, so that an outcome without a task still names it.
        let key = options
            .submit
            .idempotency_key
            .clone()
            .unwrap_or_else(new_idempotency_key);
        let submit = options.submit.clone().idempotency_key(key.clone());
        let (task, key) = match self
            .submit_job(request, submit, options.download_dir.as_deref())
            .await
        {
            Ok(x) => x,
            Err(
                e @ (Error::Validation(_)
                | Error::Preflight { .. }
                | Error::Journal(_)
                | Error::Io(_)
                | Error::Config(_)),
            ) => return Err(e),
            Err(e) => {
                return Ok(JobOutcome {
                    key,
                    task_id: None,
                    result: Err(e),
                    downloaded: None,
                })
            }
        };
        // The render starts when the server accepts the submit, not when we queued it
        // (a submit may wait minutes for the budget).
        let submitted_at = Instant::now();
        let wait = WaitOptions {
            expected_render: options
                .wait
                .expected_render
                .or(self.inner.expected_render)
                .or_else(|| Some(Duration::from_secs_f64(request.expected_render_secs()))),
            class: Some(crate::profile::class_of(request)),
            ..options.wait.clone()
        };
        Ok(self
            .finish(
                key,
                task,
                wait,
                submitted_at,
                options.download_dir,
                options.download,
            )
            .await)
    }

    /// Waits for (unless already ended) and downloads (when asked) a submitted job.
    async fn finish(
        &self,
        key: String,
        task: Task,
        wait: WaitOptions,
        since: Instant,
        download_dir: Option<PathBuf>,
        download: DownloadOptions,
    ) -> JobOutcome {
        let task_id = Some(task.id.clone());
        let result = if task.status == TaskStatus::Completed {
            Ok(task)
        } else if task.status.is_failure() {
            Err(task_failed(&task))
        } else {
            let wait = WaitOptions {
                elapsed: wait.elapsed.max(since.elapsed()),
                ..wait
            };
            self.wait(&task.id, wait).await
        };
        let mut outcome = JobOutcome {
            key,
            task_id,
            result,
            downloaded: None,
        };
        if let (Ok(task), Some(dir)) = (&outcome.result, download_dir) {
            match self.download(task, &dir, download).await {
                Ok(d) => {
                    if let Some(j) = &self.inner.journal {
                        if let Err(e) = j.record_downloaded(&outcome.key, &d) {
                            outcome.result = Err(e);
                        }
                    }
                    outcome.downloaded = Some(d);
                }
                Err(e) => outcome.result = Err(e),
            }
        }
        outcome
    }

    /// Re-attaches to every unfinished job of the journal (Promise 4), concurrently: a
    /// job whose task id was never heard is re-POSTed with its key (the server replays:
    /// no second charge); a submitted one is waited for; a completed one whose download
    /// was asked for is downloaded.
    pub async fn resume(&self) -> Result<Vec<JobOutcome>> {
        let Some(journal) = &self.inner.journal else {
            return Err(Error::Config("resume needs a journal".into()));
        };
        let jobs = journal.unfinished();
        let futures = jobs.into_iter().map(|job| self.resume_job(job));
        Ok(futures_util::future::join_all(futures).await)
    }

    async fn resume_job(&self, job: JobRecord) -> JobOutcome {
        let elapsed = Duration::from_millis(now_ms().saturating_sub(job.created_ms));
        let expected = self
            .inner
            .expected_render
            .unwrap_or_else(|| Duration::from_secs_f64(job.request.expected_render_secs()));
        let wait = WaitOptions::default().expected_render(expected).elapsed(
            seedance_core::rules::scale_duration(elapsed, self.inner.schedule.time_scale),
        );
        let now = Instant::now();
        match job.state {
            JobState::Pending => match self.post_submit(&job.request, &job.key, true, None).await {
                Ok(task) => {
                    let now = Instant::now();
                    self.finish(
                        job.key,
                        task,
                        wait.elapsed(Duration::ZERO),
                        now,
                        job.download_dir,
                        DownloadOptions::default(),
                    )
                    .await
                }
                Err(e) => JobOutcome {
                    key: job.key,
                    task_id: None,
                    result: Err(e),
                    downloaded: None,
                },
            },
            JobState::Submitted => {
                let Some(id) = job.task_id else {
                    return JobOutcome {
                        key: job.key,
                        task_id: None,
                        result: Err(Error::Journal("submitted job without a task id".into())),
                        downloaded: None,
                    };
                };
                let task = Task::new(id, TaskStatus::Processing);
                self.finish(
                    job.key,
                    task,
                    wait,
                    now,
                    job.download_dir,
                    DownloadOptions::default(),
                )
                .await
            }
            JobState::Completed { task } => {
                self.finish(
                    job.key,
                    *task,
                    wait,
                    now,
                    job.download_dir,
                    DownloadOptions::default(),
                )
                .await
            }
            JobState::Failed { message } => JobOutcome {
                key: job.key,
                task_id: job.task_id,
                result: Err(Error::Journal(format!("job already failed: {message}"))),
                downloaded: None,
            },
        }
    }
}

/// The next request of a long take: `image-to-video` from a finished clip's last frame,
/// keeping its tier and channel. When the task has no last frame, `build()` reports the
/// missing `image_url`.
///
/// ```
/// use seedance_core::{Task, TaskStatus, Mode};
/// let mut task: Task = serde_json::from_str(r#"{"id":"sd2_1","status":"completed",
///   "quality_tier":"pro","output":{"video_url":"https://cdn.example.com/v.mp4",
///   "last_frame_url":"https://cdn.example.com/f.png"}}"#).unwrap();
/// let next = seedance_http::continue_from(&task, "The train enters a tunnel").duration(8).build().unwrap();
/// assert_eq!(next.mode, Some(Mode::ImageToVideo));
/// assert_eq!(next.image_url.as_deref(), Some("https://cdn.example.com/f.png"));
/// ```
pub fn continue_from(task: &Task, prompt: impl Into<String>) -> seedance_core::VideoRequestBuilder {
    let mut b = VideoRequest::builder(prompt).mode(seedance_core::Mode::ImageToVideo);
    if let Some(u) = task.last_frame_url() {
        b = b.image_url(u);
    }
    if let Some(t) = &task.quality_tier {
        b = b.quality_tier(t.clone());
    }
    if let Some(c) = &task.channel {
        b = b.channel(c.clone());
    }
    b
}
