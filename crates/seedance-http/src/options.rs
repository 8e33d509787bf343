//! Per-call options and the poll schedule.

use std::path::PathBuf;
use std::time::Duration;

use seedance_core::rules::TimeScale;
use tokio_util::sync::CancellationToken;

/// The default bound of [`crate::Client::wait`]: 30 minutes.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// When to poll a task (Promise 3). Every default is a named, documented constant of
/// [`crate::tuning`].
///
/// Render times are planned as *factors* of the core's model
/// (`seedance_core::expected_render_secs` for the request's tier, resolution and
/// duration; [`WaitOptions::expected_render`]; or, waiting by id with nothing known,
/// `default_expected`): the client knows only that model, a conservative prior around it
/// (`prior_*`) and the renders it saw end (a learned profile, persisted in the data dir:
/// [`crate::ClientBuilder::render_profile`]).
///
/// - While the budget is free, each task is polled on a geometric grid: the first poll at
///   `ratio ×` the `first_quantile` of the distribution, each later one `ratio` times the
///   elapsed time of the last (within `min_interval`…`max_interval`), so a render is seen
///   at most `ratio − 1` (10 %) of its time late.
/// - When the budget binds, each free slot goes to the due task most likely to have ended
///   since its last poll; a task overdue by `max_unpolled` goes first whatever its odds.
///
/// ```
/// use std::time::Duration;
/// use seedance_http::PollSchedule;
/// let s = PollSchedule::default();
/// let expected = Duration::from_secs(105);
/// // a cold client (prior only) polls a 105 s render first after about 0.6 × 105 s
/// let first = s.first_poll(expected).as_secs_f64();
/// assert!(first > 58.0 && first < 70.0, "{first}");
/// // then every 10 % of the elapsed time, within 2 s … 30 s
/// let next = s.next_poll(Duration::from_secs(100)).as_secs_f64();
/// assert!((next - 10.0).abs() < 1e-6, "{next}");
/// assert_eq!(s.next_poll(Duration::from_secs(1000)), Duration::from_secs(30));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PollSchedule {
    /// The expected render time when nothing is known about the task
    /// ([`crate::tuning::DEFAULT_EXPECTED`]).
    pub default_expected: Duration,
    /// Growth of the poll grid ([`crate::tuning::RATIO`]).
    pub ratio: f64,
    /// The first poll comes at `ratio ×` this quantile of the render-time distribution
    /// ([`crate::tuning::FIRST_QUANTILE`]).
    pub first_quantile: f64,
    /// Polls of one task are never closer than this ([`crate::tuning::MIN_INTERVAL`])…
    pub min_interval: Duration,
    /// …nor further apart than this ([`crate::tuning::MAX_INTERVAL`]).
    pub max_interval: Duration,
    /// A due task overdue by this much is polled first, whatever the odds of the others
    /// ([`crate::tuning::MAX_UNPOLLED`]).
    pub max_unpolled: Duration,
    /// The prior: `prior_floor + prior_scale × exp(prior_sigma × Z)` times the model
    /// ([`crate::tuning::PRIOR_FLOOR`]).
    pub prior_floor: f64,
    /// See `prior_floor` ([`crate::tuning::PRIOR_SCALE`]).
    pub prior_scale: f64,
    /// See `prior_floor` ([`crate::tuning::PRIOR_SIGMA`]).
    pub prior_sigma: f64,
    /// The prior counts as this many observed renders ([`crate::tuning::PRIOR_WEIGHT`]).
    pub prior_weight: f64,
    /// Observations a class needs before it stops borrowing the pooled ones
    /// ([`crate::tuning::MIN_CLASS_SAMPLES`]).
    pub min_class_samples: usize,
    /// Observations kept per class ([`crate::tuning::MAX_SAMPLES`]).
    pub max_samples: usize,
    /// Learn from the renders this client sees end (else the prior alone plans).
    pub learn: bool,
    /// Every duration above is divided by this (for emulators with scaled time; real
    /// time in production). A validated [`TimeScale`]: never 0, negative or NaN.
    pub time_scale: TimeScale,
}

impl Default for PollSchedule {
    fn default() -> Self {
        use crate::tuning as t;
        PollSchedule {
            default_expected: t::DEFAULT_EXPECTED,
            ratio: t::RATIO,
            first_quantile: t::FIRST_QUANTILE,
            min_interval: t::MIN_INTERVAL,
            max_interval: t::MAX_INTERVAL,
            max_unpolled: t::MAX_UNPOLLED,
            prior_floor: t::PRIOR_FLOOR,
            prior_scale: t::PRIOR_SCALE,
            prior_sigma: t::PRIOR_SIGMA,
            prior_weight: t::PRIOR_WEIGHT,
            min_class_samples: t::MIN_CLASS_SAMPLES,
            max_samples: t::MAX_SAMPLES,
            learn: true,
            time_scale: TimeScale::REAL_TIME,
        }
    }
}

impl PollSchedule {
    /// Sets [`PollSchedule::time_scale`].
    #[must_use]
    pub fn time_scale(mut self, scale: TimeScale) -> Self {
        self.time_scale = scale;
        self
    }

    pub(crate) fn scaled(&self, d: Duration) -> Duration {
        self.time_scale.to_real(d)
    }

    /// The prior distribution alone (nothing learned).
    pub(crate) fn prior_dist(&self) -> crate::render_dist::RenderDist {
        crate::render_dist::RenderDist::new(
            crate::render_dist::Prior {
                floor: self.prior_floor,
                scale: self.prior_scale,
                sigma: self.prior_sigma,
            },
            self.prior_weight,
            &[],
        )
    }
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
    /// Where the outputs are meant to go, recorded (made absolute) with the job in the
    /// store, so that `resume` downloads there (the submit itself downloads nothing).
    pub output: Option<PathBuf>,
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
    /// Records where the outputs go (see [`SubmitOptions::output`]).
    #[must_use]
    pub fn output(mut self, path: impl Into<PathBuf>) -> Self {
        self.output = Some(path.into());
        self
    }
}

