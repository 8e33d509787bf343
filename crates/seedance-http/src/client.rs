//! `Client`: submit, get_task, wait, generate, resume.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::Method;
use seedance_core::{Task, TaskId, TaskStatus, VideoRequest};
use tokio::sync::broadcast;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::budget::{self, Budget, BudgetStatus, Pool, RateLimit};
use crate::config::{ClientBuilder, Settings};
use crate::error::{Error, Result};
use crate::events::{Callback, Event, EventBus};
use crate::options::{
    DownloadOptions, Downloaded, GenerateOptions, PollSchedule, ResumeOptions, SubmitOptions,
    WaitOptions,
};
use crate::poller::{task_failed, Poller, Registration};
use crate::secret::ApiKey;
use crate::store::{Change, Charge, JobRecord, JobScope, JobState, JobStore};
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

/// What the attempts of one submit call did.
#[derive(Default)]
struct Trace {
    /// Some attempt may have reached the server.
    reached: bool,
    /// Before the last answer, this submit may have reached the server (an earlier
    /// attempt or process).
    earlier: bool,
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
        let key = options
            .idempotency_key
            .clone()
            .unwrap_or_else(new_idempotency_key);
        // Reading R26, before anything is sent or journaled.
        seedance_core::rules::check_idempotency_key(&key)
            .map_err(|e| Error::Config(e.to_string()))?;
        if options.preflight {
            self.preflight(request).await?;
        }
        let body = serde_json::to_string(request)
            .map_err(|e| Error::Config(format!("cannot encode the request: {e}")))?;
        // A job of this scope under this key that may have been sent before (an earlier
        // process) counts as "sent before" for Reading R18; its stored body is re-sent.
        let output = download_dir.or(options.output.as_deref());
        let (body, sent_before) = match &self.inner.journal {
            Some(j) => {
                let r = j.record_job(&self.inner.scope, &key, &body, output)?;
                (r.body, r.sent_before)
            }
            None => (body, false),
        };
        let task = self
            .post_submit(
                body.as_bytes(),
                request.has_reference_media(),
                &key,
                sent_before,
                options.cancel.as_ref(),
            )
            .await?;
        Ok((task, key))
    }

    fn store_update(&self, key: &str, change: Change<'_>) -> Result<()> {
        match &self.inner.journal {
            Some(j) => j.update(&self.inner.scope, key, &change),
            None => Ok(()),
        }
    }

    /// POSTs with retries and records each step and the outcome in the store.
    async fn post_submit(
        &self,
        body: &[u8],
        media: bool,
        key: &str,
        sent_before: bool,
        cancel: Option<&CancellationToken>,
    ) -> Result<Task> {
        // Written before the first byte leaves: a crash from here on may have charged.
        self.store_update(
            key,
            Change {
                state: Some(JobState::Sent),
                charge: Some(Charge::MayBeCharged),
                only_from: &[JobState::Pending, JobState::Sent, JobState::Interrupted],
                ..Change::default()
            },
        )?;
        let mut trace = Trace {
            reached: sent_before,
            earlier: sent_before,
        };
        let result = self
            .post_with_retries(body, media, key, sent_before, cancel, &mut trace)
            .await;
        let reached = trace.reached;
        if self.inner.journal.is_none() {
            return result;
        }
        match result {
            Ok(task) => {
                self.store_update(
                    key,
                    Change {
                        state: Some(JobState::Submitted),
                        charge: Some(Charge::Charged),
                        task_id: Some(&task.id),
                        ..Change::default()
                    },
                )?;
                if task.status == TaskStatus::Completed {
                    self.store_update(
                        key,
                        Change {
                            state: Some(JobState::Completed),
                            task: Some(&task),
                            ..Change::default()
                        },
                    )?;
                } else if task.status.is_failure() {
                    let e = task_failed(&task).to_string();
                    self.store_update(
                        key,
                        Change {
                            state: Some(JobState::Failed),
                            task: Some(&task),
                            last_error: Some(&e),
                            ..Change::default()
                        },
                    )?;
                }
                Ok(task)
            }
            // Reading R18: a 409 to a submit that may have reached the server before is
            // never final: the job stays "may be charged" for `resume`.
            Err(e @ Error::Api { status: 409, .. })
                if seedance_core::rules::conflict_leaves_job_open(trace.earlier) =>
            {
                let e = may_be_charged(e, key);
                self.keep_open(key, &e)?;
                Err(e)
            }
            // Refused (nothing was created): the job is over, not charged.
            Err(
                e @ Error::Api {
                    status: 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 422,
                    ..
                },
            ) => {
                let m = e.to_string();
                self.store_update(
                    key,
                    Change {
                        state: Some(JobState::Failed),
                        charge: Some(Charge::RefusedNotCharged),
                        last_error: Some(&m),
                        ..Change::default()
                    },
                )?;
                Err(e)
            }
            Err(Error::Cancelled) => {
                self.store_update(
                    key,
                    Change {
                        state: Some(JobState::Interrupted),
                        charge: Some(if reached {
                            Charge::MayBeCharged
                        } else {
                            Charge::NeverSent
                        }),
                        ..Change::default()
                    },
                )?;
                Err(Error::Cancelled)
            }
            // Provably never reached a server: nothing charged, the job is over (the
            // caller saw it fail; `resume` does not send it later).
            Err(e) if !reached => {
                let m = e.to_string();
                self.store_update(
                    key,
                    Change {
                        state: Some(JobState::Failed),
                        charge: Some(Charge::NeverSent),
                        last_error: Some(&m),
                        ..Change::default()
                    },
                )?;
                Err(e)
            }
            // Unknown fate: stays sent ("may be charged"), `resume` re-POSTs with the key.
            Err(e) => {
                let e = may_be_charged(e, key);
                self.keep_open(key, &e)?;
                Err(e)
            }
        }
    }

    fn keep_open(&self, key: &str, e: &Error) -> Result<()> {
        let m = e.to_string();
        self.store_update(
            key,
            Change {
                state: Some(JobState::Sent),
                charge: Some(Charge::MayBeCharged),
                last_error: Some(&m),
                only_from: &[JobState::Pending, JobState::Sent, JobState::Interrupted],
                ..Change::default()
            },
        )
    }

    /// `reached` becomes true once an attempt may have reached the server.
    async fn post_with_retries(
        &self,
        body: &[u8],
        media: bool,
        key: &str,
        mut sent_before: bool,
        cancel: Option<&CancellationToken>,
        trace: &mut Trace,
    ) -> Result<Task> {
        let inner = &self.inner;
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
                    Some(body),
                    Some(key),
                    held,
                    false,
                )
                .await
            };
            let result = tokio::select! {
                r = send => r,
                _ = cancelled(&token, cancel) => {
                    // it may have left already
                    trace.reached = true;
                    return Err(Error::Cancelled);
                }
            };
            let unsent = matches!(&result, Err(e) if e.unsent);
            trace.earlier = sent_before;
            if !unsent {
                trace.reached = true;
            }
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
                        if !transport::conflict_is_retried(&error, sent_before) {
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
            sent_before |= !unsent;
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
        // Only a job of this client's origin and account is touched: a 404 from another
        // server says nothing about a task of this one.
        if let Some(j) = &self.inner.journal {
            if let Some(job) = j.job_for_task(&self.inner.scope, id)? {
                const OPEN: &[JobState] = &[
                    JobState::Pending,
                    JobState::Sent,
                    JobState::Submitted,
                    JobState::Interrupted,
                    JobState::Completed,
                ];
                let m = result.as_ref().err().map(ToString::to_string);
                let change = match &result {
                    Ok(task) => Some(Change {
                        state: Some(JobState::Completed),
                        task: Some(task),
                        only_from: OPEN,
                        ..Change::default()
                    }),
                    Err(Error::TaskFailed { .. } | Error::Api { status: 404, .. }) => {
                        Some(Change {
                            state: Some(JobState::Failed),
                            last_error: m.as_deref(),
                            only_from: OPEN,
                            ..Change::default()
                        })
                    }
                    Err(Error::Cancelled) => Some(Change {
                        state: Some(JobState::Interrupted),
                        only_from: &[JobState::Submitted],
                        ..Change::default()
                    }),
                    Err(_) => Some(Change {
                        last_error: m.as_deref(),
                        ..Change::default()
                    }),
                };
                if let Some(c) = change {
                    j.update_row(job.id, &c)?;
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
                    let r = self.store_update(
                        &outcome.key,
                        Change {
                            state: Some(JobState::Downloaded),
                            downloaded: Some(&d),
                            ..Change::default()
                        },
                    );
                    if let Err(e) = r {
                        outcome.result = Err(e);
                    }
                    outcome.downloaded = Some(d);
                }
                Err(e) => {
                    let m = e.to_string();
                    // stays completed: `resume` downloads again
                    let _ = self.store_update(
                        &outcome.key,
                        Change {
                            last_error: Some(&m),
                            ..Change::default()
                        },
                    );
                    outcome.result = Err(e);
                }
            }
        }
        outcome
    }

    /// Re-attaches to every unfinished job of this client's origin and account in the
    /// store (Promise 4), concurrently: a job whose task id was never heard is re-POSTed
    /// with its key and its stored body (the server replays: no second charge); a
    /// submitted one is waited for; a completed one whose download was asked for is
    /// downloaded. Jobs of other origins or accounts are left alone; a job whose submit
    /// never reached a server or was refused is not sent. See [`Client::resume_with`].
    pub async fn resume(&self) -> Result<Vec<JobOutcome>> {
        self.resume_with(ResumeOptions::default()).await
    }

    /// [`Client::resume`] with options: a job whose answer was lost longer ago than the
    /// idempotency retention ([`ClientBuilder::idempotency_retention`], Reading R28) is
    /// re-POSTed only with [`ResumeOptions::resubmit_stale`] (else its outcome says why).
    pub async fn resume_with(&self, options: ResumeOptions) -> Result<Vec<JobOutcome>> {
        let Some(store) = &self.inner.journal else {
            return Err(Error::Config("resume needs a job store".into()));
        };
        // Jobs imported from an old journal recorded no origin: the first resume adopts them.
        store.adopt_unscoped(&self.inner.scope)?;
        let jobs: Vec<JobRecord> = store
            .unfinished()?
            .into_iter()
            .filter(|j| j.scope == self.inner.scope)
            .collect();
        let futures = jobs
            .into_iter()
            .map(|job| self.resume_job(job, options.resubmit_stale));
        Ok(futures_util::future::join_all(futures).await)
    }

    async fn resume_job(&self, job: JobRecord, resubmit_stale: bool) -> JobOutcome {
        let now_ms = crate::store::now_ms();
        let elapsed = Duration::from_millis(now_ms.saturating_sub(job.times.created_ms));
        let expected = self
            .inner
            .expected_render
            .or_else(|| job.expected_render())
            .unwrap_or(self.inner.schedule.default_expected);
        let wait = WaitOptions::default().expected_render(expected).elapsed(
            seedance_core::rules::scale_duration(elapsed, self.inner.schedule.time_scale),
        );
        let now = Instant::now();
        let failed = |key: String, task_id: Option<TaskId>, e: Error| JobOutcome {
            key,
            task_id,
            result: Err(e),
            downloaded: None,
        };
        let task = match (job.state, job.task_id.clone(), job.task.clone()) {
            (JobState::Completed, _, Some(task)) => *task,
            (JobState::Submitted | JobState::Interrupted | JobState::Completed, Some(id), _) => {
                Task::new(id, TaskStatus::Processing)
            }
            (JobState::Pending | JobState::Sent | JobState::Interrupted, None, _) => {
                let sent_before = job.charge != Charge::NeverSent;
                let since = job.times.sent_ms.unwrap_or(job.times.created_ms);
                let age = Duration::from_millis(now_ms.saturating_sub(since));
                if sent_before && age > self.inner.idempotency_retention && !resubmit_stale {
                    return failed(
                        job.key.clone(),
                        None,
                        Error::Journal(format!(
                            "job {key}: its submit went out {age} ago and no answer was heard; that is \
                             longer than the server is assumed to remember its idempotency key ({ret}), \
                             so sending it again may create and charge a second task: not sent \
                             (resume with --resubmit-stale to send it anyway, or `seedance jobs forget {key}`)",
                            key = job.key,
                            age = humantime::format_duration(Duration::from_secs(age.as_secs())),
                            ret = humantime::format_duration(self.inner.idempotency_retention),
                        )),
                    );
                }
                let media = job
                    .request
                    .as_ref()
                    .is_none_or(VideoRequest::has_reference_media);
                match self
                    .post_submit(
                        job.request_json.as_bytes(),
                        media,
                        &job.key,
                        sent_before,
                        None,
                    )
                    .await
                {
                    Ok(task) => {
                        let now = Instant::now();
                        return self
                            .finish(
                                job.key,
                                task,
                                wait.elapsed(Duration::ZERO),
                                now,
                                job.output,
                                DownloadOptions::default(),
                            )
                            .await;
                    }
                    Err(e) => return failed(job.key, None, e),
                }
            }
            (state, task_id, _) => {
                return failed(
                    job.key.clone(),
                    task_id,
                    Error::Journal(format!(
                        "job {} is {state} without what resuming it needs",
                        job.key
                    )),
                )
            }
        };
        self.finish(
            job.key,
            task,
            wait,
            now,
            job.output,
            DownloadOptions::default(),
        )
        .await
    }
}

