//! `ClientBuilder`: settings from code, else from `SEEDANCE_*` variables, else defaults.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::budget::{BudgetScope, RateLimit};
use crate::error::{ConfigError, Error, Result};
use crate::events::{Callback, Event};
use crate::options::{PollSchedule, WaitTimeout};
use crate::secret::ApiKey;
use crate::store::JobStore;
use crate::RetryPolicy;

/// The default per-request timeout (connect + response) of API calls.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a [`Client`](crate::Client). Every setting not given here is read from its `SEEDANCE_*`
/// variable at [`build`](ClientBuilder::build) time (unless [`no_env`](ClientBuilder::no_env)):
///
/// | variable | setting | example |
/// |---|---|---|
/// | `SEEDANCE_API_KEY` | [`api_key`](ClientBuilder::api_key) | `sk_live_…` |
/// | `SEEDANCE_BASE_URL` | [`base_url`](ClientBuilder::base_url) | `https://seedance2ai.io` |
/// | `SEEDANCE_TIMEOUT` | [`timeout`](ClientBuilder::timeout), seconds | `60` |
/// | `SEEDANCE_CONNECT_TIMEOUT` | [`connect_timeout`](ClientBuilder::connect_timeout), seconds | `10` |
/// | `SEEDANCE_MAX_RETRIES` | [`max_retries`](ClientBuilder::max_retries) | `5` |
/// | `SEEDANCE_RATE_LIMIT` | [`rate_limit`](ClientBuilder::rate_limit), `N/SECONDS` or `off` | `30/60` |
/// | `SEEDANCE_MEDIA_RATE_LIMIT` | [`media_rate_limit`](ClientBuilder::media_rate_limit) | `3/60` |
/// | `SEEDANCE_BUDGET` | [`budget`](ClientBuilder::budget): `process`, `machine` or `redis://…` | `redis://10.0.0.5:6379/0` |
/// | `SEEDANCE_USER_AGENT` | [`user_agent`](ClientBuilder::user_agent) | `my-app/1.0` |
/// | `SEEDANCE_TIME_SCALE` | [`PollSchedule::time_scale`] | `1000` |
/// | `SEEDANCE_POLL_INTERVAL` | [`PollSchedule::min_interval`] | `2s` |
/// | `SEEDANCE_POLL_MAX_INTERVAL` | [`PollSchedule::max_interval`] | `30s` |
/// | `SEEDANCE_EXPECTED_RENDER` | [`expected_render`](ClientBuilder::expected_render) | `3m` |
/// | `SEEDANCE_WAIT_TIMEOUT` | [`wait_timeout`](ClientBuilder::wait_timeout), or `none` ([`no_wait_timeout`](ClientBuilder::no_wait_timeout)) | `45m` |
/// | `SEEDANCE_JOURNAL` | [`journal_path`](ClientBuilder::journal_path) | none (the CLI: `$XDG_DATA_HOME/seedance/jobs.sqlite3`) |
///
/// Durations are seconds (`90`, `2.5`) or human forms (`90s`, `5m`, `1h30m`); budgets are
/// `N/WINDOW` (`30/60s`, `30/1m`) or `off`. One parser reads them all ([`crate::env`]),
/// the same one the CLI's flags and the Python binding use. A setting given in code wins
/// over its variable; a [`poll_schedule`](ClientBuilder::poll_schedule) given in code
/// wins over the three schedule variables.
///
/// Proxies come from the environment as reqwest reads them (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY`, `NO_PROXY`).
///
/// ```
/// use std::time::Duration;
/// let client = seedance_http::Client::builder()
///     .no_env()
///     .api_key("sk_test_x")
///     .base_url("http://127.0.0.1:9")
///     .rate_limit(30, Duration::from_secs(60))
///     .build()?;
/// assert!(!format!("{client:?}").contains("sk_test_x"));
/// # Ok::<(), seedance_http::Error>(())
/// ```
#[must_use]
#[derive(Default)]
pub struct ClientBuilder {
    pub(crate) api_key: Option<ApiKey>,
    pub(crate) base_url: Option<String>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) rate_limit: RateLimitSetting,
    pub(crate) media_rate_limit: RateLimitSetting,
    pub(crate) budget: Option<BudgetScope>,
    pub(crate) poll_schedule: Option<PollSchedule>,
    pub(crate) expected_render: Option<Duration>,
    /// [`WaitTimeout::ClientDefault`]: not set in code (`SEEDANCE_WAIT_TIMEOUT`, else
    /// [`crate::DEFAULT_WAIT_TIMEOUT`]).
    pub(crate) wait_timeout: WaitTimeout,
    pub(crate) user_agent: Option<String>,
    pub(crate) max_body_bytes: Option<u64>,
    pub(crate) max_download_bytes: Option<u64>,
    pub(crate) download_deadline: Option<Duration>,
    pub(crate) http_client: Option<reqwest::Client>,
    pub(crate) journal: Option<JobStore>,
    pub(crate) journal_path: Option<PathBuf>,
    pub(crate) no_journal: bool,
    pub(crate) render_profile: Option<Option<PathBuf>>,
    pub(crate) idempotency_retention: Option<Duration>,
    pub(crate) callbacks: Vec<Callback>,
    pub(crate) no_env: bool,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

