//! `Client`: the handle (cheap clones over one `Inner`), its construction from the
//! builder's settings (`ClientBuilder::build`), accessors, events and cancellation. It
//! sits on the [`Transport`] (connection, budgets, the retry loop), the [`Poller`] and the
//! job store; what it does lives beside it: submitting in `submit`, reading and waiting
//! in `wait`, generate and resume in `jobs`, downloads and preflight in `download`. Those
//! modules see the client only through the narrow accessors below (`Inner`'s fields are
//! private to this module).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use seedance_core::{Task, VideoRequest};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::budget::{BudgetStatus, RateLimit};
use crate::config::{ClientBuilder, Settings};
use crate::download::Downloads;
use crate::error::Result;
use crate::events::{Callback, Event, EventBus};
use crate::options::{DownloadOptions, Downloaded, PollSchedule};
use crate::poller::Poller;
use crate::store::{JobScope, JobStore};
use crate::transport::Transport;

struct Inner {
    transport: Arc<Transport>,
    schedule: PollSchedule,
    /// The client-wide expected render time (model time), when set.
    expected_render: Option<Duration>,
    /// The bound of a wait whose options set none.
    wait_timeout: Option<Duration>,
    journal: Option<JobStore>,
    /// The origin and account this client's jobs belong to.
    scope: JobScope,
    /// Reading R28: re-POSTs of lost answers older than this need `resubmit_stale`.
    idempotency_retention: Duration,
    poller: Arc<Poller>,
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
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.transport.base_url().as_str())
            .field("api_key", self.inner.transport.api_key())
            .field("rate_limit", &self.inner.transport.rate_limit())
            .field("journal", &self.inner.journal.as_ref().map(JobStore::path))
            .finish_non_exhaustive()
    }
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

impl ClientBuilder {
    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        let no_env = self.no_env;
        self.build_with_env(|name| {
            if no_env {
                None
            } else {
                std::env::var(name).ok().filter(|v| !v.trim().is_empty())
            }
        })
    }

    pub(crate) fn build_with_env(mut self, env: impl Fn(&str) -> Option<String>) -> Result<Client> {
        let settings = self.settings(&env)?;
        Client::from_parts(
            settings,
            self.http_client.take(),
            std::mem::take(&mut self.callbacks),
        )
    }
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
        let events = EventBus::new(callbacks);
        let transport = Arc::new(Transport::new(&s, http, events)?);
        let scope = JobScope::new(s.base_url.as_str(), s.api_key.expose());
        let profile = crate::profile::Profile::open(
            s.render_profile.clone(),
            &crate::profile::origin_key(&s.base_url),
            &s.poll_schedule,
        );
        let poller = Poller::new(profile, Arc::clone(&transport), s.poll_schedule.clone());
        Ok(Client {
            inner: Arc::new(Inner {
                transport,
                schedule: s.poll_schedule,
                expected_render: s.expected_render,
                wait_timeout: s.wait_timeout,
                journal: s.journal,
                scope,
                idempotency_retention: s.idempotency_retention,
                poller: Arc::new(poller),
                cancel: Mutex::new(CancellationToken::new()),
            }),
        })
    }

    /// The transport under this client (connection, budgets, the retry loop, events).
    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// The shared poller.
    pub(crate) fn poller(&self) -> &Arc<Poller> {
        &self.inner.poller
    }

    /// The poll schedule (its default expected render time and time scale).
    pub(crate) fn schedule(&self) -> &PollSchedule {
        &self.inner.schedule
    }

    /// The client-wide expected render time (model time), when set.
    pub(crate) fn expected_render(&self) -> Option<Duration> {
        self.inner.expected_render
    }

    /// Reading R28: re-POSTs of lost answers older than this need `resubmit_stale`.
    pub(crate) fn idempotency_retention(&self) -> Duration {
        self.inner.idempotency_retention
    }

    fn cancel_lock(&self) -> MutexGuard<'_, CancellationToken> {
        self.inner.cancel.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The client-wide cancellation token: cancelling it stops every call in progress
    /// on this client and its clones with [`Error::Cancelled`](crate::Error::Cancelled). Calls started after
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
        self.inner.transport.events().subscribe()
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
        self.inner.transport.base_url().as_str()
    }

    /// The time scale of the poll schedule (the builder's, else `SEEDANCE_TIME_SCALE`, else
    /// real time): how much faster than the model the server renders, as for an emulator.
    ///
    /// ```
    /// use seedance_core::rules::TimeScale;
    /// use seedance_http::{Client, PollSchedule};
    /// let c = Client::builder().no_env().api_key("sk_test_x")
    ///     .poll_schedule(PollSchedule::default().time_scale(TimeScale::new(1000.0).unwrap()))
    ///     .build()?;
    /// assert_eq!(c.time_scale().get(), 1000.0);
    /// # Ok::<(), seedance_http::Error>(())
    /// ```
    pub fn time_scale(&self) -> seedance_core::rules::TimeScale {
        self.inner.schedule.time_scale
    }

    /// The request budget in force (`None`: off).
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.inner.transport.rate_limit()
    }

    /// The bound of a wait whose [`crate::WaitOptions`] set none (`None`: it lasts until
    /// its task ends): [`ClientBuilder::wait_timeout`](crate::ClientBuilder::wait_timeout)
    /// or [`no_wait_timeout`](crate::ClientBuilder::no_wait_timeout), else
    /// `SEEDANCE_WAIT_TIMEOUT`, else [`crate::DEFAULT_WAIT_TIMEOUT`].
    pub fn wait_timeout(&self) -> Option<Duration> {
        self.inner.wait_timeout
    }

    /// Requests this client (and its clones) has sent to the API so far.
    pub fn requests_sent(&self) -> Option<u64> {
        self.inner.transport.requests_sent()
    }

    /// The account's current use of its budgets, from the backend in use (in-process,
    /// machine-wide or Redis): slots in flight and in their window, the next free slot,
    /// any pause after a 429, processes waiting.
    pub async fn budget_status(&self) -> Result<BudgetStatus> {
        self.inner.transport.budget_status().await
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

    /// Downloads a completed task's video (and last frame) into `dest`: a directory
    /// (existing, ending in `/`, or without an extension: [`crate::is_output_dir`]) gets
    /// `{task_id}.mp4` and `{task_id}_last_frame.png`;
    /// a file path names the video and the frame goes beside it. Sends no API key
    /// (the URLs are on a CDN). Streams to `*.part` and renames when complete and the
    /// size checks out; a `*.part` left by an interrupted download is continued with a
    /// Range request.
    pub async fn download(
        &self,
        task: &Task,
        dest: &Path,
        options: DownloadOptions,
    ) -> Result<Downloaded> {
        Downloads::new(self.transport(), self.cancel_token())
            .download(task, dest, options)
            .await
    }

    /// Checks every reference URL of the request without the API key (Promise 5): it
    /// answers, its content type fits the field (an image for `image_url` and
    /// `end_image_url`, an image or a video for `media_urls`), a frame is at most 30 MB,
    /// and a video supports Range requests (the server probes its duration).
    pub async fn preflight(&self, request: &VideoRequest) -> Result<()> {
        Downloads::new(self.transport(), self.cancel_token())
            .preflight(request)
            .await
    }
}