/// Adds to a submit's error that it may have been charged, with its key and the way on.
fn may_be_charged(e: Error, key: &str) -> Error {
    let note = format!(
        " — the submit (idempotency key {key}) may have reached the server and may be charged; \
         the job is kept: `seedance resume` finishes it later with the same key, without paying again"
    );
    match e {
        Error::Transport(m) => Error::Transport(m + &note),
        Error::Api {
            status,
            mut error,
            retry_after,
        } => {
            error.message.push_str(&note);
            Error::Api {
                status,
                error,
                retry_after,
            }
        }
        other => other,
    }
}

/// The next request of a long take: `image-to-video` from a finished clip's last frame,
/// keeping its tier and channel ([`Task::continue_from`], the core's rule).
///
/// ```
/// use seedance_core::{Mode, Task};
/// let task = Task::from_json(br#"{"id":"sd2_1","status":"completed",
///   "output":{"last_frame_url":"https://cdn.example.com/f.png"}}"#).unwrap();
/// let next = seedance_http::continue_from(&task, "The train enters a tunnel").build().unwrap();
/// assert_eq!(next.mode, Some(Mode::ImageToVideo));
/// ```
pub fn continue_from(task: &Task, prompt: impl Into<String>) -> seedance_core::VideoRequestBuilder {
    task.continue_from(prompt)
}
