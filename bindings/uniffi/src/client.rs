//! `Client`: `seedance_http::Client` with foreign-friendly settings, options and errors.

use std::sync::Arc;
use std::time::Duration;

use seedance_core as core;
use seedance_http as http;

use crate::error::SeedanceError;
use crate::progress::{Call, CallFilter, CancelToken, ProgressListener};
use crate::types::{path, Downloaded, JobFilter, JobOutcome, JobRecord, Task, VideoRequest};

/// A request budget.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
#[non_exhaustive]
pub enum RateLimitSetting {
    /// No budget (for tests against an emulator without limits).
    Off,
    /// At most `requests` per `window`, shared by every call of the client.
    Limit {
        /// Requests…
        requests: u32,
        /// …per this window.
        window: Duration,
    },
}

/// Who shares the account's request budget.
#[derive(Clone, PartialEq, uniffi::Enum)]
#[non_exhaustive]
pub enum BudgetSetting {
    /// Only this client (and its calls).
    Process,
    /// Every process of this machine (the default): a small SQLite file in `dir`
    /// (unset: the SDK's data directory).
    Machine {
        /// The directory of the budget's file.
        #[uniffi(default)]
        dir: Option<String>,
    },
    /// Every machine: a Redis server, `redis://[:PASSWORD@]HOST:PORT/DB` (`rediss://` for
    /// TLS). When it cannot be reached, the machine's budget is used.
    Redis {
        /// The server's URL.
        url: String,
    },
}

impl std::fmt::Debug for BudgetSetting {
    /// As the SDK shows a budget scope: a Redis password never appears.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match budget_scope(self.clone()) {
            Ok(scope) => write!(f, "{scope:?}"),
            Err(_) => f.write_str("BudgetScope(invalid)"),
        }
    }
}

/// The SDK's scope of a setting (a Redis URL parsed by the SDK).
fn budget_scope(b: BudgetSetting) -> Result<http::BudgetScope, SeedanceError> {
    let bad = |m: String| SeedanceError::Configuration {
        detail: format!("budget: {m}"),
    };
    match b {
        BudgetSetting::Process => Ok(http::BudgetScope::Process),
        BudgetSetting::Machine { dir } => Ok(http::BudgetScope::Machine(dir.map(path))),
        BudgetSetting::Redis { url } => match http::BudgetScope::parse(&url).map_err(bad)? {
            scope @ http::BudgetScope::Redis(_) => Ok(scope),
            _ => Err(bad(
                "a Redis budget needs a redis:// or rediss:// URL".into()
            )),
        },
    }
}

/// The path of the job store the CLI and Python use by default
/// (`$XDG_DATA_HOME/seedance/jobs.sqlite3` on Linux), for `ClientSettings.jobStore` when
/// an app should share their jobs (`seedance jobs`, `seedance resume`). Nothing is created.
#[uniffi::export]
pub fn default_job_store_path() -> String {
    http::default_data_dir_path()
        .join(http::STORE_FILE_NAME)
        .to_string_lossy()
        .into_owned()
}

/// The client's settings; every unset one takes the Rust client's default (no
/// environment variable is read: use `Client.fromEnv()` for that).
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct ClientSettings {
    /// The API key (`sk_live_…`). Required.
    #[uniffi(default)]
    pub api_key: Option<String>,
    /// The API origin (default `https://seedance2ai.io`; plain http only to loopback).
    #[uniffi(default)]
    pub base_url: Option<String>,
    /// Per-request timeout (default 60 s).
    #[uniffi(default)]
    pub timeout: Option<Duration>,
    /// Connect timeout (default 10 s).
    #[uniffi(default)]
    pub connect_timeout: Option<Duration>,
    /// Retries of transient failures (default 5).
    #[uniffi(default)]
    pub max_retries: Option<u32>,
    /// The request budget (default 30 per 60 s).
    #[uniffi(default)]
    pub rate_limit: Option<RateLimitSetting>,
    /// The budget of submits with reference media (default 3 per 60 s).
    #[uniffi(default)]
    pub media_rate_limit: Option<RateLimitSetting>,
    /// Divides every poll delay (for emulators with scaled time; 1 in production).
    #[uniffi(default)]
    pub time_scale: Option<f64>,
    /// The expected render time when a wait knows nothing better.
    #[uniffi(default)]
    pub expected_render: Option<Duration>,
    /// The bound of waits that set none (default 30 minutes).
    #[uniffi(default)]
    pub wait_timeout: Option<Duration>,
    /// The `User-Agent`.
    #[uniffi(default)]
    pub user_agent: Option<String>,
    /// The job store, a SQLite file shared safely by every process using it: every job
    /// is recorded before it is sent, so `resume` finishes it after a crash (default:
    /// none). `defaultJobStorePath()` names the one the CLI and Python use.
    #[uniffi(default)]
    pub job_store: Option<String>,
    /// Who shares the request budget (default: every process of this machine, as the CLI
    /// and Python).
    #[uniffi(default)]
    pub budget: Option<BudgetSetting>,
}