/// A client-side budget as the builder holds it: the default (the variable, else the
/// spec's limit), a budget of its own, or none.
///
/// ```
/// use seedance_http::{RateLimit, RateLimitSetting};
/// assert_eq!(RateLimitSetting::default(), RateLimitSetting::Default);
/// let own = RateLimitSetting::Custom(RateLimit::MEDIA);
/// assert_ne!(own, RateLimitSetting::Off);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitSetting {
    /// `SEEDANCE_RATE_LIMIT` / `SEEDANCE_MEDIA_RATE_LIMIT` when set, else the spec's
    /// limit ([`RateLimit::ACCOUNT`], [`RateLimit::MEDIA`]).
    #[default]
    Default,
    /// This budget.
    Custom(RateLimit),
    /// No client-side budget (not recommended).
    Off,
}

/// Settings after the environment was read.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) api_key: ApiKey,
    pub(crate) base_url: url::Url,
    pub(crate) timeout: Duration,
    pub(crate) max_body_bytes: u64,
    pub(crate) max_download_bytes: u64,
    pub(crate) download_deadline: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) media_rate_limit: Option<RateLimit>,
    pub(crate) budget: BudgetScope,
    pub(crate) poll_schedule: PollSchedule,
    pub(crate) expected_render: Option<Duration>,
    pub(crate) wait_timeout: Option<Duration>,
    pub(crate) user_agent: String,
    pub(crate) journal: Option<JobStore>,
    pub(crate) render_profile: Option<PathBuf>,
    pub(crate) idempotency_retention: Duration,
}

/// Reads variable `name` with `parse` (the one parser of [`crate::env`]).
fn var<T>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> Result<Option<T>> {
    match env(name) {
        None => Ok(None),
        Some(v) => parse(&v).map(Some).map_err(|problem| {
            Error::Config(ConfigError::InvalidVariable {
                name: name.to_owned(),
                value: crate::secret::scrub_userinfo(&v),
                problem,
            })
        }),
    }
}

