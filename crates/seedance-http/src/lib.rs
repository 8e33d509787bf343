//! # seedance-http
//!
//! The Seedance 2 Video API client (reqwest with rustls, tokio), built on five promises:
//!
//! 1. **Charged once.** Every submit carries an `Idempotency-Key` reused on every retry;
//!    transient failures are retried with capped exponential backoff and full jitter,
//!    `Retry-After` honoured exactly; 400/401/402/404 never retried.
//! 2. **Never rate-limited by ourselves.** One conservative budget (30 per 60 s by
//!    default) for every request of the client and its clones, plus 3 per 60 s for
//!    submits with reference media; a 429 from elsewhere pauses it.
//! 3. **Smart waiting.** A geometric poll schedule from early in the plausible render
//!    range (a task is seen at most 10 % of its render late while the budget is free);
//!    when the budget binds, each slot goes to the task most likely done; render times
//!    learned and kept in the data dir; all waits share one poller; progress events as
//!    callback and stream.
//! 4. **Nothing lost.** A job store (SQLite, shared by every process) records each job
//!    before its submit is sent; `resume` re-attaches.
//! 5. **Bad input never leaves; the key stays secret.** Validation before any byte is
//!    sent, optional preflight of reference URLs, the key only to the API origin (and
//!    the same site over https after a redirect), never in Debug/Display/logs.
//!
//! Inside, [`Client`] sits on a crate-private `Transport` (the reqwest client, origin and
//! redirect policy, auth header, limits, both budgets, the one retry loop); the poller,
//! downloads and the job store depend on the transport and its event sink, never on the
//! client (the layers: this crate's README).
//!
//! ```no_run
//! use std::time::Duration;
//! use seedance_core::VideoRequest;
//! use seedance_http::{Client, GenerateOptions};
//! # async fn run() -> Result<(), seedance_http::Error> {
//! let client = Client::builder()
//!     .api_key("sk_live_...")
//!     .on_event(|e| eprintln!("{e:?}"))
//!     .build()?;
//! let request = VideoRequest::builder("A glass train crossing a snowy mountain bridge")
//!     .duration(5)
//!     .build()?;
//! let task = client
//!     .generate(&request, GenerateOptions::default()
//!         .timeout(Duration::from_secs(600))
//!         .download_to("out/"))
//!     .await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod backoff;
pub mod blocking;
mod budget;
mod client;
mod config;
mod datadir;
mod download;
pub mod env;
mod error;
mod error_class;
mod events;
mod http_client;
mod jobs;
mod journal;
mod options;
mod origin;
mod output;
mod poller;
mod profile;
mod render_dist;
mod schedule;
mod secret;
mod store;
mod submit;
mod transport;
pub mod tuning;
mod wait;

pub use backoff::RetryPolicy;
pub use budget::{BudgetScope, BudgetStatus, PoolUsage, RateLimit};
pub use client::{new_idempotency_key, Client};
pub use config::{ClientBuilder, RateLimitSetting, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
pub use datadir::{data_dir, default_data_dir_path, ensure_private_dir};
pub use error::{
    ConfigError, DownloadError, DownloadErrorKind, Error, ErrorKind, IoError, PreflightError,
    PreflightErrorKind, Result, StoreError, StoreErrorKind, TransportError, TransportErrorKind,
};
pub use error_class::ErrorClass;
pub use events::Event;
pub use http_client::{install_crypto_provider, reqwest_client_builder};
pub use jobs::{continue_from, JobOutcome};
pub use options::{
    DownloadOptions, Downloaded, GenerateOptions, PollSchedule, ResumeOptions, SubmitOptions,
    WaitOptions, WaitTimeout, DEFAULT_WAIT_TIMEOUT,
};
pub use output::{is_output_dir, OutputTarget, VIDEO_EXTENSION};
pub use secret::ApiKey;
/// The core's validated time scale, which [`PollSchedule::time_scale`] takes.
pub use seedance_core::rules::TimeScale;
#[allow(deprecated)]
pub use store::Journal;
pub use store::{
    account_fingerprint, Charge, JobFilter, JobList, JobRecord, JobScope, JobState, JobStore,
    JobTimes, UnreadableJob, STORE_FILE_NAME,
};
pub use tokio_util::sync::CancellationToken;

/// The README's Rust example is compiled as a doc test, so it cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
