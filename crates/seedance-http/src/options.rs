//! Per-call options and the poll schedule.

use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// The default bound of [`crate::Client::wait`]: 30 minutes.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// When to poll a task (Promise 3): the first poll near the expected render time, then
/// intervals that grow by `backoff` up to `max_interval`.
///
/// The expected render time comes from `seedance_core::expected_render_secs` for the
/// request (tier, resolution, duration), from [`WaitOptions::expected_render`], or, when
/// waiting by id with nothing known, `default_expected` (105 s: the model's standard
/// 5 s 720p clip, the spec's median).
///
/// ```
/// use std::time::Duration;
/// use seedance_http::PollSchedule;
/// let s = PollSchedule::default();
/// let expected = Duration::from_secs(105);
/// assert_eq!(s.first_delay(expected), Duration::from_secs_f64(105.0 * 1.02));
/// assert_eq!(s.interval_after(expected, 1), Duration::from_secs_f64(5.25));
/// assert_eq!(s.interval_after(expected, 20), Duration::from_secs(30));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PollSchedule {
    /// The first poll comes at `expected × first_poll_factor` after the submit.
    pub first_poll_factor: f64,
    /// The expected render time when nothing is known about the task.
    pub default_expected: Duration,
    /// The first interval after the first poll is `expected × interval_factor`…
    pub interval_factor: f64,
    /// …but never below this…
    pub min_interval: Duration,
    /// …and each later interval is this much longer…
    pub backoff: f64,
    /// …up to this cap.
    pub max_interval: Duration,
    /// Every duration above is divided by this (for emulators with scaled time; 1.0 in
    /// production).
    pub time_scale: f64,
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            first_poll_factor: 1.02,
            default_expected: Duration::from_secs(105),
            interval_factor: 0.05,
            min_interval: Duration::from_secs(2),
            backoff: 1.5,
            max_interval: Duration::from_secs(30),
            time_scale: 1.0,
        }
    }
}

impl PollSchedule {
    /// Sets [`PollSchedule::time_scale`].
    #[must_use]
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    pub(crate) fn scaled(&self, d: Duration) -> Duration {
        let s = if self.time_scale.is_finite() && self.time_scale > 0.0 {
            self.time_scale
        } else {
            1.0
        };
        seedance_core::rules::scale_duration(d, s)
    }

    /// Delay from the submit to the first poll.
    pub fn first_delay(&self, expected: Duration) -> Duration {
        self.scaled(mul_saturating(expected, self.first_poll_factor))
    }

    /// Delay after poll number `polls` (1-based) that found the task still running.
    pub fn interval_after(&self, expected: Duration, polls: u32) -> Duration {
        let first = mul_saturating(expected, self.interval_factor).max(self.min_interval);
        let grown = first.as_secs_f64()
            * self
                .backoff
                .max(1.0)
                .powi(i32::try_from(polls.saturating_sub(1).min(64)).unwrap_or(64));
        let capped = grown.min(self.max_interval.as_secs_f64()).max(0.0);
        self.scaled(Duration::try_from_secs_f64(capped).unwrap_or(self.max_interval))
    }
}

/// `d × factor`, saturating (a negative or NaN factor is 0), never panicking.
fn mul_saturating(d: Duration, factor: f64) -> Duration {
    let f = if factor.is_nan() {
        0.0
    } else {
        factor.max(0.0)
    };
    Duration::try_from_secs_f64(d.as_secs_f64() * f).unwrap_or(Duration::MAX)
}

/// Options of [`crate::Client::submit`].
///
/// ```
/// use seedance_http::SubmitOptions;
/// let o = SubmitOptions::default().idempotency_key("order-42").preflight(true);
/// assert_eq!(o.idempotency_key.as_deref(), Some("order-42"));
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SubmitOptions {
    /// The `Idempotency-Key`; a random UUIDv4 when `None`. Reused on every retry.
    pub idempotency_key: Option<String>,
    /// Check the reference URLs before submitting (see [`crate::Client::preflight`]).
    pub preflight: bool,
    /// Stops the submit (and its retries) when cancelled.
    pub cancel: Option<CancellationToken>,
}