/// Options of `wait`.
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct WaitOptions {
    /// Give up after this long (default: the client's bound).
    #[uniffi(default)]
    pub timeout: Option<Duration>,
    /// Wait without any bound (overrides `timeout`).
    #[uniffi(default = false)]
    pub no_timeout: bool,
    /// The expected render time (the first poll comes near it).
    #[uniffi(default)]
    pub expected_render: Option<Duration>,
}

/// Options of `generate` (submit + wait + optional download).
#[derive(Clone, Debug, Default, PartialEq, uniffi::Record)]
pub struct GenerateOptions {
    /// The `Idempotency-Key` (default: a fresh UUID). Reused on every retry.
    #[uniffi(default)]
    pub idempotency_key: Option<String>,
    /// Give up waiting after this long (default: the client's bound).
    #[uniffi(default)]
    pub timeout: Option<Duration>,
    /// Download the outputs into this file or directory on completion.
    #[uniffi(default)]
    pub download_to: Option<String>,
    /// Check the reference URLs before submitting.
    #[uniffi(default = false)]
    pub preflight: bool,
}

/// Options of `download`.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct DownloadOptions {
    /// Also fetch the last frame.
    #[uniffi(default = true)]
    pub last_frame: bool,
    /// Continue a partial download (`*.part`).
    #[uniffi(default = true)]
    pub resume: bool,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            last_frame: true,
            resume: true,
        }
    }
}

fn rate(s: RateLimitSetting) -> Option<(u32, Duration)> {
    match s {
        RateLimitSetting::Off => None,
        RateLimitSetting::Limit { requests, window } => Some((requests, window)),
    }
}

fn wait_options(o: &WaitOptions) -> http::WaitOptions {
    let mut w = http::WaitOptions::default();
    if o.no_timeout {
        w = w.no_timeout();
    } else if let Some(t) = o.timeout {
        w = w.timeout(t);
    }
    if let Some(e) = o.expected_render {
        w = w.expected_render(e);
    }
    w
}

/// The Seedance client: charged once, never rate-limited by itself, smart waiting, safe
/// downloads, nothing lost. Every method may be called concurrently; all calls share
/// one budget and one poller.
#[derive(Debug, uniffi::Object)]
pub struct Client {
    inner: http::Client,
    key: Option<http::ApiKey>,
}

impl Client {
    fn err(&self, e: http::Error) -> SeedanceError {
        SeedanceError::from_http(e, self.key.as_ref())
    }