/// Options of [`crate::Client::resume_with`].
///
/// ```
/// let o = seedance_http::ResumeOptions::default().resubmit_stale(true);
/// assert!(o.resubmit_stale);
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ResumeOptions {
    /// Re-POST jobs whose answer was lost longer ago than the idempotency retention
    /// ([`crate::ClientBuilder::idempotency_retention`]): the server may have forgotten
    /// the key, so this may create and charge a second task.
    pub resubmit_stale: bool,
}

impl ResumeOptions {
    /// Sets [`ResumeOptions::resubmit_stale`].
    #[must_use]
    pub fn resubmit_stale(mut self, on: bool) -> Self {
        self.resubmit_stale = on;
        self
    }
}

/// How long a wait may last: the client's bound, this long, or without bound.
///
/// ```
/// use std::time::Duration;
/// use seedance_http::{WaitOptions, WaitTimeout};
/// assert_eq!(WaitOptions::default().timeout, WaitTimeout::ClientDefault);
/// assert_eq!(WaitOptions::default().no_timeout().timeout, WaitTimeout::Never);
/// assert_eq!(
///     WaitOptions::default().timeout(Duration::from_secs(60)).timeout,
///     WaitTimeout::After(Duration::from_secs(60))
/// );
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitTimeout {
    /// The client's bound ([`crate::ClientBuilder::wait_timeout`], `SEEDANCE_WAIT_TIMEOUT`,
    /// by default [`DEFAULT_WAIT_TIMEOUT`]).
    #[default]
    ClientDefault,
    /// Give up after this long.
    After(Duration),
    /// Wait until the task ends, however long it takes.
    Never,
}

/// Options of [`crate::Client::wait`].
///
/// ```
/// use std::time::Duration;
/// use seedance_http::{WaitOptions, WaitTimeout};
/// let o = WaitOptions::default().no_timeout().expected_render(Duration::from_secs(200));
/// assert_eq!(o.timeout, WaitTimeout::Never);
/// let o = WaitOptions::default().timeout(Duration::from_secs(600));
/// assert_eq!(o.timeout, WaitTimeout::After(Duration::from_secs(600)));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WaitOptions {
    /// How long the wait may last ([`WaitOptions::timeout`], [`WaitOptions::no_timeout`]);
    /// by default the client's bound.
    pub timeout: WaitTimeout,
    /// The expected render time (model time, before [`PollSchedule::time_scale`]).
    pub expected_render: Option<Duration>,
    /// How long the task has already been running (the first poll comes that much sooner).
    pub elapsed: Duration,
    /// The render class (tier/resolution/duration) when the wait follows its submit: the
    /// render is then learned under it.
    pub(crate) class: Option<String>,
    /// Stops the wait when cancelled.
    pub cancel: Option<CancellationToken>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: WaitTimeout::ClientDefault,
            expected_render: None,
            elapsed: Duration::ZERO,
            class: None,
            cancel: None,
        }
    }
}

impl WaitOptions {
    /// Gives up after `d` (over the client's bound); the task may still complete.
    ///
    /// ```
    /// use std::time::Duration;
    /// use seedance_http::{WaitOptions, WaitTimeout};
    /// let o = WaitOptions::default().timeout(Duration::from_secs(90));
    /// assert_eq!(o.timeout, WaitTimeout::After(Duration::from_secs(90)));
    /// ```
    #[must_use]
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = WaitTimeout::After(d);
        self
    }

    /// Waits until the task ends, however long it takes (over the client's bound).
    ///
    /// ```
    /// use seedance_http::{WaitOptions, WaitTimeout};
    /// assert_eq!(WaitOptions::default().no_timeout().timeout, WaitTimeout::Never);
    /// ```
    #[must_use]
    pub fn no_timeout(mut self) -> Self {
        self.timeout = WaitTimeout::Never;
        self
    }

    /// The bound in force: this one when set, else the client's.
    pub(crate) fn bound(&self, client_default: Option<Duration>) -> Option<Duration> {
        match self.timeout {
            WaitTimeout::After(d) => Some(d),
            WaitTimeout::Never => None,
            WaitTimeout::ClientDefault => client_default,
        }
    }
    /// Sets the expected render time.
    #[must_use]
    pub fn expected_render(mut self, d: Duration) -> Self {
        self.expected_render = Some(d);
        self
    }
    /// Says the task has been running this long already (real time since its submit, as
    /// a clock measures it: the poller's schedule is in real time too).
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
    /// Gives up waiting after `d` ([`WaitOptions::timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use seedance_http::{GenerateOptions, WaitTimeout};
    /// let o = GenerateOptions::default().timeout(Duration::from_secs(600)).download_to("out/");
    /// assert_eq!(o.wait.timeout, WaitTimeout::After(Duration::from_secs(600)));
    /// ```
    #[must_use]
    pub fn timeout(mut self, d: Duration) -> Self {
        self.wait = self.wait.timeout(d);
        self
    }
    /// Waits until the task ends, however long it takes ([`WaitOptions::no_timeout`]).
    ///
    /// ```
    /// use seedance_http::{GenerateOptions, WaitTimeout};
    /// assert_eq!(GenerateOptions::default().no_timeout().wait.timeout, WaitTimeout::Never);
    /// ```
    #[must_use]
    pub fn no_timeout(mut self) -> Self {
        self.wait = self.wait.no_timeout();
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