impl ClientBuilder {
    /// The API key (else `SEEDANCE_API_KEY`).
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }
    /// The API origin (else `SEEDANCE_BASE_URL`, else the production URL). Plain `http`
    /// only to loopback hosts.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// Per-request timeout of API calls (connect + full response); a download uses it
    /// as the longest pause between two chunks.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// Connect timeout.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }
    /// Retries after the first attempt (default 5).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }
    /// The whole retry policy (backoff base and cap, 409 in-flight bound).
    pub fn retry_policy(mut self, p: RetryPolicy) -> Self {
        self.retry = Some(p);
        self
    }
    /// The client-side budget for every request (default 30 per 60 s).
    pub fn rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.rate_limit = RateLimitSetting::Custom(RateLimit::new(requests, window));
        self
    }
    /// Turns the client-side budget off (not recommended).
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = RateLimitSetting::Off;
        self
    }
    /// The budget of submits carrying reference media (default 3 per 60 s).
    pub fn media_rate_limit(mut self, requests: u32, window: Duration) -> Self {
        self.media_rate_limit = RateLimitSetting::Custom(RateLimit::new(requests, window));
        self
    }
    /// Turns the reference-media budget off.
    pub fn no_media_rate_limit(mut self) -> Self {
        self.media_rate_limit = RateLimitSetting::Off;
        self
    }
    /// The client-side budget for every request as one setting (what
    /// [`rate_limit`](ClientBuilder::rate_limit) and
    /// [`no_rate_limit`](ClientBuilder::no_rate_limit) set).
    ///
    /// ```
    /// use seedance_http::{Client, RateLimit, RateLimitSetting};
    /// let client = Client::builder()
    ///     .no_env()
    ///     .api_key("sk_test_x")
    ///     .rate_limit_setting(RateLimitSetting::Custom(RateLimit::ACCOUNT))
    ///     .media_rate_limit_setting(RateLimitSetting::Off)
    ///     .build()?;
    /// assert_eq!(client.rate_limit(), Some(RateLimit::ACCOUNT));
    /// # Ok::<(), seedance_http::Error>(())
    /// ```
    pub fn rate_limit_setting(mut self, setting: RateLimitSetting) -> Self {
        self.rate_limit = setting;
        self
    }
    /// The reference-media budget as one setting.
    pub fn media_rate_limit_setting(mut self, setting: RateLimitSetting) -> Self {
        self.media_rate_limit = setting;
        self
    }
    /// Who shares the budgets (else `SEEDANCE_BUDGET`, else [`BudgetScope::Process`]):
    /// this process only, every process of the machine (the default of the CLI, Python
    /// and the bindings), or every machine through Redis.
    ///
    /// ```
    /// use seedance_http::{BudgetScope, Client};
    /// let client = Client::builder()
    ///     .no_env()
    ///     .api_key("k_1")
    ///     .budget(BudgetScope::Process)
    ///     .build()?;
    /// # Ok::<(), seedance_http::Error>(())
    /// ```
    pub fn budget(mut self, scope: BudgetScope) -> Self {
        self.budget = Some(scope);
        self
    }
    /// When to poll (else the defaults, with `SEEDANCE_TIME_SCALE`,
    /// `SEEDANCE_POLL_INTERVAL` and `SEEDANCE_POLL_MAX_INTERVAL` applied).
    pub fn poll_schedule(mut self, s: PollSchedule) -> Self {
        self.poll_schedule = Some(s);
        self
    }
    /// The expected render time (model time) of every task, instead of the request's
    /// model (else `SEEDANCE_EXPECTED_RENDER`). A [`crate::WaitOptions::expected_render`]
    /// wins over it.
    pub fn expected_render(mut self, d: Duration) -> Self {
        self.expected_render = Some(d);
        self
    }
    /// Gives up a wait after `d` when its [`crate::WaitOptions`] set no bound of their own
    /// (else `SEEDANCE_WAIT_TIMEOUT`, else [`crate::DEFAULT_WAIT_TIMEOUT`]). The task may
    /// still complete: wait for it again, or resume it.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = seedance_http::Client::builder()
    ///     .no_env()
    ///     .api_key("sk_test_x")
    ///     .wait_timeout(Duration::from_secs(45 * 60))
    ///     .build()?;
    /// assert_eq!(client.wait_timeout(), Some(Duration::from_secs(45 * 60)));
    /// # Ok::<(), seedance_http::Error>(())
    /// ```
    pub fn wait_timeout(mut self, d: Duration) -> Self {
        self.wait_timeout = WaitTimeout::After(d);
        self
    }
    /// Lets a wait whose [`crate::WaitOptions`] set no bound of their own last until its
    /// task ends, however long it takes (as `SEEDANCE_WAIT_TIMEOUT=none` does).
    ///
    /// ```
    /// let client = seedance_http::Client::builder()
    ///     .no_env()
    ///     .api_key("sk_test_x")
    ///     .no_wait_timeout()
    ///     .build()?;
    /// assert_eq!(client.wait_timeout(), None);
    /// let default = seedance_http::Client::builder().no_env().api_key("sk_test_x").build()?;
    /// assert_eq!(default.wait_timeout(), Some(seedance_http::DEFAULT_WAIT_TIMEOUT));
    /// # Ok::<(), seedance_http::Error>(())
    /// ```
    pub fn no_wait_timeout(mut self) -> Self {
        self.wait_timeout = WaitTimeout::Never;
        self
    }
    /// The largest API response body read (default
    /// [`seedance_core::rules::API_BODY_MAX_BYTES`], 1 MiB; Reading R24). A larger body
    /// is an error naming this limit.
    pub fn max_body_bytes(mut self, n: u64) -> Self {
        self.max_body_bytes = Some(n);
        self
    }
    /// The largest file a download writes (default
    /// [`seedance_core::rules::DOWNLOAD_MAX_BYTES`], 4 GiB; Reading R24).
    pub fn max_download_bytes(mut self, n: u64) -> Self {
        self.max_download_bytes = Some(n);
        self
    }
    /// The longest one file's download may take, besides the idle timeout between two
    /// chunks (default [`seedance_core::rules::DOWNLOAD_DEADLINE`], 1 h; Reading R24).
    pub fn download_deadline(mut self, d: Duration) -> Self {
        self.download_deadline = Some(d);
        self
    }
    /// The `User-Agent`.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }
    /// Uses this reqwest client (its proxies, TLS, pools). Build it with
    /// `redirect(reqwest::redirect::Policy::none())` so that the client's own redirect
    /// policy (Reading R13) applies.
    pub fn http_client(mut self, c: reqwest::Client) -> Self {
        self.http_client = Some(c);
        self
    }
    /// The job store (Promise 4): every job is written there before its submit is sent.
    pub fn journal(mut self, j: JobStore) -> Self {
        self.journal = Some(j);
        self
    }
    /// Opens the job store at this path at build time (else `SEEDANCE_JOURNAL`). A
    /// `.jsonl` path (an old journal) opens the `.sqlite3` file next to it and imports
    /// the journal once.
    pub fn journal_path(mut self, p: impl Into<PathBuf>) -> Self {
        self.journal_path = Some(p.into());
        self
    }
    /// No job store, even when `SEEDANCE_JOURNAL` names one (a [`journal`](Self::journal)
    /// or [`journal_path`](Self::journal_path) given here still wins).
    ///
    /// ```
    /// let client = seedance_http::Client::builder().api_key("k_1").no_journal().build()?;
    /// assert!(client.journal().is_none());
    /// # Ok::<(), seedance_http::Error>(())
    /// ```
    pub fn no_journal(mut self) -> Self {
        self.no_journal = true;
        self
    }
    /// Where the learned render-time profile is kept (`None`: learned in memory only,
    /// for this client's life). By default `render-profile.json` in the data dir
    /// ([`crate::default_data_dir_path`]), unless [`no_env`](ClientBuilder::no_env):
    /// then in memory only. A missing or corrupt file is ignored (the prior is used);
    /// the file is written atomically while waits run and when the last one ends.
    pub fn render_profile(mut self, path: Option<PathBuf>) -> Self {
        self.render_profile = Some(path);
        self
    }
    /// How long after its submit a job whose answer was lost is re-POSTed by
    /// [`crate::Client::resume`] without asking (default
    /// [`seedance_core::rules::IDEMPOTENCY_RETENTION`], 24 h: the server's assumed
    /// idempotency retention). Older ones need [`crate::ResumeOptions::resubmit_stale`].
    pub fn idempotency_retention(mut self, d: Duration) -> Self {
        self.idempotency_retention = Some(d);
        self
    }
    /// A progress callback (may be given several times). Called on the task that
    /// produced the event: keep it quick.
    pub fn on_event(mut self, f: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.callbacks.push(Arc::new(f));
        self
    }
    /// Ignores the `SEEDANCE_*` variables (tests, embedded use), and keeps the learned
    /// render profile in memory unless [`render_profile`](ClientBuilder::render_profile)
    /// names a file.
    pub fn no_env(mut self) -> Self {
        self.no_env = true;
        self
    }

    pub(crate) fn settings(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings> {
        let api_key = match self.api_key.take() {
            Some(k) => k,
            None => env("SEEDANCE_API_KEY")
                .map(ApiKey::new)
                .ok_or(Error::NoApiKey)?,
        };
        if api_key.is_blank() {
            return Err(Error::NoApiKey);
        }
        if api_key.expose().chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::Config(ConfigError::InvalidApiKey));
        }
        let base = self
            .base_url
            .take()
            .or_else(|| env("SEEDANCE_BASE_URL"))
            .unwrap_or_else(|| seedance_core::rules::PRODUCTION_BASE_URL.to_owned());
        let base_url = crate::origin::check_base_url(&base)?;
        use crate::env::{parse_duration, parse_rate_limit, parse_wait_timeout};
        let timeout = match self.timeout {
            Some(t) => t,
            None => var(env, "SEEDANCE_TIMEOUT", parse_duration)?.unwrap_or(DEFAULT_TIMEOUT),
        };
        let connect_timeout = match self.connect_timeout {
            Some(t) => t,
            None => var(env, "SEEDANCE_CONNECT_TIMEOUT", parse_duration)?
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        };
        let mut retry = self.retry.take().unwrap_or_default();
        match self.max_retries {
            Some(n) => retry.max_retries = n,
            None => {
                let whole = |v: &str| {
                    v.trim()
                        .parse::<u32>()
                        .map_err(|_| format!("{v:?} is not a whole number"))
                };
                if let Some(n) = var(env, "SEEDANCE_MAX_RETRIES", whole)? {
                    retry.max_retries = n;
                }
            }
        }
        let rate_limit = match self.rate_limit {
            RateLimitSetting::Custom(r) => Some(r),
            RateLimitSetting::Off => None,
            RateLimitSetting::Default => var(env, "SEEDANCE_RATE_LIMIT", parse_rate_limit)?
                .unwrap_or(Some(RateLimit::ACCOUNT)),
        };
        let media_rate_limit = match self.media_rate_limit {
            RateLimitSetting::Custom(r) => Some(r),
            RateLimitSetting::Off => None,
            RateLimitSetting::Default => var(env, "SEEDANCE_MEDIA_RATE_LIMIT", parse_rate_limit)?
                .unwrap_or(Some(RateLimit::MEDIA)),
        };
        let budget = match self.budget.take() {
            Some(b) => b,
            None => {
                var(env, "SEEDANCE_BUDGET", BudgetScope::parse)?.unwrap_or(BudgetScope::Process)
            }
        };
        let poll_schedule = match self.poll_schedule.take() {
            Some(s) => s,
            None => {
                let mut s = PollSchedule::default();
                if let Some(x) = var(env, "SEEDANCE_TIME_SCALE", crate::env::parse_time_scale)? {
                    s.time_scale = x;
                }
                if let Some(d) = var(env, "SEEDANCE_POLL_INTERVAL", parse_duration)? {
                    s.min_interval = d;
                }
                if let Some(d) = var(env, "SEEDANCE_POLL_MAX_INTERVAL", parse_duration)? {
                    s.max_interval = d;
                }
                s
            }
        };
        let expected_render = match self.expected_render {
            Some(d) => Some(d),
            None => var(env, "SEEDANCE_EXPECTED_RENDER", parse_duration)?,
        };
        let wait_timeout = match self.wait_timeout {
            WaitTimeout::After(d) => Some(d),
            WaitTimeout::Never => None,
            // `none`/`never`/`off`/`0` in the variable: no bound
            WaitTimeout::ClientDefault => var(env, "SEEDANCE_WAIT_TIMEOUT", parse_wait_timeout)?
                .unwrap_or(Some(crate::DEFAULT_WAIT_TIMEOUT)),
        };
        let user_agent = self
            .user_agent
            .take()
            .or_else(|| env("SEEDANCE_USER_AGENT"))
            .unwrap_or_else(|| format!("seedance-http/{}", env!("CARGO_PKG_VERSION")));
        let journal = match (self.journal.take(), self.journal_path.take()) {
            (Some(j), _) => Some(j),
            (None, Some(p)) => Some(JobStore::open(p)?),
            (None, None) if self.no_journal => None,
            (None, None) => match env("SEEDANCE_JOURNAL") {
                Some(p) => Some(JobStore::open(p)?),
                None => None,
            },
        };
        let render_profile = match self.render_profile.take() {
            Some(p) => p,
            None if self.no_env => None,
            None => Some(crate::default_data_dir_path().join(crate::tuning::PROFILE_FILE)),
        };
        let max = seedance_core::rules::SETTING_DURATION_MAX;
        let checked = |name: &str, d: Duration| {
            seedance_core::rules::check_duration(name, d, max).map_err(|_| {
                Error::Config(ConfigError::DurationTooLong {
                    setting: name.to_owned(),
                    value: d,
                    max,
                })
            })
        };
        let timeout = checked("timeout", timeout)?;
        let connect_timeout = checked("connect timeout", connect_timeout)?;
        if let Some(d) = expected_render {
            checked("expected render", d)?;
        }
        if let Some(d) = wait_timeout {
            checked("wait timeout", d)?;
        }
        let download_deadline = checked(
            "download deadline",
            self.download_deadline
                .unwrap_or(seedance_core::rules::DOWNLOAD_DEADLINE),
        )?;
        Ok(Settings {
            api_key,
            base_url,
            timeout,
            max_body_bytes: self
                .max_body_bytes
                .unwrap_or(seedance_core::rules::API_BODY_MAX_BYTES),
            max_download_bytes: self
                .max_download_bytes
                .unwrap_or(seedance_core::rules::DOWNLOAD_MAX_BYTES),
            download_deadline,
            connect_timeout,
            retry,
            rate_limit,
            media_rate_limit,
            budget,
            poll_schedule,
            expected_render,
            wait_timeout,
            user_agent,
            journal,
            render_profile,
            idempotency_retention: self
                .idempotency_retention
                .unwrap_or(seedance_core::rules::IDEMPOTENCY_RETENTION),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seedance_core::rules::TimeScale;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn a_bad_variable_is_typed_and_shows_no_password() {
        let e = ClientBuilder::default()
            .settings(&env_of(&[
                ("SEEDANCE_API_KEY", "sk_test_x"),
                ("SEEDANCE_TIMEOUT", "soon"),
            ]))
            .unwrap_err();
        match &e {
            Error::Config(ConfigError::InvalidVariable { name, value, .. }) => {
                assert_eq!(name, "SEEDANCE_TIMEOUT");
                assert_eq!(value, "soon");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            e.to_string()
                .starts_with("configuration: SEEDANCE_TIMEOUT: "),
            "{e}"
        );
        let e = ClientBuilder::default()
            .settings(&env_of(&[
                ("SEEDANCE_API_KEY", "sk_test_x"),
                ("SEEDANCE_BUDGET", "redis://:hunter2@/0"),
            ]))
            .unwrap_err();
        assert!(
            matches!(&e, Error::Config(ConfigError::InvalidVariable { name, .. }) if name == "SEEDANCE_BUDGET"),
            "{e:?}"
        );
        assert!(!format!("{e} {e:?}").contains("hunter2"), "{e:?}");
        let e = ClientBuilder::default()
            .api_key("sk_test_x")
            .timeout(Duration::from_secs(90 * 86_400))
            .settings(&env_of(&[]))
            .unwrap_err();
        assert!(
            matches!(&e, Error::Config(ConfigError::DurationTooLong { setting, .. }) if setting == "timeout"),
            "{e:?}"
        );
    }

    #[test]
    fn env_fills_what_the_builder_does_not_set() {
        let env = env_of(&[
            ("SEEDANCE_API_KEY", "sk_env"),
            ("SEEDANCE_BASE_URL", "http://127.0.0.1:1234"),
            ("SEEDANCE_TIMEOUT", "2.5"),
            ("SEEDANCE_MAX_RETRIES", "7"),
            ("SEEDANCE_RATE_LIMIT", "10/20"),
            ("SEEDANCE_MEDIA_RATE_LIMIT", "off"),
            ("SEEDANCE_TIME_SCALE", "1000"),
            ("SEEDANCE_USER_AGENT", "ua/1"),
            ("SEEDANCE_CONNECT_TIMEOUT", "250ms"),
            ("SEEDANCE_POLL_INTERVAL", "3s"),
            ("SEEDANCE_POLL_MAX_INTERVAL", "1m"),
            ("SEEDANCE_EXPECTED_RENDER", "2m30s"),
            ("SEEDANCE_WAIT_TIMEOUT", "none"),
        ]);
        let s = ClientBuilder::default().settings(&env).unwrap();
        assert_eq!(s.api_key.expose(), "sk_env");
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:1234/");
        assert_eq!(s.timeout, Duration::from_millis(2500));
        assert_eq!(s.retry.max_retries, 7);
        assert_eq!(
            s.rate_limit,
            Some(RateLimit::new(10, Duration::from_secs(20)))
        );
        assert_eq!(s.media_rate_limit, None);
        assert_eq!(s.poll_schedule.time_scale.get(), 1000.0);
        assert_eq!(s.user_agent, "ua/1");
        assert_eq!(s.connect_timeout, Duration::from_millis(250));
        assert_eq!(s.poll_schedule.min_interval, Duration::from_secs(3));
        assert_eq!(s.poll_schedule.max_interval, Duration::from_secs(60));
        assert_eq!(s.expected_render, Some(Duration::from_secs(150)));
        assert_eq!(s.wait_timeout, None);

        // the builder wins over the environment
        let s = ClientBuilder::default()
            .api_key("sk_code")
            .max_retries(1)
            .rate_limit(5, Duration::from_secs(1))
            .poll_schedule(PollSchedule::default().time_scale(TimeScale::new(10.0).unwrap()))
            .wait_timeout(Duration::from_secs(5))
            .settings(&env)
            .unwrap();
        assert_eq!(
            s.poll_schedule,
            PollSchedule::default().time_scale(TimeScale::new(10.0).unwrap())
        );
        assert_eq!(s.wait_timeout, Some(Duration::from_secs(5)));
        assert_eq!(s.api_key.expose(), "sk_code");
        assert_eq!(s.retry.max_retries, 1);
        assert_eq!(
            s.rate_limit,
            Some(RateLimit::new(5, Duration::from_secs(1)))
        );
    }

    #[test]
    fn the_wait_bound_in_code_wins_over_the_variable_either_way() {
        let bound = |b: ClientBuilder, var: Option<&str>| {
            let mut env = vec![("SEEDANCE_API_KEY", "sk_env")];
            env.extend(var.map(|v| ("SEEDANCE_WAIT_TIMEOUT", v)));
            let mut b = b;
            b.settings(&env_of(&env)).unwrap().wait_timeout
        };
        let d = Duration::from_secs(5);
        assert_eq!(
            bound(ClientBuilder::default().no_wait_timeout(), Some("45m")),
            None
        );
        assert_eq!(
            bound(ClientBuilder::default().wait_timeout(d), Some("none")),
            Some(d)
        );
        assert_eq!(
            bound(
                ClientBuilder::default().no_wait_timeout().wait_timeout(d),
                None
            ),
            Some(d)
        );
        for off in ["none", "never", "off", "0"] {
            assert_eq!(bound(ClientBuilder::default(), Some(off)), None, "{off}");
        }
        assert_eq!(
            bound(ClientBuilder::default(), Some("45m")),
            Some(Duration::from_secs(45 * 60))
        );
        assert_eq!(
            bound(ClientBuilder::default(), None),
            Some(crate::DEFAULT_WAIT_TIMEOUT)
        );
    }

    #[test]
    fn defaults_and_refusals() {
        let s = ClientBuilder::default()
            .api_key("k_123")
            .settings(&env_of(&[]))
            .unwrap();
        assert_eq!(s.base_url.as_str(), "https://seedance2ai.io/");
        assert_eq!(
            s.rate_limit,
            Some(RateLimit::new(30, Duration::from_secs(60)))
        );
        assert_eq!(
            s.media_rate_limit,
            Some(RateLimit::new(3, Duration::from_secs(60)))
        );
        assert_eq!(s.timeout, DEFAULT_TIMEOUT);
        assert_eq!(s.wait_timeout, Some(crate::DEFAULT_WAIT_TIMEOUT));
        assert_eq!(s.poll_schedule, PollSchedule::default());

        let err =
            |mut b: ClientBuilder, env: &[(&str, &str)]| b.settings(&env_of(env)).unwrap_err();
        assert!(matches!(
            err(ClientBuilder::default(), &[]),
            Error::NoApiKey
        ));
        assert!(matches!(
            err(ClientBuilder::default(), &[("SEEDANCE_API_KEY", "  ")]),
            Error::NoApiKey
        ));
        let e = err(
            ClientBuilder::default().api_key("sk_secret_value"),
            &[("SEEDANCE_BASE_URL", "http://seedance2ai.io")],
        );
        assert!(e.to_string().contains("plain http"), "{e}");
        assert!(!e.to_string().contains("sk_secret_value"));
        let e = err(
            ClientBuilder::default().api_key("k_123"),
            &[("SEEDANCE_RATE_LIMIT", "lots")],
        );
        assert!(e.to_string().contains("SEEDANCE_RATE_LIMIT"), "{e}");
        assert!(matches!(
            err(ClientBuilder::default().api_key("  "), &[]),
            Error::NoApiKey
        ));
    }

    #[test]
    fn no_journal_overrides_the_variable_not_the_builder() {
        let dir = tempfile::tempdir().unwrap();
        let from_env = dir.path().join("env.sqlite3");
        let env = env_of(&[("SEEDANCE_JOURNAL", from_env.to_str().unwrap())]);
        let b = || ClientBuilder::default().api_key("k_123");
        assert!(b().settings(&env).unwrap().journal.is_some());
        assert!(b().no_journal().settings(&env).unwrap().journal.is_none());
        let given = dir.path().join("given.sqlite3");
        let s = b()
            .no_journal()
            .journal_path(&given)
            .settings(&env)
            .unwrap();
        assert_eq!(s.journal.map(|j| j.path()), Some(given));
    }

    #[test]
    fn every_listed_variable_is_read_and_every_read_one_is_listed() {
        use std::cell::RefCell;
        let asked = RefCell::new(Vec::new());
        let env = |k: &str| {
            asked.borrow_mut().push(k.to_owned());
            None
        };
        ClientBuilder::default()
            .api_key("k_123")
            .settings(&env)
            .unwrap();
        let mut asked = asked.into_inner();
        asked.sort();
        let mut listed: Vec<String> = crate::env::VARIABLES
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        listed.sort();
        // (the key is given in code here, so SEEDANCE_API_KEY is not asked for)
        listed.retain(|n| n != "SEEDANCE_API_KEY");
        assert_eq!(asked, listed);
        let readme = include_str!("../README.md");
        for (name, _) in crate::env::VARIABLES {
            assert!(readme.contains(name), "{name} missing from the README");
        }
    }
}