    fn call(
        &self,
        listener: Option<Arc<dyn ProgressListener>>,
        filter: CallFilter,
        expected: Option<Duration>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Call {
        Call {
            listener,
            filter,
            expected,
            cancel,
        }
    }

    fn build(
        b: http::ClientBuilder,
        key: Option<http::ApiKey>,
    ) -> Result<Arc<Client>, SeedanceError> {
        let inner = b
            .build()
            .map_err(|e| SeedanceError::from_http(e, key.as_ref()))?;
        Ok(Arc::new(Client { inner, key }))
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Client {
    /// A client from these settings alone.
    #[uniffi::constructor]
    pub fn from_settings(settings: ClientSettings) -> Result<Arc<Client>, SeedanceError> {
        let s = settings;
        let mut b = http::Client::builder().no_env();
        let key = s.api_key.map(http::ApiKey::new);
        if let Some(k) = &key {
            b = b.api_key(k.clone());
        }
        if let Some(u) = s.base_url {
            b = b.base_url(u);
        }
        if let Some(t) = s.timeout {
            b = b.timeout(t);
        }
        if let Some(t) = s.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(n) = s.max_retries {
            b = b.max_retries(n);
        }
        if let Some(r) = s.rate_limit {
            b = match rate(r) {
                Some((n, w)) => b.rate_limit(n, w),
                None => b.no_rate_limit(),
            };
        }
        if let Some(r) = s.media_rate_limit {
            b = match rate(r) {
                Some((n, w)) => b.media_rate_limit(n, w),
                None => b.no_media_rate_limit(),
            };
        }
        if let Some(scale) = s.time_scale {
            let scale =
                seedance_core::rules::TimeScale::checked("time_scale", scale).map_err(|e| {
                    SeedanceError::Configuration {
                        detail: e.to_string(),
                    }
                })?;
            b = b.poll_schedule(http::PollSchedule::default().time_scale(scale));
        }
        if let Some(e) = s.expected_render {
            b = b.expected_render(e);
        }
        if let Some(t) = s.wait_timeout {
            b = b.wait_timeout(t);
        }
        if let Some(ua) = s.user_agent {
            b = b.user_agent(ua);
        }
        if let Some(p) = s.job_store {
            b = b.journal_path(p);
        }
        b = b.budget(match s.budget {
            Some(setting) => budget_scope(setting)?,
            None => http::BudgetScope::Machine(None),
        });
        Client::build(b, key)
    }

    /// A client from the `SEEDANCE_*` environment variables (`SEEDANCE_API_KEY`,
    /// `SEEDANCE_BASE_URL`, `SEEDANCE_BUDGET`, …; the same table as the Rust client and
    /// the CLI).
    #[uniffi::constructor]
    pub fn from_env() -> Result<Arc<Client>, SeedanceError> {
        let key = std::env::var("SEEDANCE_API_KEY")
            .ok()
            .map(http::ApiKey::new);
        let mut b = http::Client::builder();
        // the machine's budget unless SEEDANCE_BUDGET (read by the builder) says otherwise
        if std::env::var("SEEDANCE_BUDGET").map_or(true, |v| v.trim().is_empty()) {
            b = b.budget(http::BudgetScope::Machine(None));
        }
        Client::build(b, key)
    }

    /// The API origin in use.
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// Requests sent to the API so far by this client (none when the budget is off).
    pub fn requests_sent(&self) -> Option<u64> {
        self.inner.requests_sent()
    }

    /// Tasks being watched by the poller right now (0 once every wait ended or was
    /// dropped).
    pub fn waits_in_progress(&self) -> u32 {
        u32::try_from(self.inner.waits_in_progress()).unwrap_or(u32::MAX)
    }

    /// Cancels every call in progress (they end with `Cancelled`); later calls run.
    pub fn cancel_all(&self) {
        self.inner.cancel_all();
    }

    /// Submits a request (validated first: nothing is sent when it breaks a rule), with
    /// an `Idempotency-Key` reused on every retry: charged once.
    #[uniffi::method(default(idempotency_key = None, listener = None, cancel = None))]
    pub async fn submit(
        &self,
        request: VideoRequest,
        idempotency_key: Option<String>,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Task, SeedanceError> {
        let req = core::VideoRequest::from(request);
        let key = idempotency_key.unwrap_or_else(http::new_idempotency_key);
        let opts = http::SubmitOptions::default().idempotency_key(key.clone());
        let call = self.call(listener, CallFilter::key(&key), None, cancel);
        call.run(&self.inner, self.inner.submit(&req, opts))
            .await
            .map(|t| Task::from(&t))
            .map_err(|e| self.err(e))
    }

    /// Reads a task once (transient failures retried).
    #[uniffi::method(default(cancel = None))]
    pub async fn get_task(
        &self,
        task_id: String,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Task, SeedanceError> {
        let id = core::TaskId::from(task_id);
        let call = self.call(None, CallFilter::all(), None, cancel);
        call.run(&self.inner, self.inner.get_task(&id))
            .await
            .map(|t| Task::from(&t))
            .map_err(|e| self.err(e))
    }

    /// Waits until the task ends: `completed` returns it, `failed` throws `TaskFailed`,
    /// running past the bound throws `WaitTimeout`.
    #[uniffi::method(default(options = None, listener = None, cancel = None))]
    pub async fn wait(
        &self,
        task_id: String,
        options: Option<WaitOptions>,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Task, SeedanceError> {
        let o = options.unwrap_or_default();
        let call = self.call(
            listener,
            CallFilter::task(&task_id),
            o.expected_render,
            cancel,
        );
        let id = core::TaskId::from(task_id);
        call.run(&self.inner, self.inner.wait(&id, wait_options(&o)))
            .await
            .map(|t| Task::from(&t))
            .map_err(|e| self.err(e))
    }

    /// Submit + wait (+ download, when `options.downloadTo` is set).
    #[uniffi::method(default(options = None, listener = None, cancel = None))]
    pub async fn generate(
        &self,
        request: VideoRequest,
        options: Option<GenerateOptions>,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Task, SeedanceError> {
        let o = options.unwrap_or_default();
        let req = core::VideoRequest::from(request);
        let key = o
            .idempotency_key
            .clone()
            .unwrap_or_else(http::new_idempotency_key);
        let mut opts = http::GenerateOptions::default()
            .idempotency_key(key.clone())
            .wait(wait_options(&WaitOptions {
                timeout: o.timeout,
                ..WaitOptions::default()
            }));
        opts.submit.preflight = o.preflight;
        if let Some(dir) = o.download_to {
            opts = opts.download_to(path(dir));
        }
        let expected = Some(req.expected_render_time());
        let call = self.call(listener, CallFilter::key(&key), expected, cancel);
        call.run(&self.inner, self.inner.generate(&req, opts))
            .await
            .map(|t| Task::from(&t))
            .map_err(|e| self.err(e))
    }

    /// Downloads a completed task's video (and last frame) into a file or directory,
    /// streaming to `*.part` and renaming when complete. The key is never sent to the CDN.
    #[uniffi::method(default(options = None, listener = None, cancel = None))]
    pub async fn download(
        &self,
        task: Task,
        path: String,
        options: Option<DownloadOptions>,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Downloaded, SeedanceError> {
        let o = options.unwrap_or_default();
        let task = core::Task::from(task);
        let opts = http::DownloadOptions::default()
            .last_frame(o.last_frame)
            .resume(o.resume);
        let dest = crate::types::path(path);
        let call = self.call(listener, CallFilter::task(task.id.as_str()), None, cancel);
        call.run(&self.inner, self.inner.download(&task, &dest, opts))
            .await
            .map(|d| Downloaded::from(&d))
            .map_err(|e| self.err(e))
    }

    /// Finishes every unfinished job of the job store (re-submits with the same key:
    /// no second charge; waits; downloads when asked).
    #[uniffi::method(default(listener = None, cancel = None))]
    pub async fn resume(
        &self,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<Vec<JobOutcome>, SeedanceError> {
        let call = self.call(listener, CallFilter::all(), None, cancel);
        let outcomes = call
            .run(&self.inner, self.inner.resume())
            .await
            .map_err(|e| self.err(e))?;
        Ok(outcomes
            .into_iter()
            .map(|o| {
                let (task, error) = match o.result {
                    Ok(t) => (Some(Task::from(&t)), None),
                    Err(e) => (None, Some(self.err(e).to_string())),
                };
                JobOutcome {
                    key: o.key,
                    task_id: o.task_id.map(|t| t.as_str().to_owned()),
                    task,
                    error,
                    downloaded: o.downloaded.as_ref().map(Downloaded::from),
                }
            })
            .collect())
    }

    /// Every job of the job store (every origin and account), oldest first.
    pub async fn jobs(&self) -> Result<Vec<JobRecord>, SeedanceError> {
        self.jobs_filtered(JobFilter::default()).await
    }

    /// The jobs of the job store `filter` lets through (states, origin, age, unfinished,
    /// this client's origin and account only), oldest first.
    pub async fn jobs_filtered(&self, filter: JobFilter) -> Result<Vec<JobRecord>, SeedanceError> {
        match self.inner.journal() {
            Some(j) => Ok(j
                .list(&filter.to_store(self.inner.job_scope()))
                .map_err(|e| self.err(e))?
                .jobs
                .iter()
                .filter_map(JobRecord::from_store)
                .collect()),
            None => Err(SeedanceError::Configuration {
                detail: "no job store: set ClientSettings.jobStore".into(),
            }),
        }
    }
}