impl SubmitOptions {
    /// Sets the idempotency key.
    #[must_use]
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
    /// Turns the reference-URL preflight on or off.
    #[must_use]
    pub fn preflight(mut self, on: bool) -> Self {
        self.preflight = on;
        self
    }
    /// Sets a cancellation token.
    #[must_use]
    pub fn cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

/// Options of [`crate::Client::wait`].
///
/// ```
/// use std::time::Duration;
/// use seedance_http::WaitOptions;
/// let o = WaitOptions::default().timeout(None).expected_render(Duration::from_secs(200));
/// assert_eq!(o.timeout, None);
/// assert_eq!(WaitOptions::default().timeout, Some(Duration::from_secs(1800)));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long; `None` waits without bound. Unless set (through
    /// [`WaitOptions::timeout`], or by assigning another value), the client's bound
    /// applies ([`crate::ClientBuilder::wait_timeout`], `SEEDANCE_WAIT_TIMEOUT`, by
    /// default [`DEFAULT_WAIT_TIMEOUT`]).
    pub timeout: Option<Duration>,
    /// Whether `timeout` was set through [`WaitOptions::timeout`].
    pub(crate) timeout_given: bool,
    /// The expected render time (model time, before [`PollSchedule::time_scale`]).
    pub expected_render: Option<Duration>,
    /// How long the task has already been running (the first poll comes that much sooner).
    pub elapsed: Duration,
    /// Stops the wait when cancelled.
    pub cancel: Option<CancellationToken>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Some(DEFAULT_WAIT_TIMEOUT),
            timeout_given: false,
            expected_render: None,
            elapsed: Duration::ZERO,
            cancel: None,
        }
    }
}

impl WaitOptions {
    /// Sets the bound (`None`: wait forever), over the client's.
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self.timeout_given = true;
        self
    }

    /// The bound in force: this one when set, else the client's.
    pub(crate) fn bound(&self, client_default: Option<Duration>) -> Option<Duration> {
        if self.timeout_given || self.timeout != Some(DEFAULT_WAIT_TIMEOUT) {
            self.timeout
        } else {
            client_default
        }
    }
    /// Sets the expected render time.
    #[must_use]
    pub fn expected_render(mut self, d: Duration) -> Self {
        self.expected_render = Some(d);
        self
    }
    /// Says the task has been running this long already.
    #[must_use]
    pub fn elapsed(mut self, d: Duration) -> Self {
        self.elapsed = d;
        self
    }
    /// Sets a cancellation token.
    #[must_use]
    pub fn cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

/// Options of [`crate::Client::download`].
///
/// ```
/// use seedance_http::DownloadOptions;
/// assert!(DownloadOptions::default().last_frame);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// Also fetch the last frame (when the task has one).
    pub last_frame: bool,
    /// Continue a partial download (`*.part`) with a Range request.
    pub resume: bool,
    /// Stops the download when cancelled.
    pub cancel: Option<CancellationToken>,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            last_frame: true,
            resume: true,
            cancel: None,
        }
    }
}

impl DownloadOptions {
    /// Whether to fetch the last frame.
    #[must_use]
    pub fn last_frame(mut self, on: bool) -> Self {
        self.last_frame = on;
        self
    }
    /// Whether to continue partial downloads.
    #[must_use]
    pub fn resume(mut self, on: bool) -> Self {
        self.resume = on;
        self
    }
    /// Sets a cancellation token.
    #[must_use]
    pub fn cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

/// Options of [`crate::Client::generate`] (submit + wait + optional download).
///
/// ```
/// use seedance_http::GenerateOptions;
/// let o = GenerateOptions::default().download_to("out/");
/// assert!(o.download_dir.is_some());
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct GenerateOptions {
    /// Submit options.
    pub submit: SubmitOptions,
    /// Wait options.
    pub wait: WaitOptions,
    /// Download the outputs here as soon as the task completes (recorded in the journal,
    /// so `resume` downloads them too).
    pub download_dir: Option<PathBuf>,
    /// Download options.
    pub download: DownloadOptions,
}

impl GenerateOptions {
    /// Sets the submit options.
    #[must_use]
    pub fn submit(mut self, o: SubmitOptions) -> Self {
        self.submit = o;
        self
    }
    /// Sets the wait options.
    #[must_use]
    pub fn wait(mut self, o: WaitOptions) -> Self {
        self.wait = o;
        self
    }
    /// Downloads the outputs into this file or directory on completion.
    #[must_use]
    pub fn download_to(mut self, dir: impl Into<PathBuf>) -> Self {
        self.download_dir = Some(dir.into());
        self
    }
    /// Sets the idempotency key.
    #[must_use]
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.submit.idempotency_key = Some(key.into());
        self
    }
    /// Sets one cancellation token for every step.
    #[must_use]
    pub fn cancel(mut self, token: CancellationToken) -> Self {
        self.submit.cancel = Some(token.clone());
        self.wait.cancel = Some(token.clone());
        self.download.cancel = Some(token);
        self
    }
}

/// What [`crate::Client::download`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Downloaded {
    /// The video file.
    pub video: PathBuf,
    /// The last frame, when fetched.
    pub last_frame: Option<PathBuf>,
    /// Bytes written (both files).
    pub bytes: u64,
}
